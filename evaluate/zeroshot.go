package evaluate

import (
	"fmt"

	"github.com/clip-go/clip/model/zeroshot"
)

// ZeroShotResult is zero-shot accuracy on a set, with each image's top-1 class and its
// margin: how far, in logits (scale·cosine), the top-1 is ahead of the runner-up ("" and
// 0 for an image without features). A quantized model can only change the top-1 of an
// image whose margin is small.
type ZeroShotResult struct {
	Accuracy
	Skipped   int // images without features (unreadable), left out of the accuracy
	Predicted []string
	Margin    []float64
}

// ZeroShot classifies every image of s against its class names, each turned into
// prompts with the templates (averaged in embedding space, as classify does).
func ZeroShot(enc Encoder, s *Set, feats *Features, templates []string, truncate bool) (*ZeroShotResult, error) {
	clf, err := zeroshot.Build(enc, s.Classes, templates, truncate)
	if err != nil {
		return nil, fmt.Errorf("eval set %s: %w", s.Source, err)
	}
	res := &ZeroShotResult{Predicted: make([]string, len(s.Items)), Margin: make([]float64, len(s.Items))}
	var labels []int
	var ranked [][]int
	for i, v := range feats.Vecs {
		if v == nil {
			res.Skipped++
			continue
		}
		r, logits := zeroShotRank(clf, v)
		res.Predicted[i] = s.Classes[r[0]]
		if len(r) > 1 {
			res.Margin[i] = logits[r[0]] - logits[r[1]]
		}
		labels = append(labels, s.Items[i].Label)
		ranked = append(ranked, r)
	}
	res.Accuracy = score(s.Classes, labels, ranked)
	return res, nil
}

// ZeroShotData is the zero-shot accuracy of a classifier (its labels: classes) on
// labelled features.
func ZeroShotData(clf *zeroshot.Classifier, classes []string, d Data) Accuracy {
	ranked := make([][]int, len(d.Vecs))
	for i, v := range d.Vecs {
		ranked[i], _ = zeroShotRank(clf, v)
	}
	return score(classes, d.Labels, ranked)
}

// zeroShotRank returns the classes ranked for one image, and the logits.
func zeroShotRank(clf *zeroshot.Classifier, v []float32) ([]int, []float64) {
	l32 := zeroshot.CosineLogits([][]float32{v}, clf.Weights, clf.Scale)[0]
	logits := make([]float64, len(l32))
	for j, l := range l32 {
		logits[j] = float64(l)
	}
	return rank(logits), logits
}
