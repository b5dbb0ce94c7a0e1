package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/fixtures"
	"github.com/clip-go/clip/internal/samples"
	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/model/zeroshot"
	"github.com/clip-go/clip/wasm/engine"
	"github.com/clip-go/clip/weights"
)

// tinyModel lays out the reference fixture as a hub model folder.
func tinyModel(t *testing.T) string {
	t.Helper()
	src := fixtures.Dir(t)
	dir := t.TempDir()
	for from, to := range map[string]string{
		"openai-tiny/hf.safetensors": "model.safetensors",
		"openai-tiny/config.json":    "config.json",
		"clip-bpe/vocab.json":        "vocab.json",
		"clip-bpe/merges.txt":        "merges.txt",
	} {
		b, err := os.ReadFile(filepath.Join(src, from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, to), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func clip(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return o.String(), e.String(), code
}

func lines(s string) []string {
	return strings.Split(strings.TrimSpace(s), "\n")
}

type caseFile struct {
	Texts  []string `json:"texts"`
	Images []string `json:"images"`
}

func loadCase(t *testing.T) (caseFile, *weights.File) {
	var c caseFile
	b, err := os.ReadFile(fixtures.Path(t, "openai-tiny", "case.json"))
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(b, &c)
	exp, err := weights.ReadFile(fixtures.Path(t, "openai-tiny", "expected.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	return c, exp
}

func TestEmbedMatchesReference(t *testing.T) {
	dir := tinyModel(t)
	c, exp := loadCase(t)
	textFeats, _ := exp.Tensors["text_features"].Float32s()
	imageFeats, _ := exp.Tensors["image_features"].Float32s()
	dim := exp.Tensors["text_features"].Shape[1]
	// Interleave images and texts: output must follow argument order.
	args := []string{"embed", "--model", dir}
	var want []embedRecord
	for i, text := range c.Texts {
		args = append(args, "--text", text)
		want = append(want, embedRecord{Kind: "text", Input: text, Embedding: textFeats[i*dim : (i+1)*dim]})
		if i < len(c.Images) {
			p := fixtures.Path(t, "openai-tiny", c.Images[i])
			args = append(args, "--image", p)
			want = append(want, embedRecord{Kind: "image", Input: p, Embedding: imageFeats[i*dim : (i+1)*dim]})
		}
	}
	out, stderr, code := clip(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := lines(out)
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d", len(got), len(want))
	}
	for i, line := range got {
		var r embedRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		w := want[i]
		if r.Kind != w.Kind || r.Input != w.Input || len(r.Embedding) != dim {
			t.Fatalf("line %d: got kind %q input %q (%d values), want %q %q", i, r.Kind, r.Input, len(r.Embedding), w.Kind, w.Input)
		}
		if w.Kind == "text" {
			// Same tokens, same model: the reference's own numbers.
			for k := range r.Embedding {
				if math.Abs(float64(r.Embedding[k]-w.Embedding[k])) > 1e-4 {
					t.Fatalf("text %q: [%d] = %v, want %v", w.Input, k, r.Embedding[k], w.Embedding[k])
				}
			}
		} else if cs := zeroshot.Cosine(r.Embedding, w.Embedding); cs < 0.9995 {
			// Through our own decoding and resampling of the PNG files.
			t.Errorf("image %s: cosine %.6f to the reference, want ≥ 0.9995", w.Input, cs)
		}
	}
	// --normalize gives unit vectors.
	out, _, _ = clip(t, "embed", "--model", dir, "--normalize", "--text", "a dog")
	var r embedRecord
	json.Unmarshal([]byte(out), &r)
	var n float64
	for _, x := range r.Embedding {
		n += float64(x) * float64(x)
	}
	if math.Abs(n-1) > 1e-5 {
		t.Errorf("normalised norm² = %v", n)
	}
}

func TestTokenize(t *testing.T) {
	dir := tinyModel(t)
	out, stderr, code := clip(t, "tokenize", "--model", dir, "a photo of a dog.", "A DIAGRAM", "")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := []string{
		`{"text":"a photo of a dog.","ids":[320,1125,539,320,1929,269]}`,
		`{"text":"A DIAGRAM","ids":[320,22697]}`,
		`{"text":"","ids":[]}`,
	}
	if got := lines(out); !slices.Equal(got, want) {
		t.Errorf("tokenize output:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestClassifyMatchesReferenceLogits uses the fixture texts as labels with the bare "{}"
// template: the probabilities must then be the softmax of the reference logits_per_image.
func TestClassifyMatchesReferenceLogits(t *testing.T) {
	dir := tinyModel(t)
	c, exp := loadCase(t)
	logits, _ := exp.Tensors["logits_per_image"].Float32s()
	m := len(c.Texts)
	labelsFile := filepath.Join(t.TempDir(), "labels.txt")
	os.WriteFile(labelsFile, []byte(strings.Join(c.Texts, "\n")), 0o644)
	args := []string{"classify", "--model", dir, "--labels-file", labelsFile, "--template", "{}", "--top", "3"}
	for _, im := range c.Images {
		args = append(args, fixtures.Path(t, "openai-tiny", im))
	}
	out, stderr, code := clip(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for i, line := range lines(out) {
		var r classifyRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		if r.Image != args[len(args)-len(c.Images)+i] || len(r.Top) != 3 {
			t.Fatalf("line %d: %s", i, line)
		}
		// Reference softmax over this image's logits.
		row := logits[i*m : (i+1)*m]
		mx := slices.Max(row)
		var sum float64
		for _, l := range row {
			sum += math.Exp(float64(l - mx))
		}
		for k, p := range r.Top {
			j := slices.Index(c.Texts, p.Label)
			want := math.Exp(float64(row[j]-mx)) / sum
			if math.Abs(p.Prob-want) > 2e-3 {
				t.Errorf("image %d label %q: prob %.5f, reference %.5f", i, p.Label, p.Prob, want)
			}
			if k > 0 && p.Prob > r.Top[k-1].Prob {
				t.Errorf("image %d: top not sorted: %v", i, r.Top)
			}
		}
	}
}

func TestClassifyDefaultTemplatesAndCommaLabels(t *testing.T) {
	dir := tinyModel(t)
	img := fixtures.Path(t, "openai-tiny", "image0.png")
	out, stderr, code := clip(t, "classify", img, "--model", dir, "--labels", "cat, dog,turtle", "--labels", "emoji")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r classifyRecord
	json.Unmarshal([]byte(out), &r)
	var sum float64
	for _, p := range r.Top {
		sum += p.Prob
	}
	if len(r.Top) != 4 || math.Abs(sum-1) > 1e-6 {
		t.Errorf("4 labels, top 5: got %v (sum %v)", r.Top, sum)
	}
}

func TestErrors(t *testing.T) {
	dir := tinyModel(t)
	img := fixtures.Path(t, "openai-tiny", "image0.png")
	tmp := t.TempDir()
	// A model folder with a truncated weights file.
	truncated := filepath.Join(tmp, "truncated")
	os.Mkdir(truncated, 0o755)
	w, _ := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	os.WriteFile(filepath.Join(truncated, "model.safetensors"), w[:len(w)/2], 0o644)
	cfg, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	os.WriteFile(filepath.Join(truncated, "config.json"), cfg, 0o644)
	// A config that does not match the weights.
	mismatch := filepath.Join(tmp, "mismatch")
	os.Mkdir(mismatch, 0o755)
	os.WriteFile(filepath.Join(mismatch, "model.safetensors"), w, 0o644)
	os.WriteFile(filepath.Join(mismatch, "config.json"), []byte(strings.Replace(string(cfg), `"projection_dim": 32,`, `"projection_dim": 48,`, 1)), 0o644)
	// Corrupt files.
	corrupt := filepath.Join(tmp, "corrupt")
	os.Mkdir(corrupt, 0o755)
	os.WriteFile(filepath.Join(corrupt, "model.safetensors"), []byte("\xff\xff\xff\xff\xff\xff\xff\xffjunk"), 0o644)
	os.WriteFile(filepath.Join(corrupt, "config.json"), cfg, 0o644)
	badImage := filepath.Join(tmp, "notes.png")
	os.WriteFile(badImage, []byte("this is not a png"), 0o644)
	long := strings.Repeat("a very long prompt ", 30)

	tests := []struct {
		name     string
		args     []string
		code     int
		stderr   string // substring of the one-line error
		stdoutOK int    // lines of good output expected despite the error
	}{
		{"missing folder", []string{"embed", "--model", filepath.Join(tmp, "nope"), "--text", "x"}, 1, "nope", 0},
		// without --model, the built-in model (since it landed, this is no error)
		{"no model flag", []string{"embed", "--text", "x"}, 0, "", 1},
		{"truncated weights", []string{"embed", "--model", truncated, "--text", "x"}, 1, "truncated", 0},
		{"corrupt weights", []string{"embed", "--model", corrupt, "--text", "x"}, 1, "model.safetensors", 0},
		{"shape mismatch", []string{"embed", "--model", mismatch, "--text", "x"}, 1, "config calls for", 0},
		{"empty labels", []string{"classify", "--model", dir, "--labels", " , ", img}, 2, "no labels", 0},
		{"no images", []string{"classify", "--model", dir, "--labels", "a,b"}, 2, "no images", 0},
		{"bad template", []string{"classify", "--model", dir, "--labels", "a", "--template", "a photo", img}, 2, "placeholder", 0},
		{"long text", []string{"embed", "--model", dir, "--text", long}, 1, "longer than the context", 0},
		{"bad image among good", []string{"classify", "--model", dir, "--labels", "a,b", img, badImage, img}, 1, "notes.png", 3},
		{"missing image", []string{"embed", "--model", dir, "--image", filepath.Join(tmp, "gone.jpg")}, 1, "gone.jpg", 1},
		{"unknown flag", []string{"embed", "--modle", dir}, 2, "modle", 0},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, code := clip(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, stderr)
			}
			// (a binary built without GOEXPERIMENT=simd says so first: not an error)
			stderr = strings.TrimPrefix(stderr, "clip: "+model.BuildNote("")+"\n")
			first := strings.SplitN(stderr, "\n", 2)[0]
			if !strings.Contains(first, tc.stderr) || strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
				t.Errorf("stderr %q, want one line mentioning %q", stderr, tc.stderr)
			}
			if n := len(strings.Fields(out)); (n > 0) != (tc.stdoutOK > 0) || (tc.stdoutOK > 0 && len(lines(out)) != tc.stdoutOK) {
				t.Errorf("stdout has %d lines, want %d: %s", len(lines(out)), tc.stdoutOK, out)
			}
		})
	}
	// The good images around the bad one are classified.
	out, _, _ := clip(t, "classify", "--model", dir, "--labels", "a,b", img, badImage, img)
	got := lines(out)
	if !strings.Contains(got[0], `"top"`) || !strings.Contains(got[1], `"error"`) || !strings.Contains(got[2], `"top"`) {
		t.Errorf("mixed batch output:\n%s", out)
	}
	// --truncate accepts the long text.
	if _, stderr, code := clip(t, "embed", "--model", dir, "--truncate", "--text", long); code != 0 {
		t.Errorf("--truncate: exit %d: %s", code, stderr)
	}
}

// TestUnknownBackend: a --backend this binary does not have is a command-line error
// (exit 2) that lists the names to type, for every command that takes --backend, and it
// is found before any model or data is opened.
func TestUnknownBackend(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nothing-here")
	for _, args := range [][]string{
		{"embed", "--model", missing, "--backend", "cuda", "--text", "x"},
		{"classify", "--model", missing, "--backend", "cuda", "--labels", "a,b", "img.png"},
		{"eval", "--model", missing, "--backend", "cuda", missing},
		{"train", "--data", missing, "--out", missing, "--backend", "cuda"},
	} {
		t.Run(args[0], func(t *testing.T) {
			_, stderr, code := clip(t, args...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", code, stderr)
			}
			first := strings.SplitN(stderr, "\n", 2)[0]
			if want := `clip ` + args[0] + `: --backend: unknown backend "cuda"`; !strings.HasPrefix(first, want) {
				t.Errorf("stderr %q, want it to start with %q", first, want)
			}
			for _, name := range model.BackendNames() {
				if !strings.Contains(first, name) {
					t.Errorf("stderr %q does not list %q", first, name)
				}
			}
		})
	}
}

// TestHelp: clip --help lists every command; each command's --help (and clip help NAME)
// starts with its usage line and one sentence of what it does, then its flags.
func TestHelp(t *testing.T) {
	out, stderr, code := clip(t, "--help")
	if code != 0 || stderr != "" {
		t.Fatalf("clip --help: exit %d, stderr %q", code, stderr)
	}
	listed := map[string]bool{}
	for _, l := range lines(out) {
		if f := strings.Fields(l); len(f) > 1 && strings.HasPrefix(l, "  ") {
			listed[f[0]] = true
		}
	}
	for _, name := range []string{"embed", "tokenize", "classify", "train", "export", "synth", "data", "eval", "quantize", "bench"} {
		if !listed[name] {
			t.Errorf("clip --help does not list %s:\n%s", name, out)
		}
	}
	if _, stderr, code := clip(t); code != 2 || !strings.Contains(stderr, "quantize") {
		t.Errorf("clip with no command: exit %d, stderr %q; want 2 and the command list", code, stderr)
	}
	for _, c := range commands {
		if !listed[c.name] {
			t.Errorf("clip --help does not list %s", c.name)
		}
		t.Run(c.name, func(t *testing.T) {
			out, stderr, code := clip(t, c.name, "--help")
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			parts := strings.SplitN(out, "\n\n", 3)
			if len(parts) != 3 {
				t.Fatalf("want a usage line, a sentence and the flags, got:\n%s", out)
			}
			if want := "usage: clip " + c.name; !strings.HasPrefix(parts[0], want) || strings.Contains(parts[0], "\n") {
				t.Errorf("first line %q, want one line starting %q", parts[0], want)
			}
			if s := parts[1]; !strings.HasSuffix(s, ".") || s[0] < 'A' || s[0] > 'Z' || strings.Contains(s, "\n") {
				t.Errorf("about %q, want one sentence", s)
			}
			if !strings.HasPrefix(parts[2], "flags:\n  -") {
				t.Errorf("no flags after the sentence:\n%s", parts[2])
			}
			if again, _, code := clip(t, "help", c.name); code != 0 || again != out {
				t.Errorf("clip help %s: exit %d, output differs from --help:\n%s", c.name, code, again)
			}
		})
	}
	// The positional arguments are named, and --model says what it takes and what
	// happens without it.
	for _, tc := range []struct{ cmd, usage string }{
		{"classify", "usage: clip classify [flags] IMAGE...\n"},
		{"tokenize", "usage: clip tokenize [flags] TEXT...\n"},
		{"eval", "usage: clip eval [zeroshot] [flags] SET... | eval probe --train SET [flags] | eval robustness --reference SET [flags] SET...\n"},
		{"embed", "usage: clip embed [flags]"},
	} {
		out, _, _ := clip(t, tc.cmd, "-h")
		if !strings.HasPrefix(out, tc.usage) {
			t.Errorf("clip %s -h starts %q, want %q", tc.cmd, lines(out)[0], tc.usage)
		}
		if tc.cmd != "tokenize" && !strings.Contains(out, "hub layout (config.json + model.safetensors) or a quantized .safetensors file from clip quantize; without it, the built-in default model") {
			t.Errorf("clip %s -h: --model does not say what it takes:\n%s", tc.cmd, out)
		}
	}
	// Both ways into data's help work, with its flags.
	for _, args := range [][]string{{"data", "--help"}, {"data", "build", "--help"}} {
		if out, _, code := clip(t, args...); code != 0 || !strings.HasPrefix(out, "usage: clip data build --out DIR") || !strings.Contains(out, "-small") {
			t.Errorf("clip %v: exit %d:\n%s", args, code, out)
		}
	}
}

// TestDefaultModel: without --model, the model-running commands run the embedded
// default model, exactly as --model with its file does.
func TestDefaultModel(t *testing.T) {
	file := filepath.Join("..", "..", "weights", "defaultmodel", "model-int8.safetensors")
	withDefault, stderr, code := clip(t, "embed", "--text", "a dog")
	if code != 0 {
		t.Fatalf("default model: exit %d: %s", code, stderr)
	}
	if explicit, _, _ := clip(t, "embed", "--model", file, "--text", "a dog"); withDefault != explicit {
		t.Errorf("default model output %q, --model %s output %q", withDefault, file, explicit)
	}
	saved := defaultModel
	t.Cleanup(func() { defaultModel = saved })
	defaultModel = func(engine.Options) (clipModel, error) { return nil, errors.New("broken default") }
	if _, stderr, code := clip(t, "embed", "--text", "x"); code != 1 || !strings.Contains(stderr, "broken default") {
		t.Errorf("failing default model: exit %d, stderr %q", code, stderr)
	}
}

// TestDemo runs make demo's command (Makefile: classify the samples against their label
// list with the built-in model): a top-5 line per picture, the right label first.
func TestDemo(t *testing.T) {
	root := filepath.Join("..", "..")
	sm, err := samples.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	out, stderr, code := clip(t, append([]string{"classify", "--labels-file", samples.LabelsFile(root)}, sm.Pictures...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := lines(out)
	if len(got) != len(sm.Pictures) {
		t.Fatalf("%d lines for %d pictures:\n%s", len(got), len(sm.Pictures), out)
	}
	for i, line := range got {
		var r classifyRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		if r.Image != sm.Pictures[i] || len(r.Top) != 5 || r.Top[0].Label != sm.Want[i] {
			t.Errorf("line %q: want %s first of five", line, sm.Want[i])
		}
	}
}

// TestKernelFlags: classify gives the same output on every kernel this CPU runs (and the
// portable one, --kernel portable or --portable), --verbose names the kernel, and a
// kernel this CPU lacks, or --kernel with a float model, is a usage error.
func TestKernelFlags(t *testing.T) {
	root := filepath.Join("..", "..")
	sm, err := samples.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	base := append([]string{"classify", "--labels-file", samples.LabelsFile(root)}, sm.Pictures[:3]...)
	want, stderr, code := clip(t, base...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	runs := [][]string{{"--portable"}}
	for _, k := range engine.Kernels() {
		runs = append(runs, []string{"--kernel", k})
	}
	for _, flags := range runs {
		got, stderr, code := clip(t, append(append([]string{base[0], "--verbose"}, flags...), base[1:]...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", flags, code, stderr)
		}
		if got != want {
			t.Errorf("%v: output differs from the default kernel's:\n%s\nwant\n%s", flags, got, want)
		}
		k := flags[len(flags)-1]
		if flags[0] == "--portable" {
			k = "portable"
		}
		if !strings.Contains(stderr, "kernel ") || !strings.Contains(stderr, k) || !strings.Contains(stderr, "images/s") {
			t.Errorf("%v: --verbose said %q", flags, stderr)
		}
	}
	for _, bad := range [][]string{
		{"classify", "--kernel", "no-such-kernel", "--labels", "a,b", sm.Pictures[0]},
		{"classify", "--kernel", "portable", "--model", tinyModel(t), "--labels", "a,b", sm.Pictures[0]},
	} {
		if _, stderr, code := clip(t, bad...); code != 2 || !strings.Contains(stderr, "--kernel") {
			t.Errorf("%v: exit %d, stderr %q; want a usage error about --kernel", bad, code, stderr)
		}
	}
}
