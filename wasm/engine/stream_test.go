package engine_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clip-go/clip/wasm/engine"
	"github.com/clip-go/clip/wasm/quanttest"
	"github.com/clip-go/clip/weights"
)

// hubFiles reads a folder's small files as the page gets them.
func hubFiles(t *testing.T, dir string) engine.HubFiles {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return engine.HubFiles{Config: read("config.json"), Vocab: read("vocab.json"), Merges: read("merges.txt"), Preprocessor: read("preprocessor_config.json")}
}

// streamQuantize feeds data to a StreamQuantizer in random pieces of 1 byte to maxPiece.
func streamQuantize(t *testing.T, hub engine.HubFiles, data []byte, bits int, limit int64, rng *rand.Rand, maxPiece int) ([]byte, error) {
	t.Helper()
	cfg, vocab, merges, pre, err := hub.Prepare()
	if err != nil {
		t.Fatal(err)
	}
	s, err := engine.NewStreamQuantizer(cfg, vocab, merges, pre, bits, 0, weights.DefaultBlock, limit)
	if err != nil {
		t.Fatal(err)
	}
	for len(data) > 0 {
		k := min(len(data), 1+rng.IntN(maxPiece))
		if _, err := s.Write(data[:k]); err != nil {
			return nil, err
		}
		data = data[k:]
	}
	return s.Finish()
}

// wholeFile quantizes the folder as clip quantize does: every parameter in memory,
// through Quantize, written by weights.Write.
func wholeFile(t *testing.T, hub engine.HubFiles, data []byte, bits int) []byte {
	t.Helper()
	cfg, vocab, merges, pre, err := hub.Prepare()
	if err != nil {
		t.Fatal(err)
	}
	f, err := weights.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	qf, err := engine.Quantize(cfg, f.Tensors, vocab, merges, pre, bits, engine.TextBitsFor(bits), weights.DefaultBlock)
	if err != nil {
		t.Fatal(err)
	}
	out, err := qf.File()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := weights.Write(&buf, out); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestStreamQuantizerMatchesWholeFile: a float checkpoint (F32, F16, BF16) fed in
// random pieces, down to single bytes, gives byte-for-byte the file that Quantize and
// weights.Write give for it whole (what clip quantize writes), at 8 and 4 bits; the
// engine loads it.
func TestStreamQuantizerMatchesWholeFile(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	folders := map[weights.DType]string{}
	for _, c := range []struct {
		dtype  weights.DType
		bits   int
		pieces []int // the largest piece of each run
	}{
		{weights.F32, 8, []int{1000, 1 << 20}},
		{weights.F32, 4, []int{1 << 16}},
		{weights.F16, 8, []int{4096}},
		{weights.BF16, 8, []int{7}}, // many odd-sized pieces, splitting values
	} {
		dir, ok := folders[c.dtype]
		if !ok {
			dir = t.TempDir()
			quanttest.HubFolder(t, dir, quanttest.TinyConfig, 3, c.dtype)
			folders[c.dtype] = dir
		}
		hub := hubFiles(t, dir)
		data, err := os.ReadFile(filepath.Join(dir, "model.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		want := wholeFile(t, hub, data, c.bits)
		for _, maxPiece := range c.pieces {
			got, err := streamQuantize(t, hub, data, c.bits, 0, rng, maxPiece)
			if err != nil {
				t.Fatalf("%s, %d bits, pieces up to %d: %v", c.dtype, c.bits, maxPiece, err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s, %d bits, pieces up to %d: %d bytes differ from the whole-file %d", c.dtype, c.bits, maxPiece, len(got), len(want))
			}
		}
		if _, err := engine.Load(want, engine.Options{}); err != nil {
			t.Fatalf("%s, %d bits: %v", c.dtype, c.bits, err)
		}
	}
}

// TestStreamQuantizerErrors: a download cut anywhere, a file that is not a model, a
// checkpoint of another model and one whose quantized file exceeds the limit each get
// their error.
func TestStreamQuantizerErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	dir := t.TempDir()
	quanttest.HubFolder(t, dir, quanttest.TinyConfig, 4, weights.F16)
	hub := hubFiles(t, dir)
	data, _ := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	for _, cut := range []int{0, 5, 100, len(data) / 3, len(data) - 1} {
		_, err := streamQuantize(t, hub, data[:cut], 8, 0, rng, 4096)
		if err == nil || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("cut at %d of %d: %v", cut, len(data), err)
		}
	}
	_, err := streamQuantize(t, hub, []byte("<!doctype html><html>not found</html>"), 8, 0, rng, 10)
	if !errors.Is(err, engine.ErrNotCLIP) {
		t.Errorf("an HTML page: %v", err)
	}
	other := weights.NewFile()
	other.Tensors["bert.embeddings.weight"] = weights.FromFloat32s([]int{2, 2}, []float32{1, 2, 3, 4})
	var buf bytes.Buffer
	weights.Write(&buf, other)
	if _, err := streamQuantize(t, hub, buf.Bytes(), 8, 0, rng, 10); !errors.Is(err, engine.ErrNotCLIP) || !strings.Contains(err.Error(), "missing parameter") {
		t.Errorf("another model: %v", err)
	}
	var tooLarge *weights.TooLargeError
	if _, err := streamQuantize(t, hub, data, 8, 1<<20, rng, 1<<16); !errors.As(err, &tooLarge) {
		t.Errorf("a 1 MB limit: %v", err)
	}
	if _, _, _, _, err := (engine.HubFiles{Config: []byte("{not json")}).Prepare(); !errors.Is(err, engine.ErrNotCLIP) {
		t.Errorf("a broken config.json: %v", err)
	}
}

// TestStreamQuantizerActBits: with 7-bit activations asked for, the streamed file is
// what Quantize gives with ActBits 7 (clip quantize --act-bits 7); the width is refused
// once the header has arrived, and when it is neither 8 nor 7.
func TestStreamQuantizerActBits(t *testing.T) {
	dir := t.TempDir()
	quanttest.HubFolder(t, dir, quanttest.TinyConfig, 4, weights.F32)
	hub := hubFiles(t, dir)
	data, err := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	want := quanttest.WithActBits(t, wholeFile(t, hub, data, 8), 7)
	cfg, vocab, merges, pre, err := hub.Prepare()
	if err != nil {
		t.Fatal(err)
	}
	s, err := engine.NewStreamQuantizer(cfg, vocab, merges, pre, 8, 0, weights.DefaultBlock, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetActBits(6); err == nil {
		t.Error("activation width 6 accepted")
	}
	if err := s.SetActBits(7); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := s.SetActBits(8); err == nil {
		t.Error("the activation width changed after the header")
	}
	got, err := s.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("streamed %d bytes differ from the whole file's %d with 7-bit activations", len(got), len(want))
	}
	m, err := engine.Load(got, engine.Options{})
	if err != nil || m.ActBits() != 7 {
		t.Fatalf("loaded: %v, activation bits %d", err, m.ActBits())
	}
}
