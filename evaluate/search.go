package evaluate

import (
	"math"
	"math/rand/v2"
	"slices"
)

// The paper's search for the L2 strength (appendix A.3): start with C at 10^-6, 10^-4,
// …, 10^6 and halve the step around the best until it is 8 steps per decade.
var (
	searchStart = []float64{-6, -4, -2, 0, 2, 4, 6} // log10 C
	searchSteps = []float64{1, 0.5, 0.25, 0.125}
)

// chooseC picks the probe's C on a validation split of (vecs, labels) and returns it
// with its validation accuracy. The split is stratified (a quarter of each class with
// two or more images); when no class has two (one shot per class), a random quarter of
// the images regardless of class — there the search can only favour strong
// regularisation, which for one shot is the nearest-class-mean classifier anyway.
func chooseC(vecs [][]float32, labels []int, classes int, rng *rand.Rand) (float64, float64, error) {
	fitIdx, valIdx := validationSplit(labels, classes, rng)
	if len(valIdx) == 0 || len(fitIdx) == 0 {
		return 1, math.NaN(), nil // a single image: nothing to validate on
	}
	xf, yf := design(pick(vecs, fitIdx)), pick(labels, fitIdx)
	xv, yv := design(pick(vecs, valIdx)), pick(labels, valIdx)
	type trial struct {
		logC, acc, loss float64
		probe           *Probe
	}
	var tried []trial
	var best *trial
	try := func(logC float64, init *Probe) error {
		for _, t := range tried {
			if t.logC == logC {
				return nil
			}
		}
		p, err := fit(xf, yf, classes, math.Pow(10, logC), init)
		if err != nil {
			return err
		}
		var hits int
		for i, r := range p.Rank(pick(vecs, valIdx)) {
			if r[0] == yv[i] {
				hits++
			}
		}
		tried = append(tried, trial{logC, float64(hits) / float64(len(yv)), p.logLoss(xv, yv), p})
		return nil
	}
	update := func() {
		for i := range tried {
			t := &tried[i]
			// higher accuracy wins; on a tie, lower validation loss
			if best == nil || t.acc > best.acc || (t.acc == best.acc && t.loss < best.loss) {
				best = t
			}
		}
	}
	var prev *Probe
	for _, lc := range searchStart { // strong to weak: each fit starts from the last
		if err := try(lc, prev); err != nil {
			return 0, 0, err
		}
		prev = tried[len(tried)-1].probe
	}
	update()
	for _, step := range searchSteps {
		center := *best
		for _, lc := range []float64{center.logC - step, center.logC + step} {
			if err := try(lc, center.probe); err != nil {
				return 0, 0, err
			}
		}
		update()
	}
	return math.Pow(10, best.logC), best.acc, nil
}

// validationSplit holds out a quarter of each class (at least one of a class with two or
// more images, never its last), or, when that holds out nothing, a random quarter.
func validationSplit(labels []int, classes int, rng *rand.Rand) (fit, val []int) {
	byClass := make([][]int, classes)
	for i, y := range labels {
		byClass[y] = append(byClass[y], i)
	}
	for _, idx := range byClass {
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		nv := 0
		if len(idx) >= 2 {
			nv = max(1, len(idx)/4)
		}
		val = append(val, idx[:nv]...)
		fit = append(fit, idx[nv:]...)
	}
	if len(val) == 0 && len(labels) >= 2 {
		all := rng.Perm(len(labels))
		nv := max(1, len(all)/4)
		val, fit = all[:nv], all[nv:]
	}
	slices.Sort(fit)
	slices.Sort(val)
	return fit, val
}

// pick returns xs at idx, in idx's order.
func pick[T any](xs []T, idx []int) []T {
	out := make([]T, len(idx))
	for i, j := range idx {
		out[i] = xs[j]
	}
	return out
}
