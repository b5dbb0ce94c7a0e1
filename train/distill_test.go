package train

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/clip-go/clip/model"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestDistill: on the tiny shape, the distiller's loss is 1 − the mean cosine between
// the head's output on the model's own text features and the teacher's embeddings
// (computed here apart, from EncodeTokens); twenty steps towards random unit targets
// bring it well down; the text tower and the head change, while every other parameter
// (the image tower, the logit scale) stays bit for bit as it was, weight decay included.
func TestDistill(t *testing.T) {
	const dim, n = 48, 8
	cfg := mustPreset(t, "tiny")
	h := DefaultHyper()
	h.Batch, h.LR, h.Warmup, h.Steps, h.WeightDecay = n, 3e-3, 0, 20, 0.2
	m := modelFor(t, "go", cfg, model.InitParams(cfg, 5))
	d, err := NewDistiller(m, h, dim)
	if err != nil {
		t.Fatal(err)
	}
	texts := randomBatch(cfg, n, 7).Tokens
	rng := rand.New(rand.NewPCG(3, 3))
	targets := make([]float32, n*dim)
	for i := range n {
		var ss float64
		row := targets[i*dim : (i+1)*dim]
		for k := range row {
			row[k] = float32(rng.NormFloat64())
			ss += float64(row[k]) * float64(row[k])
		}
		for k := range row {
			row[k] /= float32(math.Sqrt(ss))
		}
	}
	before, err := m.Params()
	if err != nil {
		t.Fatal(err)
	}
	headBefore := variable(t, d, DistillHead)

	// The loss, computed apart.
	feats, err := m.EncodeTokens(texts)
	if err != nil {
		t.Fatal(err)
	}
	e := cfg.ProjectionDim
	var cosSum float64
	for i, f := range feats {
		pred := make([]float64, dim)
		for k := range dim {
			for j := range e {
				pred[k] += float64(f[j]) * float64(headBefore[j*dim+k])
			}
		}
		var dot, ss float64
		for k, p := range pred {
			dot += p * float64(targets[i*dim+k])
			ss += p * p
		}
		cosSum += dot / math.Sqrt(ss)
	}
	want := 1 - cosSum/n
	first, err := d.Distill(texts, targets)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(first-want) > 1e-4 {
		t.Errorf("loss %.6f, computed apart %.6f", first, want)
	}
	if _, err := d.Apply(); err != nil {
		t.Fatal(err)
	}
	last := first
	for range h.Steps - 1 {
		if last, err = d.Distill(texts, targets); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Apply(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("distillation loss %.4f, after %d steps %.4f", first, h.Steps, last)
	if last > 0.5*first {
		t.Errorf("loss %.4f after %d steps, from %.4f: it hardly falls", last, h.Steps, first)
	}

	after, err := m.Params()
	if err != nil {
		t.Fatal(err)
	}
	var moved []string
	for name, w := range before {
		changed := !slices.Equal(w.Data, after[name].Data)
		if textTower(name) && changed {
			moved = append(moved, name)
		}
		if !textTower(name) && changed {
			t.Errorf("%s changed: distillation trains the text tower only", name)
		}
	}
	if !slices.ContainsFunc(moved, func(n string) bool { return strings.HasPrefix(n, "text_model.encoder.") }) || !slices.Contains(moved, "text_projection.weight") {
		t.Errorf("the text tower did not train: changed %q", moved)
	}
	if slices.Equal(headBefore, variable(t, d, DistillHead)) {
		t.Error("the head did not train")
	}
	if _, ok := after[DistillHead]; ok {
		t.Errorf("the model's parameters (what an export writes) include %s", DistillHead)
	}
	if _, err := (&Trainer{Model: m, Hyper: h}).Distill(texts, targets); err == nil {
		t.Error("Distill on a trainer that is not a distiller")
	}
	if _, err := d.Distill(texts, targets[:dim]); err == nil {
		t.Error("Distill with too few targets")
	}
}

// variable is a variable's values by parameter name.
func variable(t *testing.T, tr *Trainer, name string) []float32 {
	t.Helper()
	v, err := tr.Model.Store.GetVariable(model.VarPath(name)).Value()
	if err != nil {
		t.Fatal(err)
	}
	return slices.Clone(tensors.MustCopyFlatData[float32](v))
}

// TestDistillCheckpoint: a distiller's checkpoint holds its head and the text tower's
// optimizer state: loaded into a fresh distiller, it gives the next step's loss of the
// distiller that went on, bit for bit; a distiller for another teacher's dimension
// refuses it.
func TestDistillCheckpoint(t *testing.T) {
	const dim, n = 16, 4
	cfg := mustPreset(t, "tiny")
	h := DefaultHyper()
	h.Batch, h.LR, h.Warmup, h.Steps = n, 3e-3, 0, 10
	distiller := func(dim int) *Trainer {
		d, err := NewDistiller(modelFor(t, "go", cfg, model.InitParams(cfg, 9)), h, dim)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	texts := randomBatch(cfg, n, 2).Tokens
	targets := make([]float32, n*dim)
	for i := range n {
		targets[i*dim+i] = 1 // unit vectors
	}
	a := distiller(dim)
	for range 2 {
		if _, err := a.Distill(texts, targets); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Apply(); err != nil {
			t.Fatal(err)
		}
	}
	saved, err := a.SaveCheckpoint(t.TempDir(), State{Hyper: h}, 1)
	if err != nil {
		t.Fatal(err)
	}
	b := distiller(dim)
	if _, err := b.LoadCheckpoint(saved); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(variable(t, a, DistillHead), variable(t, b, DistillHead)) || b.Step != 2 {
		t.Errorf("the head (or the step, %d) did not come back", b.Step)
	}
	for _, d := range []*Trainer{a, b} {
		if _, err := d.Distill(texts, targets); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Apply(); err != nil {
			t.Fatal(err)
		}
	}
	la, _ := a.Distill(texts, targets)
	lb, err := b.Distill(texts, targets)
	if err != nil || la != lb {
		t.Errorf("the loaded distiller's loss %.7f (%v), the one that went on %.7f", lb, err, la)
	}
	if _, err := distiller(dim + 1).LoadCheckpoint(saved); err == nil || !strings.Contains(err.Error(), DistillHead) {
		t.Errorf("a checkpoint for another teacher's dimension: %v", err)
	}
}
