package zeroshot

import (
	"fmt"
	"math"
	"sort"
)

// Classifier is a zero-shot classifier: one unit vector per label, the normalised mean of
// the normalised embeddings of the label's prompts, and the model's logit scale.
type Classifier struct {
	Labels  []string
	Weights [][]float32
	Scale   float64
}

// Prediction is one label with its softmax probability.
type Prediction struct {
	Label string  `json:"label"`
	Prob  float64 `json:"prob"`
}

// NewClassifier builds the classifier from the text embeddings of prompts: embeddings
// holds, for each label in order, one row per template.
func NewClassifier(labels []string, embeddings [][][]float32, scale float64) (*Classifier, error) {
	if len(labels) == 0 {
		return nil, fmt.Errorf("no labels")
	}
	c := &Classifier{Labels: labels, Scale: scale}
	for i, rows := range embeddings {
		if len(rows) == 0 {
			return nil, fmt.Errorf("label %q has no prompts", labels[i])
		}
		mean := make([]float32, len(rows[0]))
		for _, r := range rows {
			for k, x := range Normalize(r) {
				mean[k] += x
			}
		}
		c.Weights = append(c.Weights, Normalize(mean))
	}
	return c, nil
}

// Probabilities returns softmax(scale · cos(image, label)) over the labels.
func (c *Classifier) Probabilities(image []float32) []float64 {
	logits := CosineLogits([][]float32{image}, c.Weights, c.Scale)[0]
	return softmax(logits)
}

// Top returns the k most probable labels, most probable first.
func (c *Classifier) Top(image []float32, k int) []Prediction {
	probs := c.Probabilities(image)
	preds := make([]Prediction, len(probs))
	for i, p := range probs {
		preds[i] = Prediction{c.Labels[i], p}
	}
	sort.SliceStable(preds, func(a, b int) bool { return preds[a].Prob > preds[b].Prob })
	return preds[:min(k, len(preds))]
}

// softmax is a numerically stable softmax in float64.
func softmax(logits []float32) []float64 {
	m := math.Inf(-1)
	for _, l := range logits {
		m = math.Max(m, float64(l))
	}
	out := make([]float64, len(logits))
	var sum float64
	for i, l := range logits {
		out[i] = math.Exp(float64(l) - m)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// TextEncoder embeds texts: the GoMLX model and the quantized engine both are one.
type TextEncoder interface {
	// EncodeTexts returns projected text features; a text longer than the context is an
	// error unless truncate is set.
	EncodeTexts(texts []string, truncate bool) ([][]float32, error)
	// LogitScaleValue is exp(logit_scale), clamped as the model applies it.
	LogitScaleValue() (float64, error)
}

// Build makes a classifier for labels from prompt templates with enc.
func Build(enc TextEncoder, labels, templates []string, truncate bool) (*Classifier, error) {
	if len(labels) == 0 {
		return nil, fmt.Errorf("no labels: give at least one label")
	}
	if len(templates) == 0 {
		return nil, fmt.Errorf("no prompt templates")
	}
	var prompts []string
	for _, l := range labels {
		for _, t := range templates {
			p, err := Fill(t, l)
			if err != nil {
				return nil, err
			}
			prompts = append(prompts, p)
		}
	}
	feats, err := enc.EncodeTexts(prompts, truncate)
	if err != nil {
		return nil, err
	}
	perLabel := make([][][]float32, len(labels))
	for i := range labels {
		perLabel[i] = feats[i*len(templates) : (i+1)*len(templates)]
	}
	scale, err := enc.LogitScaleValue()
	if err != nil {
		return nil, err
	}
	return NewClassifier(labels, perLabel, scale)
}
