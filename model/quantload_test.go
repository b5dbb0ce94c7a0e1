package model_test

import (
	"github.com/clip-go/clip/model/zeroshot"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/wasm/engine"
	"github.com/clip-go/clip/wasm/quanttest"
)

// TestLoadQuantizedFile: model.Load opens clip quantize's file as a float model, its
// weights dequantized: its embeddings are the quantized engine's to within the engine's
// own activation rounding (cosine ≥ 0.999), with the file's tokenizer and preprocessing;
// a cut file is an error.
func TestLoadQuantizedFile(t *testing.T) {
	data := quanttest.Model(t, quanttest.TinyConfig, 8, 32, 3)
	path := filepath.Join(t.TempDir(), "tiny-int8.safetensors")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	backend, err := model.NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Load(path, backend)
	if err != nil {
		t.Fatal(err)
	}
	q, err := engine.Load(append([]byte(nil), data...), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Image != q.ImageConfig() {
		t.Errorf("preprocessing %+v, the file's %+v", m.Image, q.ImageConfig())
	}
	texts := []string{"a red circle", "an emoji of a cat"}
	ft, err := m.EncodeTexts(texts, false)
	if err != nil {
		t.Fatal(err)
	}
	qt, err := q.EncodeTexts(texts, false)
	if err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(t.TempDir(), "a.png")
	if err := os.WriteFile(img, quanttest.PNG(t, 40, 30, 5), 0o644); err != nil {
		t.Fatal(err)
	}
	fi, _, err := m.EncodeImageFiles([]string{img})
	if err != nil {
		t.Fatal(err)
	}
	qi, _, err := q.EncodeImageFiles([]string{img})
	if err != nil {
		t.Fatal(err)
	}
	for i, pair := range [][2][]float32{{ft[0], qt[0]}, {ft[1], qt[1]}, {fi[0], qi[0]}} {
		if c := zeroshot.Cosine(pair[0], pair[1]); c < 0.999 {
			t.Errorf("embedding %d: cosine %.5f between the dequantized model and the engine", i, c)
		}
	}
	cut := filepath.Join(t.TempDir(), "cut.safetensors")
	if err := os.WriteFile(cut, data[:len(data)-100], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := model.Load(cut, backend); err == nil || !strings.Contains(err.Error(), "cut.safetensors") {
		t.Errorf("a truncated quantized file: %v, want an error naming it", err)
	}
}
