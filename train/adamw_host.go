package train

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"

	"github.com/clip-go/clip/model"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	gmodel "github.com/gomlx/gomlx/ml/model"
)

// The AdamW step on the host, for the pure-Go backend, whose buffers are host memory.
//
// Why: the graph version (adamW) is 14 element-wise passes over every parameter, which the
// Go backend runs one at a time on one core — about 15% of a training step for the `small`
// shape, whose 20.7M parameters are mostly the token embedding. Here it is one pass per
// parameter, reading the gradient and updating the parameter and both moments in place,
// split across cores. The parameters and moments are kept in shared tensors (memory the
// backend computes on directly), so no copies are made; the gradients are read where the
// last graph left them. The arithmetic is adamW's, in float32, in the same order; only
// the global norm is summed in float64.

// hostOptimizer tells whether Apply runs AdamW on the host: on the pure-Go backend (whose
// Name is "Go Backend"), whose buffers are Go memory that the host can update in place.
// XLA's CPU plugin shares buffers too, but its aliasing rules are not tested here, and on
// an accelerator the graph's AdamW is the fast one.
func hostOptimizer(b compute.Backend) bool {
	return b.HasSharedBuffers() && strings.HasPrefix(b.Name(), "Go")
}

// hostAdamW is Apply's AdamW step on the host; it returns the gradient norm before
// clipping. The inputs are as for adamW.
func (t *Trainer) hostAdamW(lr, stepSize, sqrtBC2 float64) (float64, error) {
	grads := make([][]float32, len(t.params))
	params := make([][]float32, len(t.params))
	m1 := make([][]float32, len(t.params))
	m2 := make([][]float32, len(t.params))
	for i := range t.params {
		var err error
		if params[i], err = t.sharedFlat(t.params[i]); err != nil {
			return 0, err
		}
		if m1[i], err = t.sharedFlat(t.moment1[i]); err != nil {
			return 0, err
		}
		if m2[i], err = t.sharedFlat(t.moment2[i]); err != nil {
			return 0, err
		}
		gt, err := t.grads[i].Value()
		if err != nil {
			return 0, err
		}
		// A view of the backend's buffer (shared-buffer backends need no copy to read).
		if err := gt.ConstFlatData(func(flat any) { grads[i] = flat.([]float32) }); err != nil {
			return 0, err
		}
	}

	// Work items of at most chunk values, so that the token embedding is shared by all
	// cores and the small tensors by any.
	const chunk = 1 << 16
	type item struct{ i, lo, hi int }
	var items []item
	for i, g := range grads {
		for lo := 0; lo < len(g); lo += chunk {
			items = append(items, item{i, lo, min(lo+chunk, len(g))})
		}
	}
	// parallel runs fn on every item, the items split evenly across cores.
	parallel := func(fn func(it item, k int)) {
		workers := min(runtime.GOMAXPROCS(0), len(items))
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := w * len(items) / workers; k < (w+1)*len(items)/workers; k++ {
					fn(items[k], k)
				}
			}()
		}
		wg.Wait()
	}

	// The global norm: per-item sums of squares in float64, added in item order (the
	// same result for any number of cores).
	sums := make([]float64, len(items))
	parallel(func(it item, k int) {
		var s float64
		for _, g := range grads[it.i][it.lo:it.hi] {
			s += float64(g) * float64(g)
		}
		sums[k] = s
	})
	var sumSq float64
	for _, s := range sums {
		sumSq += s
	}
	norm := math.Sqrt(sumSq)

	h := t.Hyper
	clip := float32(1)
	if h.GradClip > 0 {
		clip = min(float32(h.GradClip)/(float32(norm)+1e-6), 1)
	}
	c1 := clip * float32(1-h.Beta1)
	c2 := clip * clip * float32(1-h.Beta2)
	beta1, beta2 := float32(h.Beta1), float32(h.Beta2)
	rate := float32(stepSize) * float32(sqrtBC2)
	eps := float32(sqrtBC2) * float32(h.Eps)
	decay := 1 - float32(lr)*float32(h.WeightDecay)
	maxScale := float32(math.Log(model.MaxLogitScale))

	parallel(func(it item, _ int) {
		i := it.i
		decayed := t.params[i].Shape().Rank() >= 2 && h.WeightDecay > 0
		logit := t.names[i] == "logit_scale"
		g, p, m, v := grads[i][it.lo:it.hi], params[i][it.lo:it.hi], m1[i][it.lo:it.hi], m2[i][it.lo:it.hi]
		p, m, v = p[:len(g)], m[:len(g)], v[:len(g)]
		for j, gj := range g {
			mj := float32(beta1*m[j]) + float32(gj*c1)
			vj := float32(beta2*v[j]) + float32(float32(gj*gj)*c2)
			m[j], v[j] = mj, vj
			pj := p[j]
			if decayed {
				pj = float32(pj * decay)
			}
			pj -= float32(float32(mj/float32(float32(math.Sqrt(float64(vj)))+eps)) * rate)
			if logit {
				pj = max(0, min(pj, maxScale))
			}
			p[j] = pj
		}
	})
	runtime.KeepAlive(grads)
	if _, err := call(t.zeroExec); err != nil {
		return 0, err
	}
	return norm, nil
}

// sharedFlat returns the values of v for in-place updates, first moving them into a
// shared tensor if they are not in one (after initialisation or a checkpoint restore).
func (t *Trainer) sharedFlat(v *gmodel.Variable) ([]float32, error) {
	val, err := v.Value()
	if err != nil {
		return nil, err
	}
	if !val.IsShared() {
		shared := tensors.FromShape(val.Shape())
		if err := val.ConstFlatData(func(src any) {
			shared.MutableFlatData(func(dst any) { copy(dst.([]float32), src.([]float32)) })
		}); err != nil {
			return nil, err
		}
		if err := shared.MaterializeOnDevice(t.Model.Backend, true, 0); err != nil {
			return nil, err
		}
		if !shared.IsShared() {
			return nil, fmt.Errorf("variable %s: the backend gave no shared buffer", v.Path())
		}
		if err := v.SetValue(shared); err != nil {
			return nil, err
		}
		val = shared
	}
	var flat []float32
	err = val.MutableFlatData(func(f any) { flat = f.([]float32) })
	return flat, err
}
