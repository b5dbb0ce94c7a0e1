package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clip-go/clip/evaluate"
	"github.com/clip-go/clip/train/data/synth"
)

// TestEvalAndClassifyShareDefaultTemplates: without template flags, eval scores each
// image exactly as classify does with the same labels: the same top-1 label, and eval's
// margin is the log ratio of classify's two best probabilities.
func TestEvalAndClassifyShareDefaultTemplates(t *testing.T) {
	dir := tinyModel(t)
	evalDir := filepath.Join(t.TempDir(), "eval")
	if _, err := synth.WriteEvalFolder(evalDir, 1, 32, 3); err != nil {
		t.Fatal(err)
	}
	es, err := evaluate.Load(evalDir)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, it := range es.Items {
		paths = append(paths, it.Name)
	}
	evalPredictions := func(extra ...string) map[string]prediction {
		t.Helper()
		pred := filepath.Join(t.TempDir(), "pred.jsonl")
		args := append([]string{"eval", "--model", dir, "--predictions", pred}, extra...)
		if _, stderr, code := clip(t, append(args, evalDir)...); code != 0 {
			t.Fatalf("clip %v: exit %d: %s", args, code, stderr)
		}
		got, err := readPredictions(pred)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	byEval := evalPredictions()

	labels := filepath.Join(t.TempDir(), "labels.txt")
	if err := os.WriteFile(labels, []byte(strings.Join(es.Classes, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := clip(t, append([]string{"classify", "--model", dir, "--labels-file", labels, "--top", "2"}, paths...)...)
	if code != 0 {
		t.Fatalf("classify: exit %d: %s", code, stderr)
	}
	for _, line := range lines(out) {
		var r classifyRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil || len(r.Top) != 2 {
			t.Fatalf("classify line %q (%v)", line, err)
		}
		p, ok := byEval[r.Image]
		if !ok {
			t.Fatalf("eval has no prediction for %s", r.Image)
		}
		margin := math.Log(r.Top[0].Prob / r.Top[1].Prob)
		if p.Predicted != r.Top[0].Label || math.Abs(p.Margin-margin) > 1e-4 {
			t.Errorf("%s: eval says %q by %.6f, classify %q by %.6f", r.Image, p.Predicted, p.Margin, r.Top[0].Label, margin)
		}
	}

	// The comparison can tell template sets apart: another set moves the margins.
	moved := false
	for path, p := range evalPredictions("--template-set", "photo") {
		moved = moved || math.Abs(p.Margin-byEval[path].Margin) > 1e-3
	}
	if !moved {
		t.Error("--template-set photo gives the margins of the default set: the test cannot see a change of default")
	}
}

// TestMain keeps the tests' feature caches (clip eval's default --cache is under the
// user cache folder) out of the user's cache, and their training runs on the Go backend:
// `clip train` without --backend takes XLA's CPU plugin where one is installed, and the
// tests' expectations (exact resumes, timings) are the Go backend's.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "clip-test-cache-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CACHE_HOME", dir)
	if os.Getenv("GOMLX_BACKEND") == "" {
		os.Setenv("GOMLX_BACKEND", "go")
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
