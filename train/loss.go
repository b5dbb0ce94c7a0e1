package train

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
)

// ContrastiveLoss is CLIP's symmetric cross-entropy over logits [N, N] whose diagonal holds
// the matching pairs: the mean of the image→text (rows) and text→image (columns) losses.
func ContrastiveLoss(logits *Node) *Node {
	g := logits.Graph()
	n := logits.Shape().Dimensions[0]
	eye := OneHot(Iota(g, shapes.Make(dtypes.Int32, n), 0), n, logits.DType())
	imageToText := ReduceAllMean(ReduceSum(Mul(LogSoftmax(logits, 1), eye), 1))
	textToImage := ReduceAllMean(ReduceSum(Mul(LogSoftmax(logits, 0), eye), 0))
	return Neg(DivScalar(Add(imageToText, textToImage), 2))
}
