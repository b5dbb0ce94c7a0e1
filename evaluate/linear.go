package evaluate

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// ProbeResult is a linear probe's accuracy on a test set, with the C its search chose.
type ProbeResult struct {
	Accuracy
	C       float64 `json:"c"`
	ValTop1 float64 `json:"val_top1"` // the chosen C's accuracy on the validation split
	Train   int     `json:"train_images"`
}

// LinearProbe fits a probe on train (C chosen on a validation split of it, then refitted
// on all of it, as the paper does) and measures it on test.
func LinearProbe(train, test Data, classes []string, seed uint64) (*ProbeResult, error) {
	if len(train.Vecs) == 0 || len(test.Vecs) == 0 {
		return nil, fmt.Errorf("probe: %d training and %d test images: need both", len(train.Vecs), len(test.Vecs))
	}
	rng := rand.New(rand.NewPCG(seed, 0xc11b))
	c, valAcc, err := chooseC(train.Vecs, train.Labels, len(classes), rng)
	if err != nil {
		return nil, err
	}
	p, err := FitProbe(train.Vecs, train.Labels, len(classes), c, nil)
	if err != nil {
		return nil, err
	}
	return &ProbeResult{Accuracy: score(classes, test.Labels, p.Rank(test.Vecs)), C: c, ValTop1: valAcc, Train: len(train.Vecs)}, nil
}

// ShotResult is the k-shot probe's test top-1 over seeds: k images of each class drawn
// per seed from the training data.
type ShotResult struct {
	K     int       `json:"k"`
	Mean  float64   `json:"top1_mean"`
	Std   float64   `json:"top1_std"` // the sample standard deviation over seeds
	Top1  []float64 `json:"top1"`     // per seed
	C     []float64 `json:"c"`        // per seed, the chosen C
	Short int       `json:"short_classes,omitempty"`
	Train int       `json:"train_images"` // k per class, fewer for the short classes
}

// KShot runs LinearProbe on k images per class for each k and seed (seeds 0…seeds-1,
// so a run is reproducible).
func KShot(train, test Data, classes []string, shots []int, seeds int) ([]ShotResult, error) {
	var out []ShotResult
	for _, k := range shots {
		if k < 1 {
			return nil, fmt.Errorf("k-shot: k must be at least 1, not %d", k)
		}
		r := ShotResult{K: k}
		for seed := range seeds {
			rng := rand.New(rand.NewPCG(uint64(seed), uint64(k)))
			shot, short := train.Shots(k, len(classes), rng)
			r.Short, r.Train = short, len(shot.Vecs)
			p, err := LinearProbe(shot, test, classes, uint64(seed))
			if err != nil {
				return nil, fmt.Errorf("%d-shot, seed %d: %w", k, seed, err)
			}
			r.Top1 = append(r.Top1, p.Top1)
			r.C = append(r.C, p.C)
		}
		r.Mean, r.Std = meanStd(r.Top1)
		out = append(out, r)
	}
	return out, nil
}

// meanStd is the mean and sample standard deviation (0 for one value).
func meanStd(xs []float64) (float64, float64) {
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1))
}
