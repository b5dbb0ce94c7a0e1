package train

import (
	"math"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/fixtures"
	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/weights"
	"github.com/gomlx/gomlx/core/tensors"
)

// fixtureBatch is the reference training batch: the fixture's N images with its first N texts.
func fixtureBatch(t *testing.T) (Batch, *weights.File) {
	t.Helper()
	exp, err := weights.ReadFile(fixtures.Path(t, "openai-tiny", "expected.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	px, _ := exp.Tensors["pixel_values"].Float32s()
	n := exp.Tensors["pixel_values"].Shape[0]
	ids, _ := exp.Tensors["input_ids"].Int64s()
	ctx := exp.Tensors["input_ids"].Shape[1]
	b := Batch{Pixels: px}
	for i := 0; i < n; i++ {
		row := make([]int, ctx)
		for j := range row {
			row[j] = int(ids[i*ctx+j])
		}
		b.Tokens = append(b.Tokens, row)
	}
	step, err := weights.ReadFile(fixtures.Path(t, "openai-tiny", "train-step.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	return b, step
}

// section returns the fixture tensors under prefix, renamed to hub names.
func section(t *testing.T, f *weights.File, prefix string) map[string][]float32 {
	t.Helper()
	sub := weights.NewFile()
	for name, tt := range f.Tensors {
		if rest, ok := strings.CutPrefix(name, prefix); ok {
			sub.Tensors[rest] = tt
		}
	}
	params, _, err := model.ParamsFromFile(sub)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float32{}
	for n, tt := range params {
		out[n], _ = tt.Float32s()
	}
	return out
}

func relErr(got, want []float32) float64 {
	var diff, scale float64
	for i := range want {
		diff = math.Max(diff, math.Abs(float64(got[i]-want[i])))
		scale = math.Max(scale, math.Abs(float64(want[i])))
	}
	if scale == 0 {
		return diff
	}
	return diff / scale
}

func tinyTrainer(t *testing.T, h Hyper) *Trainer {
	t.Helper()
	cfg, params, err := model.LoadWeights(fixtures.Path(t, "openai-tiny", "hf.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	return trainerFor(t, "", cfg, params, h)
}

// fixtureHyper is the reference step's optimizer: AdamW lr 1e-3, β (0.9, 0.98), ε 1e-6,
// weight decay 0.2, constant learning rate for the step, no clipping.
func fixtureHyper(micro int) Hyper {
	return Hyper{Steps: 10, Batch: 3, MicroBatch: micro, LR: 1e-3, WeightDecay: 0.2, Beta1: 0.9, Beta2: 0.98, Eps: 1e-6}
}

func TestTrainStepMatchesReference(t *testing.T) {
	batch, ref := fixtureBatch(t)
	wantLoss, _ := ref.Tensors["loss"].Float32s()
	wantGrads := section(t, ref, "grad/")
	wantAfter := section(t, ref, "after_step/")
	for _, micro := range []int{0, 1} { // full batch, and gradient caching one pair at a time
		tr := tinyTrainer(t, fixtureHyper(micro))
		loss, err := tr.ComputeGradients(batch)
		if err != nil {
			t.Fatal(err)
		}
		if e := math.Abs(loss-float64(wantLoss[0])) / float64(wantLoss[0]); e > 1e-4 {
			t.Errorf("micro=%d: loss %.7f, reference %.7f", micro, loss, wantLoss[0])
		}
		grads, err := tr.Gradients()
		if err != nil {
			t.Fatal(err)
		}
		if len(grads) != len(wantGrads) {
			t.Errorf("%d gradients, reference has %d", len(grads), len(wantGrads))
		}
		worst, worstName := 0.0, ""
		for name, want := range wantGrads {
			if zeroGradient(name) {
				// Float noise on both sides (~1e-9): only check that it is noise.
				if g := maxAbs(grads[name]); g > 1e-6 {
					t.Errorf("micro=%d: %s gradient %.2e, want ≈ 0", micro, name, g)
				}
				continue
			}
			if e := relErr(grads[name], want); e > worst {
				worst, worstName = e, name
			}
		}
		if worst > 1e-4 {
			t.Errorf("micro=%d: gradient of %s off by %.2e relative", micro, worstName, worst)
		}
		t.Logf("micro=%d: loss %.7f; worst gradient %s at %.2e", micro, loss, worstName, worst)
		before := map[string][]float32{}
		for _, name := range tr.names {
			v, _ := tr.Model.Store.GetVariable(model.VarPath(name)).Value()
			before[name] = tensors.MustCopyFlatData[float32](v)
		}
		if _, err := tr.Apply(); err != nil {
			t.Fatal(err)
		}
		// Adam's first step moves each element by lr·g/(|g|+ε): where |g| is near ε = 1e-6
		// the step depends on rounding noise in g (both sides compute g in float32 with
		// their own summation order), so elements with |g_ref| < 100ε are checked against
		// the AdamW formula on our own gradient, and all others against the reference.
		h := tr.Hyper
		worst, worstName = 0, ""
		for name, want := range wantAfter {
			v, _ := tr.Model.Store.GetVariable(model.VarPath(name)).Value()
			got := tensors.MustCopyFlatData[float32](v)
			scale := maxAbs(want)
			decay := 0.0
			if len(tr.Model.Config.ParamShapes()[name]) >= 2 {
				decay = h.WeightDecay
			}
			for i := range want {
				g := float64(grads[name][i])
				if math.Abs(float64(wantGrads[name][i])) < 100*h.Eps {
					formula := float64(before[name][i])*(1-h.LR*decay) - h.LR*g/(math.Abs(g)+h.Eps)
					if d := math.Abs(float64(got[i]) - formula); d > 1e-6 {
						t.Errorf("micro=%d: %s[%d] = %v, AdamW formula gives %v", micro, name, i, got[i], formula)
					}
					continue
				}
				if e := math.Abs(float64(got[i]-want[i])) / scale; e > worst {
					worst, worstName = e, name
				}
			}
		}
		if worst > 1e-4 {
			t.Errorf("micro=%d: parameter %s after the AdamW step off by %.2e relative", micro, worstName, worst)
		}
		t.Logf("micro=%d: worst parameter after the step %s at %.2e", micro, worstName, worst)
	}
}

func maxAbs(v []float32) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(float64(x)))
	}
	return m
}

// zeroGradient tells the parameters whose gradient is zero in exact arithmetic: a key bias
// adds q·b to every score of a query row, which the softmax ignores. Their computed
// gradients are rounding noise, in the reference and here, so they are compared as noise.
func zeroGradient(name string) bool { return strings.HasSuffix(name, "k_proj.bias") }

// worstGradient is the largest relative error (relErr) of got's gradients against
// want's, and whose it is, leaving out those that are zero in truth (zeroGradient).
func worstGradient(got, want map[string][]float32) (float64, string) {
	worst, worstName := 0.0, ""
	for name, w := range want {
		if zeroGradient(name) {
			continue
		}
		if e := relErr(got[name], w); e > worst || math.IsNaN(e) {
			worst, worstName = e, name
		}
	}
	return worst, worstName
}
