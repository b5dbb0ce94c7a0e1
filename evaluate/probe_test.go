package evaluate

import (
	"math"
	"math/rand/v2"
	"testing"
)

// clusters generates n labelled features per class around one random direction per
// class, with Gaussian noise of the given spread: small spreads are linearly separable.
func clusters(classes, perClass, dim int, spread float64, seed uint64) Data {
	rng := rand.New(rand.NewPCG(seed, 1))
	centers := make([][]float64, classes)
	for c := range centers {
		centers[c] = make([]float64, dim)
		for k := range centers[c] {
			centers[c][k] = rng.NormFloat64()
		}
	}
	var d Data
	for range perClass {
		for c := range classes {
			v := make([]float32, dim)
			for k := range v {
				v[k] = float32(centers[c][k] + spread*rng.NormFloat64())
			}
			d.Vecs = append(d.Vecs, v)
			d.Labels = append(d.Labels, c)
		}
	}
	return d
}

func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = string(rune('a' + i))
	}
	return out
}

// TestLinearProbe: on a separable set the probe is perfect; with the labels permuted at
// random it can only memorise the training split and falls to chance on the test split.
func TestLinearProbe(t *testing.T) {
	const classes = 4
	separable := clusters(classes, 60, 16, 0.2, 1)
	permuted := Data{Vecs: separable.Vecs, Labels: append([]int(nil), separable.Labels...)}
	rng := rand.New(rand.NewPCG(7, 7))
	rng.Shuffle(len(permuted.Labels), func(a, b int) {
		permuted.Labels[a], permuted.Labels[b] = permuted.Labels[b], permuted.Labels[a]
	})
	for _, tc := range []struct {
		name     string
		data     Data
		min, max float64 // test top-1 bounds
	}{
		{"separable", separable, 1, 1},
		// chance is 0.25; 120 test images put 3 standard deviations at ±0.12
		{"permuted labels", permuted, 0.10, 0.40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			train, test, err := tc.data.Split(0.5, classes, 3)
			if err != nil {
				t.Fatal(err)
			}
			if len(train.Vecs) != 120 || len(test.Vecs) != 120 {
				t.Fatalf("split %d/%d, want 120/120", len(train.Vecs), len(test.Vecs))
			}
			res, err := LinearProbe(train, test, names(classes), 1)
			if err != nil {
				t.Fatal(err)
			}
			if res.Top1 < tc.min || res.Top1 > tc.max {
				t.Errorf("test top-1 %.3f (C=%g), want in [%.2f, %.2f]", res.Top1, res.C, tc.min, tc.max)
			}
		})
	}
}

// TestKShotRises: on overlapping clusters one example per class is a poor guess of the
// class and sixteen a good one, so the mean accuracy rises with k.
func TestKShotRises(t *testing.T) {
	const classes = 5
	train, test, err := clusters(classes, 60, 16, 1.6, 2).Split(0.5, classes, 1)
	if err != nil {
		t.Fatal(err)
	}
	res, err := KShot(train, test, names(classes), []int{1, 4, 16}, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(res); i++ {
		if res[i].Mean <= res[i-1].Mean {
			t.Errorf("%d-shot %.3f is not above %d-shot %.3f", res[i].K, res[i].Mean, res[i-1].K, res[i-1].Mean)
		}
	}
	if len(res[0].Top1) != 3 {
		t.Errorf("%d seeds' results, want 3", len(res[0].Top1))
	}
	if res[len(res)-1].Mean-res[0].Mean < 0.1 {
		t.Errorf("16-shot %.3f vs 1-shot %.3f: the curve hardly rises", res[len(res)-1].Mean, res[0].Mean)
	}
}

// TestProbeGradient: the analytic gradient L-BFGS is given matches finite differences.
func TestProbeGradient(t *testing.T) {
	d := clusters(3, 4, 5, 1, 3)
	o := &objective{x: design(d.Vecs), y: d.Labels, classes: 3, c: 0.7}
	rng := rand.New(rand.NewPCG(1, 2))
	p := make([]float64, 3*5+3)
	for i := range p {
		p[i] = rng.NormFloat64()
	}
	o.eval(p)
	grad := append([]float64(nil), o.grad...)
	const h = 1e-6
	for i := range p {
		q := append([]float64(nil), p...)
		q[i] += h
		o.eval(q)
		up := o.loss
		q[i] -= 2 * h
		o.eval(q)
		if num := (up - o.loss) / (2 * h); math.Abs(num-grad[i]) > 1e-6 {
			t.Errorf("d/dp[%d]: analytic %.8f, numeric %.8f", i, grad[i], num)
		}
	}
}

// TestProbeSeparableFewShots: features that separate the classes perfectly (three
// classes, each picture of a class the same feature, as flat coloured discs give a tiny
// CLIP), with one and two shots per class. Weakly regularised, the loss has no minimum
// at finite weights (the weights grow while the loss shrinks towards 0) and L-BFGS's
// line search gives up; the probe still returns its best classifier, which is perfect.
// It used to fail: "probe: L-BFGS: linesearch: failed to converge".
func TestProbeSeparableFewShots(t *testing.T) {
	const classes = 3
	for _, spread := range []float64{0, 1e-3} {
		train, test, err := clusters(classes, 8, 16, spread, 3).Split(0.5, classes, 1)
		if err != nil {
			t.Fatal(err)
		}
		res, err := KShot(train, test, names(classes), []int{1, 2}, 3)
		if err != nil {
			t.Fatalf("spread %g: %v", spread, err)
		}
		for _, r := range res {
			if r.Mean != 1 {
				t.Errorf("spread %g, %d-shot: top-1 %.3f, want 1", spread, r.K, r.Mean)
			}
		}
		for _, logC := range []float64{-6, 0, 6, 9} {
			p, err := FitProbe(train.Vecs, train.Labels, classes, math.Pow(10, logC), nil)
			if err != nil {
				t.Fatalf("spread %g, C 1e%g: %v", spread, logC, err)
			}
			for i, r := range p.Rank(test.Vecs) {
				if r[0] != test.Labels[i] {
					t.Errorf("spread %g, C 1e%g: test image %d ranked %v, label %d", spread, logC, i, r, test.Labels[i])
				}
			}
		}
	}
}
