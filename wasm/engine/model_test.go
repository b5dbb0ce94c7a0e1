package engine_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/clip-go/clip/wasm/engine"
	"github.com/clip-go/clip/wasm/quanttest"
	"github.com/clip-go/clip/weights"
)

func load(t *testing.T, data []byte, opt engine.Options) *engine.Model {
	t.Helper()
	m, err := engine.Load(bytes.Clone(data), opt)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestKernelsAndWorkersAgree: the portable kernel and every SIMD one this CPU runs, one
// worker or several, give the same bits for whole forward passes, at both bit widths and with 7-bit activations
// (which must change the result: the file's setting is obeyed).
func TestKernelsAndWorkersAgree(t *testing.T) {
	texts := []string{"a photo of a dog.", "a diagram", "an emoji of a grinning face, with some more words to make it longer"}
	images := [][]byte{quanttest.PNG(t, 40, 32, 1), quanttest.PNG(t, 32, 50, 2), quanttest.PNG(t, 64, 64, 3)}
	var act8 [][]float32
	for _, c := range []struct{ bits, actBits int }{{8, 8}, {4, 8}, {8, 7}} {
		bits := c.bits
		data := quanttest.Model(t, quanttest.TinyConfig, bits, 32, 1)
		if c.actBits == 7 {
			data = quanttest.WithActBits(t, data, 7)
		}
		ref := quanttest.Embed(t, load(t, data, engine.Options{Portable: true, Workers: 1}), texts, images)
		if c.bits == 8 && c.actBits == 8 {
			act8 = ref
		} else if c.actBits == 7 && math.Float32bits(ref[0][0]) == math.Float32bits(act8[0][0]) && math.Float32bits(ref[3][1]) == math.Float32bits(act8[3][1]) {
			t.Error("7-bit activations gave the 8-bit embeddings")
		}
		opts := []engine.Options{{Workers: 1}, {Workers: 3}, {Portable: true, Workers: 2}}
		for _, k := range engine.Kernels() { // every kernel this CPU runs, and AMX off
			opts = append(opts, engine.Options{Kernel: k, Workers: 2}, engine.Options{Kernel: k, Workers: 2, NoAMX: true})
		}
		for _, opt := range opts {
			m := load(t, data, opt)
			if want := opt.Kernel; want != "" && !strings.HasSuffix(m.Kernel(), want) {
				t.Fatalf("Kernel %q gave %q", want, m.Kernel())
			}
			got := quanttest.Embed(t, m, texts, images)
			for i := range ref {
				if len(got[i]) != 32 {
					t.Fatalf("embedding of %d values", len(got[i]))
				}
				for k := range ref[i] {
					if math.Float32bits(got[i][k]) != math.Float32bits(ref[i][k]) || math.IsNaN(float64(ref[i][k])) {
						t.Fatalf("int%d %+v: input %d [%d] = %v, portable single-threaded %v", bits, opt, i, k, got[i][k], ref[i][k])
					}
				}
			}
		}
	}
}

// TestTextCache: prompts are encoded once; a classifier for new labels encodes only the
// new labels' prompts.
func TestTextCache(t *testing.T) {
	m := load(t, quanttest.Model(t, quanttest.TinyConfig, 8, 32, 2), engine.Options{})
	templates := []string{"a photo of a {}.", "art of the {}."}
	if _, err := m.Classifier([]string{"cat", "dog"}, templates, false); err != nil {
		t.Fatal(err)
	}
	if m.CacheHits() != 0 {
		t.Fatalf("%d cache hits on new prompts", m.CacheHits())
	}
	clf, err := m.Classifier([]string{"dog", "cat", "turtle"}, templates, false)
	if err != nil {
		t.Fatal(err)
	}
	if m.CacheHits() != 4 {
		t.Errorf("%d cache hits, want 4 (cat and dog under two templates)", m.CacheHits())
	}
	if images, texts := m.Encoded(); images != 0 || texts != 6 {
		t.Errorf("encoded %d images and %d texts, want 0 and 6 (three labels, two templates)", images, texts)
	}
	a, _ := m.EncodeTexts([]string{"a photo of a cat."}, false)
	b, _ := m.EncodeTokens(mustTokenize(t, m, "a photo of a cat."))
	for k := range a[0] {
		if a[0][k] != b[0][k] {
			t.Fatal("cached embedding differs from a fresh one")
		}
	}
	if len(clf.Labels) != 3 || clf.Labels[0] != "dog" {
		t.Errorf("labels %v", clf.Labels)
	}
}

func mustTokenize(t *testing.T, m *engine.Model, text string) [][]int {
	rows, err := m.Tokenize([]string{text}, false)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestBadFiles: damaged, edited, foreign and oversized files are refused with a clear
// error, never a panic.
func TestBadFiles(t *testing.T) {
	good := quanttest.Model(t, quanttest.TinyConfig, 4, 32, 3)
	plain := new(bytes.Buffer)
	weights.Write(plain, &weights.File{Tensors: map[string]*weights.Tensor{"x": weights.FromFloat32s([]int{2}, []float32{1, 2})}})
	hdrLen := int(binary.LittleEndian.Uint64(good))
	flip := func(at int) []byte {
		b := bytes.Clone(good)
		b[at] ^= 0x40
		return b
	}
	withMeta := func(old, new string) []byte {
		b := bytes.Replace(good, []byte(old), []byte(new), 1)
		if bytes.Equal(b, good) {
			t.Fatalf("%q not in the header", old)
		}
		return b
	}
	for _, c := range []struct {
		name string
		data []byte
		opt  engine.Options
		want string
	}{
		{"empty", nil, engine.Options{}, "not a safetensors file"},
		{"garbage", []byte("this is not a model file at all, no"), engine.Options{}, "not a safetensors file"},
		{"truncated header", good[:hdrLen/2], engine.Options{}, "truncated"},
		{"truncated data", good[:len(good)-1000], engine.Options{}, "truncated"},
		{"flipped weight byte", flip(len(good) - 5000), engine.Options{}, "checksum mismatch"},
		{"flipped scale byte", flip(8 + hdrLen + 3), engine.Options{}, "checksum mismatch"},
		{"edited bit width", withMeta(`"bits":"4"`, `"bits":"8"`), engine.Options{}, "checksum mismatch"},
		{"unsupported bit width", withMeta(`"bits":"4"`, `"bits":"5"`), engine.Options{}, "checksum mismatch"},
		{"newer format", withMeta(`"format_version":"1"`, `"format_version":"9"`), engine.Options{}, "version"},
		{"plain safetensors", plain.Bytes(), engine.Options{}, "not a quantized CLIP model"},
		{"too large for memory", good, engine.Options{MaxMemory: 32 << 20}, "model too large"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := engine.Load(bytes.Clone(c.data), c.opt)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one about %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error: %q", err)
			}
		})
	}
	// Every truncation point fails cleanly.
	for n := 0; n < len(good); n += 1 + len(good)/97 {
		if _, err := engine.Load(bytes.Clone(good[:n]), engine.Options{}); err == nil {
			t.Fatalf("a file cut at %d of %d bytes loaded", n, len(good))
		}
	}
}

// TestBadInputs: bad images, texts and token ids are errors.
func TestBadInputs(t *testing.T) {
	m := load(t, quanttest.Model(t, quanttest.TinyConfig, 8, 32, 4), engine.Options{})
	feats, errs, err := m.EncodeImages([][]byte{[]byte("not an image"), quanttest.PNG(t, 20, 20, 1)})
	if err != nil || errs[0] == nil || errs[1] != nil || feats[0] != nil || len(feats[1]) != 32 {
		t.Errorf("one bad image among good ones: %v %v", errs, err)
	}
	if _, err := m.EncodeTexts([]string{strings.Repeat("word ", 100)}, false); err == nil || !strings.Contains(err.Error(), "longer than the context") {
		t.Errorf("long text: %v", err)
	}
	if f, err := m.EncodeTexts([]string{strings.Repeat("word ", 100)}, true); err != nil || len(f[0]) != 32 {
		t.Errorf("long text with truncation: %v", err)
	}
	if _, err := m.EncodeTokens([][]int{{49406, 60000, 49407}}); err == nil {
		t.Error("token id outside the vocabulary accepted")
	}
	if _, err := m.EncodePixels(make([]float32, 10), 1); err == nil {
		t.Error("wrong pixel count accepted")
	}
}
