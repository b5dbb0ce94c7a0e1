package train

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/model/arch"
	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/train/data/synth"
	"github.com/clip-go/clip/weights"
)

// TestRunResumesExactly trains 6 steps in one run, and in another stops it after step 3
// (as a signal would) and resumes it, with the batches read ahead of the step
// (prefetch.go), two decoding workers, augmentation and the resume point inside an epoch:
// every step's loss and the final weights must be the same bit for bit, so the checkpoint
// written on the way out records the data position of the batches trained on, not of the
// one read ahead.
func TestRunResumesExactly(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.WriteShards(filepath.Join(dir, "shards"), 2, 10, 32, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := synth.WriteEvalFolder(filepath.Join(dir, "eval"), 1, 32, 4); err != nil {
		t.Fatal(err)
	}
	h := DefaultHyper()
	// The warm-up spans the run, so the learning rate of a step does not depend on the
	// number of steps asked for (the cut run asks for 3, then 6).
	h.Steps, h.Batch, h.Warmup, h.LR, h.Style, h.MinScale, h.MultiPositive = 6, 8, 6, 1e-3, 0.5, 0.6, true
	run := func(out string, resume bool, stopAfter string) Result {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		// The evaluation's log line is written during a step; the run stops before the next.
		log := logFunc(func(line string) {
			if stopAfter != "" && strings.HasPrefix(line, stopAfter) {
				cancel()
			}
		})
		o := Options{Data: filepath.Join(dir, "shards", "*.tar"), Eval: filepath.Join(dir, "eval"), EvalEvery: 3,
			Out: filepath.Join(dir, out), ModelConfig: "tiny", Backend: "go", Hyper: h, Workers: 2, Resume: resume, Log: log}
		res, err := Run(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	whole := run("whole", false, "")
	if res := run("cut", false, "step 3:"); !res.Stopped || res.Steps != 3 {
		t.Fatalf("the cut run: %+v, want stopped after step 3", res)
	}
	cut := run("cut", true, "")
	a := metricLosses(t, filepath.Join(dir, "whole", "metrics.jsonl"))
	b := metricLosses(t, filepath.Join(dir, "cut", "metrics.jsonl"))
	if len(a) != 6 || !slices.Equal(a, b) {
		t.Fatalf("losses differ:\nwhole %v\ncut   %v", a, b)
	}
	if whole.DataStats != cut.DataStats {
		t.Errorf("data stats: whole %+v, cut %+v", whole.DataStats, cut.DataStats)
	}
	wa, err := os.ReadFile(filepath.Join(whole.Checkpoint, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	wb, err := os.ReadFile(filepath.Join(cut.Checkpoint, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(wa, wb) {
		t.Error("the final weights differ")
	}
}

// logFunc is an io.Writer that hands each write to f.
type logFunc func(line string)

func (f logFunc) Write(p []byte) (int, error) { f(string(p)); return len(p), nil }

// TestRunInit: a run started from a model folder (--init) trains those weights, not
// random ones of its seed: at a learning rate of 1e-12 its final weights are the folder's
// (to 1e-9), whatever the seed, while the same run without --init has the seed's random
// ones; its checkpoint records where it started, a run folder stands for its newest
// checkpoint, and a missing folder is an error.
func TestRunInit(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.WriteShards(filepath.Join(dir, "shards"), 1, 12, 32, 3); err != nil {
		t.Fatal(err)
	}
	h := DefaultHyper()
	h.Steps, h.Batch, h.Warmup, h.LR = 2, 6, 1, 1e-3
	run := func(out, init string, h Hyper) Result {
		t.Helper()
		res, err := Run(context.Background(), Options{Data: filepath.Join(dir, "shards", "*.tar"), Out: filepath.Join(dir, out),
			ModelConfig: "tiny", Init: init, Backend: "go", Hyper: h, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	base := run("base", "", h)
	still := h
	still.LR, still.Seed = 1e-12, 99
	tuned := run("tuned", base.Checkpoint, still)
	scratch := run("scratch", "", still)
	if d := maxWeightDiff(t, base.Checkpoint, tuned.Checkpoint); d > 1e-9 {
		t.Errorf("a run from --init at a learning rate of 1e-12 moved a weight by %g from the folder's", d)
	}
	if d := maxWeightDiff(t, base.Checkpoint, scratch.Checkpoint); d < 1e-3 {
		t.Errorf("without --init the weights should be the seed's, not the folder's (largest difference %g)", d)
	}
	st, err := os.ReadFile(filepath.Join(tuned.Checkpoint, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(st), `"init":`) {
		t.Errorf("state.json does not record the init folder: %s", st)
	}
	// A run folder stands for its newest checkpoint: a run starts where another ended.
	fromRun := run("from-run", filepath.Join(dir, "base"), still)
	if d := maxWeightDiff(t, base.Checkpoint, fromRun.Checkpoint); d > 1e-9 {
		t.Errorf("a run from --init RUN-FOLDER moved a weight by %g from that run's last checkpoint", d)
	}
	if st, err := os.ReadFile(filepath.Join(fromRun.Checkpoint, "state.json")); err != nil || !strings.Contains(string(st), filepath.Base(base.Checkpoint)) {
		t.Errorf("state.json does not record the checkpoint the run folder stood for (%v): %s", err, st)
	}
	if _, err := Run(context.Background(), Options{Data: filepath.Join(dir, "shards", "*.tar"), Out: filepath.Join(dir, "bad"),
		Init: filepath.Join(dir, "nowhere"), Backend: "go", Hyper: h}); err == nil || !strings.Contains(err.Error(), "init") {
		t.Errorf("a missing --init folder: %v, want an error that names init", err)
	}
}

// maxWeightDiff is the largest absolute difference between two checkpoints' weights.
func maxWeightDiff(t *testing.T, a, b string) float64 {
	t.Helper()
	fa, err := weights.ReadFile(filepath.Join(a, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	fb, err := weights.ReadFile(filepath.Join(b, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if len(fa.Tensors) != len(fb.Tensors) {
		t.Fatalf("%d tensors against %d", len(fa.Tensors), len(fb.Tensors))
	}
	var d float64
	for name, ta := range fa.Tensors {
		tb := fb.Tensors[name]
		if tb == nil {
			t.Fatalf("%s: no %s", b, name)
		}
		xa, err := ta.Float32s()
		if err != nil {
			t.Fatal(err)
		}
		xb, err := tb.Float32s()
		if err != nil || len(xb) != len(xa) {
			t.Fatalf("%s: %v (%d values, want %d)", name, err, len(xb), len(xa))
		}
		for i := range xa {
			d = max(d, math.Abs(float64(xa[i]-xb[i])))
		}
	}
	return d
}

// TestRunTrimIsKept: --trim is recorded in the checkpoint's preprocessor_config.json and
// kept by a resumed run (without the flag) and by a run started from it with --init; a
// run without it, or a checkpoint from before the file, has CLIP's preprocessing.
func TestRunTrimIsKept(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.WriteShards(filepath.Join(dir, "shards"), 1, 12, 32, 3); err != nil {
		t.Fatal(err)
	}
	h := DefaultHyper()
	h.Steps, h.Batch, h.Warmup = 1, 6, 1
	run := func(out, init string, trim, resume bool, steps int) Result {
		t.Helper()
		h := h
		h.Steps = steps
		res, err := Run(context.Background(), Options{Data: filepath.Join(dir, "shards", "*.tar"), Out: filepath.Join(dir, out),
			ModelConfig: "tiny", Init: init, Trim: trim, Resume: resume, Backend: "go", Hyper: h, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	trimOf := func(ckpt string) bool {
		t.Helper()
		c, err := CheckpointImage(ckpt, model.Config{})
		if err != nil {
			t.Fatal(err)
		}
		return c.Trim
	}
	trimmed := run("trimmed", "", true, false, 1)
	resumed := run("trimmed", "", false, true, 2)
	tuned := run("tuned", trimmed.Checkpoint, false, false, 1)
	plain := run("plain", "", false, false, 1)
	for _, c := range []struct {
		name, ckpt string
		want       bool
	}{{"--trim", trimmed.Checkpoint, true}, {"resumed", resumed.Checkpoint, true}, {"--init from it", tuned.Checkpoint, true}, {"without", plain.Checkpoint, false}} {
		if got := trimOf(c.ckpt); got != c.want {
			t.Errorf("%s: trim %v, want %v", c.name, got, c.want)
		}
	}
	if resumed.Checkpoint == trimmed.Checkpoint {
		t.Fatal("the resumed run wrote no checkpoint of its own")
	}
	if err := os.Remove(filepath.Join(plain.Checkpoint, PreprocessorFile)); err != nil {
		t.Fatal(err)
	}
	old, err := CheckpointImage(plain.Checkpoint, model.Config{Vision: arch.VisionConfig{ImageSize: 32}})
	if err != nil || old != imageproc.DefaultConfig(32) {
		t.Errorf("a checkpoint without %s: %+v, %v; want CLIP's preprocessing", PreprocessorFile, old, err)
	}
}
