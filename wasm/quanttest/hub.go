package quanttest

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/model/tokenizer"
	"github.com/clip-go/clip/wasm/engine"
	"github.com/clip-go/clip/weights"
	"github.com/gomlx/compute/dtypes/bfloat16"
	"github.com/gomlx/compute/dtypes/float16"
)

// HubFolder writes a float model folder in the hub layout into dir: config.json,
// model.safetensors (Params in dtype F32, F16 or BF16, plus the hub's I64 position_ids
// buffer, which quantizers skip), vocab.json and merges.txt (the built-in vocabulary; the
// test is skipped in a build without it) and preprocessor_config.json. It is what
// `clip quantize` and the page's streaming quantizer take.
func HubFolder(tb testing.TB, dir, cfgJSON string, seed uint64, dtype weights.DType) {
	tb.Helper()
	tok, err := tokenizer.Default()
	if err != nil {
		tb.Skip(err)
	}
	if err := tok.WriteHub(dir); err != nil {
		tb.Fatal(err)
	}
	cfg, err := engine.ParseConfig([]byte(cfgJSON))
	if err != nil {
		tb.Fatal(err)
	}
	pre, err := imageproc.DefaultConfig(cfg.Vision.ImageSize).MarshalHub()
	if err != nil {
		tb.Fatal(err)
	}
	f := weights.NewFile()
	f.Metadata["format"] = "pt"
	for name, t := range Params(tb, []byte(cfgJSON), seed) {
		f.Tensors[name] = Convert(tb, t, dtype)
	}
	ids := make([]int64, cfg.Text.MaxPositionEmbeddings)
	for i := range ids {
		ids[i] = int64(i)
	}
	f.Tensors["text_model.embeddings.position_ids"] = weights.FromInt64s([]int{1, len(ids)}, ids)
	for name, b := range map[string][]byte{"config.json": []byte(cfgJSON), "preprocessor_config.json": pre} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	if err := weights.WriteFile(filepath.Join(dir, "model.safetensors"), f); err != nil {
		tb.Fatal(err)
	}
}

// Convert rounds an F32 tensor to dtype (F32, F16 or BF16).
func Convert(tb testing.TB, t *weights.Tensor, dtype weights.DType) *weights.Tensor {
	tb.Helper()
	if dtype == weights.F32 {
		return t
	}
	vals, err := t.Float32s()
	if err != nil {
		tb.Fatal(err)
	}
	out := &weights.Tensor{DType: dtype, Shape: t.Shape, Data: make([]byte, 2*len(vals))}
	for i, v := range vals {
		var u uint16
		switch dtype {
		case weights.F16:
			u = uint16(float16.FromFloat32(v))
		case weights.BF16:
			u = uint16(bfloat16.FromFloat32(v))
		default:
			tb.Fatalf("unsupported dtype %s", dtype)
		}
		binary.LittleEndian.PutUint16(out.Data[2*i:], u)
	}
	return out
}
