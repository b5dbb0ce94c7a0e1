package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/model/arch"
	"github.com/clip-go/clip/model/zeroshot"
	"github.com/clip-go/clip/weights"
)

// randomBatch makes n pairs for cfg: random pixels and token rows of varied lengths.
func randomBatch(cfg model.Config, n int, seed uint64) Batch {
	rng := rand.New(rand.NewPCG(seed, 2))
	s := cfg.Vision.ImageSize
	b := Batch{Pixels: make([]float32, n*cfg.Vision.NumChannels*s*s)}
	for i := range b.Pixels {
		b.Pixels[i] = float32(rng.NormFloat64())
	}
	for i := 0; i < n; i++ {
		row := []int{cfg.Text.BosTokenID}
		for k := 0; k < 2+rng.IntN(12); k++ {
			row = append(row, 1+rng.IntN(1000))
		}
		b.Tokens = append(b.Tokens, append(row, cfg.Text.EosTokenID))
	}
	return b
}

func newRandomTrainer(t testing.TB, preset string, h Hyper) *Trainer {
	t.Helper()
	cfg, err := arch.Preset(preset)
	if err != nil {
		t.Fatal(err)
	}
	return trainerFor(t, "", cfg, model.InitParams(cfg, 5), h)
}

// modelFor builds a model of cfg and params on the backend spec ("": the default).
func modelFor(t testing.TB, spec string, cfg model.Config, params map[string]*weights.Tensor) *model.Model {
	t.Helper()
	be, err := model.NewBackend(spec)
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(be, cfg, params)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// trainerFor builds a trainer for cfg and params on the backend spec ("": the default).
func trainerFor(t testing.TB, spec string, cfg model.Config, params map[string]*weights.Tensor, h Hyper) *Trainer {
	t.Helper()
	tr, err := New(modelFor(t, spec, cfg, params), h)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestGradientCachingEqualsFullBatch: the gradients of a batch of 12 computed in
// micro-batches of 4, 3 and 1 equal those of the whole batch at once, with every pair
// its own group and with groups of several pairs (multi-positive targets).
func TestGradientCachingEqualsFullBatch(t *testing.T) {
	var distinctLoss float64
	for _, groups := range [][]int32{nil, {0, 1, 0, 2, 3, 1, 4, 5, 6, 7, 8, 0}} {
		h := DefaultHyper()
		h.Batch = 12
		full := newRandomTrainer(t, "tiny", h)
		batch := randomBatch(full.Model.Config, 12, 9)
		batch.Groups = groups
		wantLoss, err := full.ComputeGradients(batch)
		if err != nil {
			t.Fatal(err)
		}
		if groups == nil {
			distinctLoss = wantLoss
		} else if math.Abs(wantLoss-distinctLoss) < 1e-4 {
			t.Errorf("groups left the loss at %v", wantLoss)
		}
		want, _ := full.Gradients()
		sameAsFullBatch(t, h, batch, wantLoss, want, []int{4, 3, 1})
	}
}

// TestTrainingLowersLoss: a few steps on one fixed batch must fit it.
func TestTrainingLowersLoss(t *testing.T) {
	h := DefaultHyper()
	h.Batch, h.MicroBatch, h.Steps, h.Warmup, h.LR = 8, 4, 30, 3, 1e-3
	tr := newRandomTrainer(t, "tiny", h)
	batch := randomBatch(tr.Model.Config, 8, 3)
	first, _, err := tr.TrainStep(batch)
	if err != nil {
		t.Fatal(err)
	}
	var last float64
	for i := 1; i < h.Steps; i++ {
		if last, _, err = tr.TrainStep(batch); err != nil {
			t.Fatal(err)
		}
	}
	if !(last < first*0.5) {
		t.Errorf("loss went from %.4f to %.4f in %d steps, want at least halved", first, last, h.Steps)
	}
	t.Logf("loss %.4f → %.4f", first, last)
}

// TestBF16GradientsCloseToFloat32: bf16 matrix products change the loss and gradients
// only by bf16 rounding.
func TestBF16GradientsCloseToFloat32(t *testing.T) {
	h := DefaultHyper()
	h.Batch = 8
	f32 := newRandomTrainer(t, "tiny", h)
	batch := randomBatch(f32.Model.Config, 8, 4)
	want, err := f32.ComputeGradients(batch)
	if err != nil {
		t.Fatal(err)
	}
	wantGrads, _ := f32.Gradients()
	h.BF16 = true
	bf := newRandomTrainer(t, "tiny", h)
	got, err := bf.ComputeGradients(batch)
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(got - want); d > 1e-2*want {
		t.Errorf("bf16 loss %.5f, float32 %.5f", got, want)
	}
	grads, _ := bf.Gradients()
	for name, w := range wantGrads {
		if zeroGradient(name) || maxAbs(w) == 0 {
			continue
		}
		if c := zeroshot.Cosine(grads[name], w); c < 0.98 {
			t.Errorf("%s: bf16 gradient cosine %.4f to float32", name, c)
		}
	}
}

// sameAsFullBatch trains fresh tiny trainers of h on batch in each micro-batch size and
// checks their loss and gradients against the full batch's (wantLoss, want).
func sameAsFullBatch(t *testing.T, h Hyper, batch Batch, wantLoss float64, want map[string][]float32, micros []int) {
	t.Helper()
	for _, micro := range micros {
		h.MicroBatch = micro
		tr := newRandomTrainer(t, "tiny", h)
		loss, err := tr.ComputeGradients(batch)
		if err != nil {
			t.Fatal(err)
		}
		if d := loss - wantLoss; d > 1e-5 || d < -1e-5 {
			t.Errorf("groups %v micro=%d: loss %v, full batch %v", batch.Groups, micro, loss, wantLoss)
		}
		got, _ := tr.Gradients()
		for name, w := range want {
			if zeroGradient(name) {
				continue
			}
			if e := relErr(got[name], w); e > 1e-4 {
				t.Errorf("groups %v micro=%d: gradient of %s off by %.2e relative", batch.Groups, micro, name, e)
			}
		}
	}
}
