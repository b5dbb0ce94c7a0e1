package train

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/model/tokenizer"
	"github.com/clip-go/clip/weights"
)

// TestCenterTargets: the targets less their mean, at unit length; bad input is an error.
func TestCenterTargets(t *testing.T) {
	c, mean, err := CenterTargets([][]float32{{1, 1}, {1, 3}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(mean, []float32{1, 2}) || !slices.Equal(c[0], []float32{0, -1}) || !slices.Equal(c[1], []float32{0, 1}) {
		t.Errorf("centred %v, mean %v", c, mean)
	}
	for _, bad := range [][][]float32{nil, {{1, 2}, {1}}, {{1, 2}, {1, 2}}} {
		if _, _, err := CenterTargets(bad); err == nil {
			t.Errorf("CenterTargets(%v): no error", bad)
		}
	}
}

// writerFunc is an io.Writer that hands each write to a function.
type writerFunc func(p []byte)

func (f writerFunc) Write(p []byte) (int, error) { f(p); return len(p), nil }

// TestDistillRun: a distillation run from a model folder raises the cosine to the
// teacher's (centred) targets; stopped after its first checkpoint and resumed, it ends
// with the same parameters, bit for bit, as a run that went straight through; its
// checkpoint is a model folder that a LiT run (--lock-text) starts from.
func TestDistillRun(t *testing.T) {
	cfg := mustPreset(t, "tiny")
	m := modelFor(t, "go", cfg, model.InitParams(cfg, 4))
	tok, err := tokenizer.Default()
	if err != nil {
		t.Fatal(err)
	}
	initDir := t.TempDir()
	img := imageproc.DefaultConfig(cfg.Vision.ImageSize)
	if err := m.SaveFolder(initDir, tok, &img); err != nil {
		t.Fatal(err)
	}
	const n, dim = 24, 12
	rng := rand.New(rand.NewPCG(1, 2))
	var texts []string
	var targets [][]float32
	for i := range n {
		texts = append(texts, fmt.Sprintf("an emoji of a thing %d", i))
		v := make([]float32, dim)
		for k := range v {
			v[k] = float32(rng.NormFloat64())
		}
		targets = append(targets, v)
	}
	h := DefaultHyper()
	h.Batch, h.Steps, h.LR, h.Warmup = 8, 12, 1e-2, 0
	// run distils into out; interrupt stops it at its first checkpoint, as a signal would.
	run := func(out string, interrupt, resume bool) Result {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		log := writerFunc(func(p []byte) {
			if interrupt && strings.HasPrefix(string(p), "checkpoint") {
				cancel()
			}
		})
		res, err := DistillRun(ctx, DistillOptions{Texts: texts, Targets: targets, Init: initDir, Out: out,
			Backend: "go", Hyper: h, Resume: resume, CheckpointEvery: 5, Log: log})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	straightDir := t.TempDir()
	straight := run(straightDir, false, false)
	body, err := os.ReadFile(filepath.Join(straightDir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	var first, last struct{ Cosine float64 }
	if len(lines) != h.Steps || json.Unmarshal([]byte(lines[0]), &first) != nil || json.Unmarshal([]byte(lines[len(lines)-1]), &last) != nil {
		t.Fatalf("metrics.jsonl: %d lines, want %d", len(lines), h.Steps)
	}
	if last.Cosine < first.Cosine+0.05 {
		t.Errorf("cosine to the targets %.3f after %d steps, %.3f at the first: it hardly rises", last.Cosine, h.Steps, first.Cosine)
	}
	split := t.TempDir()
	if first := run(split, true, false); !first.Stopped {
		t.Fatalf("the interrupted run was not stopped: %+v", first)
	}
	resumed := run(split, false, true)
	a, err := weights.ReadFile(filepath.Join(straight.Checkpoint, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := weights.ReadFile(filepath.Join(resumed.Checkpoint, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	for name, ta := range a.Tensors {
		if !slices.Equal(ta.Data, b.Tensors[name].Data) {
			t.Errorf("%s differs between the run that went straight through and the resumed one", name)
		}
	}
	if resumed.Loss != straight.Loss || resumed.Steps != h.Steps {
		t.Errorf("resumed: step %d, loss %.6f; straight: loss %.6f", resumed.Steps, resumed.Loss, straight.Loss)
	}
	if _, err := DistillRun(context.Background(), DistillOptions{Texts: texts, Targets: targets, Init: initDir, Out: split, Backend: "go", Hyper: h}); err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Errorf("a second run into a run folder without --resume: %v", err)
	}
	if _, err := DistillRun(context.Background(), DistillOptions{Texts: texts, Targets: targets[:3], Init: initDir, Out: t.TempDir(), Backend: "go", Hyper: h}); err == nil {
		t.Error("more texts than targets: no error")
	}

	// The anchor: with every text anchored, the text embeddings stay nearer to where the
	// initial model put them than without.
	anchored := make([][]string, n)
	for i := range anchored {
		anchored[i] = []string{texts[i]}
	}
	anchorRun, err := DistillRun(context.Background(), DistillOptions{Texts: texts, Targets: targets, Init: initDir, Out: t.TempDir(),
		Backend: "go", Hyper: h, AnchorTo: anchored, AnchorWeight: 5})
	if err != nil {
		t.Fatal(err)
	}
	drift := func(dir string) float64 { // mean 1 − cosine between the initial and the final text embeddings
		be, err := model.NewBackend("go")
		if err != nil {
			t.Fatal(err)
		}
		var sum float64
		m0, err := model.Load(initDir, be)
		if err != nil {
			t.Fatal(err)
		}
		m1, err := model.Load(dir, be)
		if err != nil {
			t.Fatal(err)
		}
		e0, err := m0.EncodeTexts(texts, false)
		if err != nil {
			t.Fatal(err)
		}
		e1, err := m1.EncodeTexts(texts, false)
		if err != nil {
			t.Fatal(err)
		}
		for i := range e0 {
			a, b := unit(e0[i]), unit(e1[i])
			var dot float64
			for k := range a {
				dot += float64(a[k]) * float64(b[k])
			}
			sum += 1 - dot
		}
		return sum / float64(len(e0))
	}
	free, held := drift(straight.Checkpoint), drift(anchorRun.Checkpoint)
	t.Logf("drift of the text embeddings: %.4f without the anchor, %.4f with it", free, held)
	if held > free/2 {
		t.Errorf("the anchor kept the text embeddings no nearer: drift %.4f with it, %.4f without", held, free)
	}
	if _, err := DistillRun(context.Background(), DistillOptions{Texts: texts, Targets: targets, Init: initDir, Out: t.TempDir(),
		Backend: "go", Hyper: h, AnchorTo: anchored[:2], AnchorWeight: 5}); err == nil {
		t.Error("anchor marks for fewer texts: no error")
	}

	// The second stage: a locked text tower.
	be, err := model.NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	lit, err := model.Load(straight.Checkpoint, be)
	if err != nil {
		t.Fatalf("the distilled checkpoint as --init: %v", err)
	}
	hl := DefaultHyper()
	hl.Batch, hl.LockText = 4, true
	tr, err := New(lit, hl)
	if err != nil {
		t.Fatal(err)
	}
	before, err := lit.Params()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := tr.TrainStep(randomBatch(cfg, 4, 3)); err != nil {
		t.Fatal(err)
	}
	after, err := lit.Params()
	if err != nil {
		t.Fatal(err)
	}
	var movedImage bool
	for name, w := range before {
		changed := !slices.Equal(w.Data, after[name].Data)
		if textTower(name) && changed {
			t.Errorf("%s changed with the text tower locked", name)
		}
		if strings.HasPrefix(name, "vision_model.") && changed {
			movedImage = true
		}
	}
	if !movedImage {
		t.Error("the image tower did not train")
	}
	if _, err := NewDistiller(lit, hl, dim); err == nil {
		t.Error("a distiller with the text tower locked: no error")
	}
}
