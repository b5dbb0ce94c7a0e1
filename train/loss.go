package train

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
)

// ContrastiveLoss is CLIP's symmetric cross-entropy over logits [N, N] whose diagonal holds
// the matching pairs: the mean of the image→text (rows) and text→image (columns) losses.
//
// groups (Int32 [N], or nil) names the concept each pair shows. Pairs of one concept are
// not negatives of each other: in a small corpus the same emoji in six styles, or an icon
// drawn by two sets, often share a batch, and pushing them apart teaches the model to
// tell styles apart, the opposite of what zero-shot transfer needs. So each row's target
// spreads evenly over the pairs of its group (multi-positive cross-entropy); with every
// group distinct, or nil, the targets are the identity and this is CLIP's loss exactly.
func ContrastiveLoss(logits, groups *Node) *Node {
	targets := contrastiveTargets(logits, groups)
	imageToText := ReduceAllMean(ReduceSum(Mul(LogSoftmax(logits, 1), targets), 1))
	textToImage := ReduceAllMean(ReduceSum(Mul(LogSoftmax(logits, 0), targets), 0))
	return Neg(DivScalar(Add(imageToText, textToImage), 2))
}

// contrastiveTargets is the [N, N] target distribution: 1/|group| where two pairs share a
// group, else 0. It is symmetric, so its rows and its columns each sum to one.
func contrastiveTargets(logits, groups *Node) *Node {
	same := sameGroup(logits, groups)
	return Div(same, ReduceAndKeep(same, ReduceSum, 1))
}

// SigmoidLoss is SigLIP's loss (Zhai et al. 2023) over logits [N, N] = t·xᵢ·yⱼ + b (scale
// and bias already applied): every image-text pair is its own binary classification,
//
//	L = -(1/N) Σᵢ Σⱼ log σ(zᵢⱼ·logitsᵢⱼ),  zᵢⱼ = +1 for positives, -1 otherwise,
//
// so no row or column is normalised over the batch, which is why it holds up at small
// batch sizes. groups are as for ContrastiveLoss: pairs of one group are positives of
// each other (with nil, or every group distinct, the positives are the diagonal).
func SigmoidLoss(logits, groups *Node) *Node {
	z := AddScalar(MulScalar(sameGroup(logits, groups), 2), -1) // +1 same group, -1 else
	n := logits.Shape().Dimensions[0]
	return DivScalar(ReduceAllSum(softplus(Neg(Mul(z, logits)))), float64(n))
}

// softplus is log(1 + eˣ) = -log σ(-x), as max(x, 0) + log1p(e^-|x|), which neither
// overflows nor loses the small values (GoMLX's Softplus goes through LogAddExp's masks).
func softplus(x *Node) *Node {
	return Add(MaxScalar(x, 0), Log1p(Exp(Neg(Abs(x)))))
}

// sameGroup is the [N, N] matrix of 1 where pairs i and j share a group, else 0 (the
// identity when groups is nil).
func sameGroup(logits, groups *Node) *Node {
	g := logits.Graph()
	n := logits.Shape().Dimensions[0]
	if groups == nil {
		groups = Iota(g, shapes.Make(dtypes.Int32, n), 0)
	}
	rows := BroadcastToDims(InsertAxes(groups, -1), n, n) // rows[i][j] = groups[i]
	cols := BroadcastToDims(InsertAxes(groups, 0), n, n)  // cols[i][j] = groups[j]
	return ConvertDType(Equal(rows, cols), logits.DType())
}
