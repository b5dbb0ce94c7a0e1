package zeroshot

import (
	"strings"
	"testing"
)

func TestTemplatesAndLabels(t *testing.T) {
	if got, err := Fill("a photo of a {}.", "dog"); err != nil || got != "a photo of a dog." {
		t.Errorf("Fill = %q, %v", got, err)
	}
	for _, bad := range []string{"a photo", "{} and {}"} {
		if _, err := Fill(bad, "x"); err == nil {
			t.Errorf("Fill(%q) accepted", bad)
		}
	}
	for _, name := range TemplateSetNames() {
		set, _ := TemplateSet(name)
		for _, tpl := range set {
			if _, err := Fill(tpl, "x"); err != nil {
				t.Errorf("set %s: %v", name, err)
			}
		}
	}
	if s, _ := TemplateSet("imagenet80"); len(s) != 80 {
		t.Errorf("imagenet80 has %d templates", len(s))
	}
	labels, err := CleanLabels(SplitLabels(" cat, dog ,,turtle "))
	if err != nil || strings.Join(labels, "|") != "cat|dog|turtle" {
		t.Errorf("labels = %q, %v", labels, err)
	}
	if _, err := CleanLabels([]string{"cat", "cat"}); err == nil {
		t.Error("repeated label accepted")
	}
	if _, err := CleanLabels(SplitLabels(" , ")); err == nil {
		t.Error("empty label list accepted")
	}
}

func TestClassifierEnsemblesInEmbeddingSpace(t *testing.T) {
	// Two templates per label; the second template of "a" has a huge norm, which an
	// average of raw embeddings would let dominate. Normalising first gives equal weight.
	emb := [][][]float32{
		{{1, 0}, {0, 100}}, // label a: directions (1,0) and (0,1) → (1,1)/√2
		{{0, 1}, {0, 2}},   // label b: (0,1)
	}
	c, err := NewClassifier([]string{"a", "b"}, emb, 100)
	if err != nil {
		t.Fatal(err)
	}
	const r = 0.70710677
	if w := c.Weights[0]; abs(w[0]-r) > 1e-6 || abs(w[1]-r) > 1e-6 {
		t.Errorf("label a weight = %v, want (%v, %v)", w, r, r)
	}
	top := c.Top([]float32{3, 0}, 5)
	if len(top) != 2 || top[0].Label != "a" || top[0].Prob < 0.99 || absf64(top[0].Prob+top[1].Prob-1) > 1e-9 {
		t.Errorf("Top = %v", top)
	}
}

func abs(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

func absf64(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
