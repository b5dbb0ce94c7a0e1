package evaluate

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// Probe is a multinomial logistic regression on L2-normalised image features: the
// paper's linear probe.
type Probe struct {
	Classes, Dim int
	C            float64   // the inverse L2 strength it was fitted with (sklearn's C)
	params       []float64 // W (Classes×Dim, row-major), then the Classes biases
}

// probeIterations bounds L-BFGS: the objective is smooth and convex, so it converges in
// tens to a few hundred iterations; weakly regularised fits on separable data would
// otherwise keep growing the weights for little change in accuracy.
const probeIterations = 300

// design turns features into the rows of the design matrix, L2-normalised as the paper
// does (CLIP's features live on the sphere; their norm carries no class information).
func design(vecs [][]float32) *mat.Dense {
	x := mat.NewDense(len(vecs), len(vecs[0]), nil)
	for i, v := range vecs {
		var ss float64
		for _, f := range v {
			ss += float64(f) * float64(f)
		}
		inv := 1 / math.Sqrt(max(ss, 1e-30))
		row := x.RawRowView(i)
		for k, f := range v {
			row[k] = float64(f) * inv
		}
	}
	return x
}

// objective is the probe's loss: the mean cross-entropy plus ‖W‖²/(2·C·n), which is
// sklearn's C·Σ CE + ½‖W‖² divided by C·n (so C means what it means there). The bias is
// not regularised.
type objective struct {
	x       *mat.Dense
	y       []int
	classes int
	c       float64
	// the last point evaluated, its loss and gradient: L-BFGS asks for the function and
	// the gradient at the same point, and one pass computes both.
	lastX []float64
	loss  float64
	grad  []float64
}

func (o *objective) eval(params []float64) {
	if o.lastX != nil && slices.Equal(o.lastX, params) {
		return
	}
	n, d := o.x.Dims()
	k := o.classes
	w := mat.NewDense(k, d, params[:k*d])
	b := params[k*d:]
	var logits mat.Dense
	logits.Mul(o.x, w.T()) // n×k
	var loss float64
	for i := range n {
		row := logits.RawRowView(i)
		m := math.Inf(-1)
		for j := range row {
			row[j] += b[j]
			m = max(m, row[j])
		}
		var sum float64
		for j := range row {
			row[j] = math.Exp(row[j] - m)
			sum += row[j]
		}
		loss += math.Log(sum) + m - (math.Log(row[o.y[i]]) + m)
		for j := range row { // row becomes (softmax − onehot)/n, the logits' gradient
			row[j] /= sum
		}
		row[o.y[i]]--
		for j := range row {
			row[j] /= float64(n)
		}
	}
	o.grad = slices.Grow(o.grad[:0], len(params))[:len(params)]
	gw := mat.NewDense(k, d, o.grad[:k*d])
	gw.Mul(logits.T(), o.x)
	reg := 1 / (o.c * float64(n))
	var wss float64
	for i, v := range params[:k*d] {
		wss += v * v
		o.grad[i] += reg * v
	}
	gb := o.grad[k*d:]
	for j := range gb {
		gb[j] = 0
		for i := range n {
			gb[j] += logits.At(i, j)
		}
	}
	o.loss = loss/float64(n) + reg*wss/2
	o.lastX = append(o.lastX[:0], params...)
}

// FitProbe fits a probe with inverse L2 strength c on features (vecs) and labels, with
// gonum's L-BFGS, starting from init when it is given (a neighbouring C's solution).
func FitProbe(vecs [][]float32, labels []int, classes int, c float64, init *Probe) (*Probe, error) {
	if len(vecs) == 0 {
		return nil, errors.New("probe: no training images")
	}
	x := design(vecs)
	return fit(x, labels, classes, c, init)
}

func fit(x *mat.Dense, labels []int, classes int, c float64, init *Probe) (*Probe, error) {
	_, d := x.Dims()
	o := &objective{x: x, y: labels, classes: classes, c: c}
	p0 := make([]float64, classes*d+classes)
	if init != nil && len(init.params) == len(p0) {
		copy(p0, init.params)
	}
	prob := optimize.Problem{
		Func: func(p []float64) float64 { o.eval(p); return o.loss },
		Grad: func(g, p []float64) { o.eval(p); copy(g, o.grad) },
	}
	settings := &optimize.Settings{GradientThreshold: 1e-6, MajorIterations: probeIterations}
	res, err := optimize.Minimize(prob, p0, settings, &optimize.LBFGS{})
	// Stopping at the iteration limit is a usable (nearly converged) fit, not a failure.
	// Nor is a line search that gives up: on separable data a weakly regularised loss has
	// no minimum at finite weights (it keeps falling as they grow, towards 0), and once
	// float64 can no longer tell a step's decrease apart the search fails. The last point
	// L-BFGS accepted (res.X, its loss res.F) classifies as well as any further one would.
	// Only a fit without an accepted point, or one that reached NaN, is an error.
	if err != nil && (res == nil || math.IsInf(res.F, 0) || math.IsNaN(res.F) || slices.ContainsFunc(res.X, math.IsNaN)) {
		return nil, fmt.Errorf("probe: L-BFGS: %w", err)
	}
	return &Probe{Classes: classes, Dim: d, C: c, params: res.X}, nil
}

// scores returns the logits of each row of x.
func (p *Probe) scores(x *mat.Dense) *mat.Dense {
	n, _ := x.Dims()
	w := mat.NewDense(p.Classes, p.Dim, p.params[:p.Classes*p.Dim])
	var logits mat.Dense
	logits.Mul(x, w.T())
	b := p.params[p.Classes*p.Dim:]
	for i := range n {
		row := logits.RawRowView(i)
		for j := range row {
			row[j] += b[j]
		}
	}
	return &logits
}

// Rank returns each feature's classes, most probable first.
func (p *Probe) Rank(vecs [][]float32) [][]int {
	if len(vecs) == 0 {
		return nil
	}
	logits := p.scores(design(vecs))
	out := make([][]int, len(vecs))
	for i := range out {
		out[i] = rank(logits.RawRowView(i))
	}
	return out
}

// logLoss is the mean cross-entropy of the probe on (x, labels): the tie-breaker of the
// strength search.
func (p *Probe) logLoss(x *mat.Dense, labels []int) float64 {
	logits := p.scores(x)
	var loss float64
	for i, y := range labels {
		row := logits.RawRowView(i)
		m := slices.Max(row)
		var sum float64
		for _, v := range row {
			sum += math.Exp(v - m)
		}
		loss += math.Log(sum) + m - row[y]
	}
	return loss / float64(len(labels))
}
