package train

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clip-go/clip/train/data/synth"
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
