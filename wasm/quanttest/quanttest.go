// Package quanttest makes small quantized models and images for the quantized engine's tests,
// without the float model (which the WebAssembly tests cannot build) or fixtures.
package quanttest

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/model/tokenizer"
	"github.com/clip-go/clip/wasm/engine"
	"github.com/clip-go/clip/weights"
)

// TinyConfig is the "tiny" preset's config.json (the reference fixture's shape).
const TinyConfig = `{"projection_dim": 32, "logit_scale_init_value": 2.6592,
 "text_config": {"hidden_size": 64, "intermediate_size": 256, "num_attention_heads": 2, "num_hidden_layers": 2,
  "max_position_embeddings": 77, "vocab_size": 49408, "hidden_act": "quick_gelu", "layer_norm_eps": 1e-5,
  "bos_token_id": 49406, "eos_token_id": 49407},
 "vision_config": {"hidden_size": 128, "intermediate_size": 512, "num_attention_heads": 2, "num_hidden_layers": 2,
  "image_size": 32, "patch_size": 8, "num_channels": 3, "hidden_act": "quick_gelu", "layer_norm_eps": 1e-5}}`

// Params draws float parameters for a config: weights N(0, 1/fan_in), embeddings
// N(0, 0.02²), norms near 1 and biases near 0 (perturbed, so every tensor matters).
func Params(tb testing.TB, cfgJSON []byte, seed uint64) map[string]*weights.Tensor {
	tb.Helper()
	cfg, err := engine.ParseConfig(cfgJSON)
	if err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	out := map[string]*weights.Tensor{}
	for name, shape := range cfg.ParamShapes() {
		n := 1
		for _, d := range shape {
			n *= d
		}
		v := make([]float32, n)
		std, mean := 0.1, 0.0
		switch {
		case name == "logit_scale":
			mean, std = math.Log(1/0.07), 0
		case strings.Contains(name, "norm") && strings.HasSuffix(name, ".weight"):
			mean = 1
		case strings.Contains(name, "embedding"):
			std = 0.02
		case len(shape) >= 2:
			std = 1 / math.Sqrt(float64(n/shape[0]))
		}
		for i := range v {
			v[i] = float32(mean + std*rng.NormFloat64())
		}
		out[name] = weights.FromFloat32s(shape, v)
	}
	return out
}

// ExactParams draws parameters for a config that every platform computes alike: each
// value a small integer times a power of two (exact in float32), from PCG's integers, in
// the order of the sorted names. (Params goes through NormFloat64 and a multiply-add,
// which Go may fuse into one instruction on one platform and not on another.)
func ExactParams(tb testing.TB, cfgJSON []byte, seed uint64) map[string]*weights.Tensor {
	tb.Helper()
	cfg, err := engine.ParseConfig(cfgJSON)
	if err != nil {
		tb.Fatal(err)
	}
	shapes := cfg.ParamShapes()
	names := make([]string, 0, len(shapes))
	for name := range shapes {
		names = append(names, name)
	}
	slices.Sort(names)
	rng := rand.New(rand.NewPCG(seed, 11))
	out := map[string]*weights.Tensor{}
	for _, name := range names {
		shape := shapes[name]
		n := 1
		for _, d := range shape {
			n *= d
		}
		// ±1024 times 2^-e: ±1/8 for matrices, ±1/32 for embeddings, ±1/16 around
		// 1 or 0 for norms and biases.
		mean, e := float32(0), 13
		switch {
		case name == "logit_scale":
			mean, e = 2.65625, 40
		case strings.Contains(name, "norm") && strings.HasSuffix(name, ".weight"):
			mean, e = 1, 14
		case strings.Contains(name, "embedding"):
			e = 15
		case len(shape) < 2:
			e = 14
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = mean + float32(int32(rng.Uint32()>>21)-1024)*float32(math.Ldexp(1, -e))
		}
		out[name] = weights.FromFloat32s(shape, v)
	}
	return out
}

// Model returns the bytes of a quantized model file with random weights and the
// built-in CLIP vocabulary (the test is skipped in a build without it).
func Model(tb testing.TB, cfgJSON string, bits, block int, seed uint64) []byte {
	tb.Helper()
	return quantize(tb, cfgJSON, Params(tb, []byte(cfgJSON), seed), bits, block)
}

// ExactModel is Model with ExactParams: the same file on every platform.
func ExactModel(tb testing.TB, cfgJSON string, bits, block int, seed uint64) []byte {
	tb.Helper()
	return quantize(tb, cfgJSON, ExactParams(tb, []byte(cfgJSON), seed), bits, block)
}

func quantize(tb testing.TB, cfgJSON string, params map[string]*weights.Tensor, bits, block int) []byte {
	tb.Helper()
	tok, err := tokenizer.Default()
	if err != nil {
		tb.Skip(err)
	}
	dir := tb.TempDir()
	if err := tok.WriteHub(dir); err != nil {
		tb.Fatal(err)
	}
	vocab, _ := os.ReadFile(filepath.Join(dir, "vocab.json"))
	merges, _ := os.ReadFile(filepath.Join(dir, "merges.txt"))
	cfg, err := engine.ParseConfig([]byte(cfgJSON))
	if err != nil {
		tb.Fatal(err)
	}
	pre := imageproc.DefaultConfig(cfg.Vision.ImageSize).Record()
	qf, err := engine.Quantize([]byte(cfgJSON), params, vocab, merges, pre, bits, 0, block)
	if err != nil {
		tb.Fatal(err)
	}
	return fileBytes(tb, qf)
}

// fileBytes lays out a quantized model as the bytes of its file.
func fileBytes(tb testing.TB, qf *weights.QuantFile) []byte {
	tb.Helper()
	f, err := qf.File()
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	if err := weights.Write(&buf, f); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// WithActBits returns a quantized model file's bytes with its activation width set
// (weights.QuantFile.ActBits): the same weights, another checksum.
func WithActBits(tb testing.TB, data []byte, actBits int) []byte {
	tb.Helper()
	qf, err := weights.ParseQuant(data)
	if err != nil {
		tb.Fatal(err)
	}
	qf.ActBits = actBits
	return fileBytes(tb, qf)
}

// PNG returns a w×h image of smooth random colour fields as PNG bytes.
func PNG(tb testing.TB, w, h int, seed uint64) []byte {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 9))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	fx, fy, ph := rng.Float64()*0.3, rng.Float64()*0.3, rng.Float64()*6
	for y := range h {
		for x := range w {
			v := func(k float64) uint8 { return uint8(127 + 120*math.Sin(fx*float64(x)*k+fy*float64(y)+ph*k)) }
			img.Set(x, y, color.NRGBA{v(1), v(1.7), v(2.3), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// Embed encodes texts then images with m, failing the test on any error.
func Embed(tb testing.TB, m *engine.Model, texts []string, images [][]byte) [][]float32 {
	tb.Helper()
	tf, err := m.EncodeTexts(texts, false)
	if err != nil {
		tb.Fatal(err)
	}
	imf, errs, err := m.EncodeImages(images)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range errs {
		if e != nil {
			tb.Fatal(e)
		}
	}
	return append(tf, imf...)
}
