// Package train is contrastive pre-training of CLIP with GoMLX: the symmetric
// cross-entropy objective, AdamW, gradient caching for large batches, checkpoints that
// resume exactly, and the training loop.
package train

import (
	"fmt"
	"math"
)

// Hyper are the training settings. They are saved with every checkpoint, so a resumed run
// continues with the settings it started with.
type Hyper struct {
	Steps       int     `json:"steps"`        // optimizer steps in total
	Batch       int     `json:"batch"`        // contrastive batch: pairs per step
	MicroBatch  int     `json:"micro_batch"`  // pairs per forward/backward pass; < Batch turns on gradient caching
	LR          float64 `json:"lr"`           // peak learning rate
	Warmup      int     `json:"warmup"`       // linear warm-up steps
	WeightDecay float64 `json:"weight_decay"` // AdamW decay, on weights of rank ≥ 2 only
	Beta1       float64 `json:"beta1"`
	Beta2       float64 `json:"beta2"`
	Eps         float64 `json:"eps"`
	GradClip    float64 `json:"grad_clip"` // max global gradient norm; 0 = off
	Seed        uint64  `json:"seed"`
	Augment     bool    `json:"augment"` // random resized crop
	MinScale    float64 `json:"min_scale"`
	MaxScale    float64 `json:"max_scale"`
	// Style is the probability of redrawing a training image in another style (line
	// art, silhouette, greyscale, palette; package data's style.go).
	Style float64 `json:"style,omitempty"`
	// MultiPositive makes pairs of one concept positives of each other in the loss
	// instead of negatives (ContrastiveLoss's groups).
	MultiPositive bool `json:"multi_positive,omitempty"`
	// Loss is the objective: "softmax" (or "", as checkpoints before the setting existed
	// record it) is CLIP's contrastive cross-entropy (ContrastiveLoss), "sigmoid" SigLIP's
	// pairwise loss (SigmoidLoss) with its learnable bias logit_bias.
	Loss string `json:"loss,omitempty"`
	// LockText trains only the image tower and the logit scale (and the sigmoid loss's
	// bias): the text tower is used as it is, LiT's locked tower (Zhai et al. 2022) on the
	// text side, for a text tower distilled from a teacher (distill.go).
	LockText bool `json:"lock_text,omitempty"`
	// BF16 runs the linear layers' matrix products in bfloat16 (float32 accumulation,
	// float32 master weights): faster on GPUs with bf16 units, no faster on the Go backend.
	BF16 bool `json:"bf16,omitempty"`
}

// DefaultHyper is the paper's recipe (AdamW β=(0.9, 0.98), ε=1e-6, decoupled weight decay
// 0.2, cosine schedule with warm-up) at a scale that trains on a CPU.
func DefaultHyper() Hyper {
	return Hyper{
		Steps: 1000, Batch: 64, LR: 5e-4, Warmup: 100, WeightDecay: 0.2,
		Beta1: 0.9, Beta2: 0.98, Eps: 1e-6, GradClip: 1.0, Seed: 1,
		Augment: true, MinScale: 0.9, MaxScale: 1.0,
	}
}

// Validate rejects settings that cannot train.
func (h Hyper) Validate() error {
	switch {
	case h.Steps < 1:
		return fmt.Errorf("steps must be at least 1, got %d", h.Steps)
	case h.Batch < 2:
		return fmt.Errorf("batch must be at least 2 (a contrastive batch needs negatives), got %d", h.Batch)
	case h.MicroBatch < 0 || h.MicroBatch > h.Batch:
		return fmt.Errorf("micro-batch %d must be between 1 and the batch %d", h.MicroBatch, h.Batch)
	case h.MicroBatch > 0 && h.Batch%h.MicroBatch != 0:
		return fmt.Errorf("batch %d is not a multiple of the micro-batch %d", h.Batch, h.MicroBatch)
	case !(h.LR > 0) || math.IsInf(h.LR, 0):
		return fmt.Errorf("learning rate must be positive, got %v", h.LR)
	case h.Warmup < 0:
		return fmt.Errorf("warm-up must not be negative")
	case h.Beta1 < 0 || h.Beta1 >= 1 || h.Beta2 < 0 || h.Beta2 >= 1:
		return fmt.Errorf("betas must be in [0, 1), got %v, %v", h.Beta1, h.Beta2)
	case !(h.Eps > 0):
		return fmt.Errorf("eps must be positive")
	case h.WeightDecay < 0 || h.GradClip < 0:
		return fmt.Errorf("weight decay and gradient clipping must not be negative")
	case h.CheckLoss() != nil:
		return h.CheckLoss()
	case !(h.Style >= 0 && h.Style <= 1):
		return fmt.Errorf("style probability must be within [0, 1], got %v", h.Style)
	case h.Augment && (h.MinScale <= 0 || h.MaxScale > 1 || h.MinScale > h.MaxScale):
		return fmt.Errorf("crop scale range [%v, %v] must lie in (0, 1]", h.MinScale, h.MaxScale)
	}
	return nil
}

// LearningRate is the schedule: linear warm-up to LR over Warmup steps, then a cosine decay
// to zero at Steps (open_clip's cosine_lr). step counts from 0.
func (h Hyper) LearningRate(step int) float64 {
	if step < h.Warmup {
		return h.LR * float64(step+1) / float64(h.Warmup)
	}
	e, es := float64(step-h.Warmup), float64(h.Steps-h.Warmup)
	if es <= 0 {
		return h.LR
	}
	return 0.5 * (1 + math.Cos(math.Pi*e/es)) * h.LR
}

// The losses Hyper.Loss names.
const (
	LossSoftmax = "softmax"
	LossSigmoid = "sigmoid"
)

// LossName is the loss the settings train with ("" is softmax).
func (h Hyper) LossName() string {
	if h.Loss == "" {
		return LossSoftmax
	}
	return h.Loss
}

// CheckLoss rejects a loss name that is not one of the losses.
func (h Hyper) CheckLoss() error {
	if h.Loss != "" && h.Loss != LossSoftmax && h.Loss != LossSigmoid {
		return fmt.Errorf("loss %q: want %s or %s", h.Loss, LossSoftmax, LossSigmoid)
	}
	return nil
}

func (h Hyper) sigmoid() bool { return h.Loss == LossSigmoid }

// micro is the effective micro-batch size.
func (h Hyper) micro() int {
	if h.MicroBatch == 0 {
		return h.Batch
	}
	return h.MicroBatch
}
