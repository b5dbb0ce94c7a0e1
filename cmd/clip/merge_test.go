package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clip-go/clip/weights"
)

// TestMerge: clip merge of a model with a changed copy at weight 0.5 lands halfway on
// every parameter and loads; bad command lines fail with a clear message and write nothing.
func TestMerge(t *testing.T) {
	base := tinyModel(t)
	f, err := weights.ReadFile(filepath.Join(base, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	// The changed copy: every parameter plus 2 (a run that started from base).
	changed := t.TempDir()
	for _, name := range []string{"config.json", "vocab.json", "merges.txt"} {
		b, err := os.ReadFile(filepath.Join(base, name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(changed, name), b, 0o644)
	}
	g := weights.NewFile()
	for name, tn := range f.Tensors {
		v, err := tn.Float32s()
		if err != nil {
			t.Fatal(err)
		}
		for i := range v {
			v[i] += 2
		}
		g.Tensors[name] = weights.FromFloat32s(tn.Shape, v)
	}
	if err := weights.WriteFile(filepath.Join(changed, "model.safetensors"), g); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(t.TempDir(), "merged")
	if _, stderr, code := clip(t, "merge", "--base", base, "--out", out, changed+":0.5"); code != 0 {
		t.Fatalf("clip merge: exit %d: %s", code, stderr)
	}
	m, err := weights.ReadFile(filepath.Join(out, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for name, tn := range m.Tensors {
		got, _ := tn.Float32s()
		orig, ok := f.Tensors[name]
		if !ok {
			t.Errorf("merged model has %s, the base does not", name)
			continue
		}
		want, err := orig.Float32s()
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if d := got[i] - (want[i] + 1); d > 1e-5 || d < -1e-5 {
				t.Fatalf("%s[%d] = %v, want the base's %v + 1", name, i, got[i], want[i])
			}
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("nothing merged")
	}
	card, err := os.ReadFile(filepath.Join(out, "README.md"))
	if err != nil || !strings.Contains(string(card), "at weight 0.5") {
		t.Errorf("model card %q (%v): want the inputs and their weights", card, err)
	}
	// The merged folder is a model: it classifies.
	if _, stderr, code := clip(t, "embed", "--model", out, "--text", "a dog"); code != 0 {
		t.Errorf("clip embed on the merged model: exit %d: %s", code, stderr)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no weight", []string{"--base", base, "--out", filepath.Join(t.TempDir(), "x"), changed}, "want MODEL:WEIGHT"},
		{"weight not a number", []string{"--base", base, "--out", filepath.Join(t.TempDir(), "x"), changed + ":half"}, "must be a number"},
		{"weight out of range", []string{"--base", base, "--out", filepath.Join(t.TempDir(), "x"), changed + ":1e9"}, "must be a number"},
		{"no base", []string{"--out", filepath.Join(t.TempDir(), "x"), changed + ":1"}, "--base, --out"},
		{"existing out", []string{"--base", base, "--out", out, changed + ":1"}, "already exists"},
		{"missing model", []string{"--base", base, "--out", filepath.Join(t.TempDir(), "x"), filepath.Join(t.TempDir(), "none") + ":1"}, "no such file"},
	} {
		_, stderr, code := clip(t, append([]string{"merge"}, tc.args...)...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want an error with %q", tc.name, code, stderr, tc.want)
		}
	}
}
