package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/clip-go/clip/wasm/engine"
	"github.com/clip-go/clip/wasm/quanttest"
	"github.com/clip-go/clip/weights"
)

// TestQuantizeMatchesStream: the file `clip quantize` writes for a float hub folder is
// byte-for-byte what the page's streaming quantizer makes of the same folder's files
// (read as bytes, the checkpoint fed in 64 kB pieces as a download delivers it), for
// F32 and BF16 checkpoints at 8 and 4 bits.
func TestQuantizeMatchesStream(t *testing.T) {
	for _, dtype := range []weights.DType{weights.F32, weights.BF16} {
		dir := t.TempDir()
		quanttest.HubFolder(t, dir, quanttest.TinyConfig, 11, dtype)
		read := func(name string) []byte {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		hub := engine.HubFiles{Config: read("config.json"), Vocab: read("vocab.json"), Merges: read("merges.txt"), Preprocessor: read("preprocessor_config.json")}
		cfg, vocab, merges, pre, err := hub.Prepare()
		if err != nil {
			t.Fatal(err)
		}
		for _, bits := range []string{"8", "4"} {
			out := filepath.Join(t.TempDir(), "q.safetensors")
			if _, stderr, code := clip(t, "quantize", "--model", dir, "--bits", bits, "--out", out); code != 0 {
				t.Fatalf("quantize: exit %d: %s", code, stderr)
			}
			want, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			s, err := engine.NewStreamQuantizer(cfg, vocab, merges, pre, int(bits[0]-'0'), 0, weights.DefaultBlock, 0)
			if err != nil {
				t.Fatal(err)
			}
			for data := read("model.safetensors"); len(data) > 0; {
				k := min(len(data), 64<<10)
				if _, err := s.Write(data[:k]); err != nil {
					t.Fatal(err)
				}
				data = data[k:]
			}
			got, err := s.Finish()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s, --bits %s: the stream's %d bytes differ from clip quantize's %d", dtype, bits, len(got), len(want))
			}
		}
	}
}
