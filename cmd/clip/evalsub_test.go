package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clip-go/clip/train/data/synth"
)

// TestEvalSubcommands runs each eval subcommand on a small generated set with the tiny
// model: the lines it prints, the report it writes, and the command-line errors.
func TestEvalSubcommands(t *testing.T) {
	model := tinyModel(t)
	set := filepath.Join(t.TempDir(), "shapes")
	if _, err := synth.WriteEvalFolder(set, 4, 32, 5); err != nil {
		t.Fatal(err)
	}
	discs := flatDiscs(t, 12)
	cache := t.TempDir()
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		kinds  []string // each stdout line's "kind" (or "templates", "role"), in order
		files  []string // what --report must hold
		stderr string
	}{
		{"probe with shots", []string{"eval", "probe", "--model", model, "--train", set, "--shots", "1,2", "--seeds", "2", "--report", "REPORT"},
			0, []string{"zeroshot", "probe", "kshot", "kshot", "summary"}, []string{"report.md", "kshot.png"}, ""},
		// Perfectly separable (every picture of a class the same): one shot per class used
		// to fail with "probe: L-BFGS: linesearch: failed to converge".
		{"probe on flat discs", []string{"eval", "probe", "--model", model, "--train", discs, "--shots", "1,2", "--seeds", "3", "--report", "REPORT"},
			0, []string{"zeroshot", "probe", "kshot", "kshot", "summary"}, []string{"report.md", "kshot.png"}, ""},
		{"robustness of two models", []string{"eval", "robustness", "--model", model, "--model", model, "--reference", set, set, "--report", "REPORT"},
			0, []string{"reference", "shifted", "reference", "shifted"}, []string{"report.md", "robustness.png"}, ""},
		{"compare templates", []string{"eval", "zeroshot", "--model", model, "--compare-templates", set},
			0, nil, nil, ""},
		{"zero-shot report", []string{"eval", "zeroshot", "--model", model, set, "--report", "REPORT"},
			0, []string{""}, []string{"report.md", "per-class-shapes.png"}, ""},
		{"probe without --train", []string{"eval", "probe", "--model", model}, 2, nil, nil, "give --train"},
		{"--split with two sets", []string{"eval", "probe", "--model", model, "--train", set, "--test", t.TempDir(), "--split", "0.3"}, 2, nil, nil, "--split divides one set"},
		{"bad --shots", []string{"eval", "probe", "--model", model, "--train", set, "--shots", "1,0"}, 2, nil, nil, `"0" is not a positive`},
		{"no such set", []string{"eval", "--model", model, filepath.Join(set, "nothing")}, 1, nil, nil, "no such folder, CSV or shard"},
		{"class names that do not match", []string{"eval", "--model", model, "--classnames", writeTemp(t, "one\ntwo\n"), set}, 1, nil, nil, "does not match the set"},
		{"--predictions with --compare-templates", []string{"eval", "--model", model, "--compare-templates", "--predictions", "p.jsonl", set}, 2, nil, nil, "not --compare-templates"},
		{"robustness without a reference", []string{"eval", "robustness", set}, 2, nil, nil, "give --reference"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			report := filepath.Join(t.TempDir(), "report")
			args := append([]string{}, tc.args...)
			for i, a := range args {
				if a == "REPORT" {
					args[i] = report
				}
			}
			args = append(args, "--cache", cache)
			out, stderr, code := clip(t, args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.stderr)
			}
			if code != 0 {
				return
			}
			var kinds []string
			for _, l := range lines(out) {
				var rec map[string]any
				if err := json.Unmarshal([]byte(l), &rec); err != nil {
					t.Fatalf("line %q: %v", l, err)
				}
				k, _ := rec["kind"].(string)
				if r, ok := rec["role"].(string); ok {
					k = r
				}
				kinds = append(kinds, k)
			}
			if tc.kinds != nil && strings.Join(kinds, ",") != strings.Join(tc.kinds, ",") {
				t.Errorf("lines %v, want %v", kinds, tc.kinds)
			}
			if tc.name == "compare templates" && len(kinds) < 4 {
				t.Errorf("%d template variants, want the bare label, one template and the built-in sets", len(kinds))
			}
			for _, f := range tc.files {
				if fi, err := os.Stat(filepath.Join(report, f)); err != nil || fi.Size() == 0 {
					t.Errorf("report file %s: %v", f, err)
				}
			}
		})
	}
}

// TestEvalCache: a second run over a set reads its features from the cache (it encodes
// nothing) and predicts exactly what the first did.
func TestEvalCache(t *testing.T) {
	model := tinyModel(t)
	set := filepath.Join(t.TempDir(), "shapes")
	if _, err := synth.WriteEvalFolder(set, 2, 32, 6); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	run := func() (string, string) {
		pred := filepath.Join(t.TempDir(), "pred.jsonl")
		_, stderr, code := clip(t, "eval", "--model", model, "--cache", cache, "--predictions", pred, set)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		b, err := os.ReadFile(pred)
		if err != nil {
			t.Fatal(err)
		}
		return string(b), stderr
	}
	first, stderr1 := run()
	second, stderr2 := run()
	if !strings.Contains(stderr1, "encoded") || strings.Contains(stderr2, "encoded") {
		t.Errorf("first run's progress %q, second's %q: want only the first to encode", stderr1, stderr2)
	}
	if first != second {
		t.Errorf("predictions from cached features differ:\n%s\n%s", first, second)
	}
}

func writeTemp(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "names.txt")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// flatDiscs writes a labelled folder of three classes (red, green and blue discs on
// white), n identical pictures each.
func flatDiscs(t *testing.T, n int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "discs")
	for name, c := range map[string]color.RGBA{"red": {220, 30, 30, 255}, "green": {30, 180, 60, 255}, "blue": {40, 60, 220, 255}} {
		img := image.NewRGBA(image.Rect(0, 0, 48, 48))
		for y := range 48 {
			for x := range 48 {
				img.Set(x, y, color.White)
				if dx, dy := x-24, y-24; dx*dx+dy*dy < 18*18 {
					img.Set(x, y, c)
				}
			}
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(dir, name), 0o755)
		for i := range n {
			if err := os.WriteFile(filepath.Join(dir, name, fmt.Sprintf("%02d.png", i)), b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}
