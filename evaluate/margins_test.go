package evaluate

import (
	"math"
	"strings"
	"testing"
)

// vecEncoder embeds the prompt "a photo of a X." as the unit vector of class X and each
// image path as a fixed vector, so every logit is known in advance.
type vecEncoder struct {
	classes map[string][]float32
	images  map[string][]float32
}

func (f vecEncoder) EncodeTexts(texts []string, _ bool) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = f.classes[strings.TrimSuffix(strings.TrimPrefix(t, "a photo of a "), ".")]
	}
	return out, nil
}

func (vecEncoder) LogitScaleValue() (float64, error) { return 100, nil }

func (f vecEncoder) EncodeImageFiles(paths []string) ([][]float32, []error, error) {
	out := make([][]float32, len(paths))
	for i, p := range paths {
		out[i] = f.images[p] // nil: an image that did not load
	}
	return out, make([]error, len(paths)), nil
}

// TestZeroShotMargins: each image's prediction and its margin, the logit gap
// (scale·cosine) between its two best classes, to the value; an image without features is
// skipped, not scored.
func TestZeroShotMargins(t *testing.T) {
	enc := vecEncoder{
		classes: map[string][]float32{"cat": {1, 0, 0}, "dog": {0, 1, 0}, "car": {0, 0, 1}},
		images: map[string][]float32{
			"cat.png":  {0.8, 0.6, 0},    // cat by 100·(0.8−0.6) = 20 logits
			"tie.png":  {0.6, 0.601, 0},  // dog by a hair: ~0.1 logit
			"dog2.png": {0.1, 0.2, 0.05}, // dog, cosines 0.436 vs 0.873: 43.6 logits
		},
	}
	s := &Set{Classes: []string{"cat", "dog", "car"}}
	for i, p := range []string{"cat.png", "tie.png", "dog2.png", "broken.png"} {
		s.Items = append(s.Items, Item{Name: p, path: p, Label: []int{0, 0, 1, 2}[i]})
	}
	feats, err := Encode(enc, s, FeatureOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := ZeroShot(enc, s, feats, []string{"a photo of a {}."}, false)
	if err != nil {
		t.Fatal(err)
	}
	wantPred := []string{"cat", "dog", "dog", ""}
	n := math.Sqrt(0.01 + 0.04 + 0.0025)
	wantMargin := []float64{20, 100 * 0.001 / math.Hypot(0.6, 0.601), 100 * 0.1 / n, 0}
	for i := range wantPred {
		if res.Predicted[i] != wantPred[i] || math.Abs(res.Margin[i]-wantMargin[i]) > 1e-3*max(1, wantMargin[i]) {
			t.Errorf("%s: predicted %q margin %.5f, want %q %.5f", s.Items[i].Name, res.Predicted[i], res.Margin[i], wantPred[i], wantMargin[i])
		}
	}
	if res.Skipped != 1 || math.Abs(res.Top1-2.0/3) > 1e-9 || res.Top5 != 1 {
		t.Errorf("skipped %d, top-1 %v, top-5 %v; want 1, 2/3, 1", res.Skipped, res.Top1, res.Top5)
	}
}
