// Package engine runs CLIP's image and text encoders on a quantized model file (see
// weights/quantfile.go) in plain Go: the weights stay 8- or 4-bit in memory and the
// matmuls run on their integer blocks against activations quantized on the fly, while
// everything else (layer norms, attention, activations, the residual stream) is float32.
// It builds for WebAssembly (GOOS=js GOARCH=wasm), where it runs single-threaded on the
// portable kernel; natively it uses all cores and the best of its assembly kernels that
// the CPU runs (AVX-512 VNNI and AMX, AVX-VNNI, AVX2; on arm64 I8MM and the dot product),
// which give bit-identical results.
//
// It does not import the GoMLX model package (which does not build for WebAssembly);
// tokenization, image preprocessing and zero-shot classification come from the model
// core's packages that do.
package engine

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/model/tokenizer"
	"github.com/clip-go/clip/weights"
)

// Options tune a loaded model.
type Options struct {
	// Workers is the number of goroutines a forward pass uses; 0 means GOMAXPROCS (which
	// is 1 in WebAssembly).
	Workers int
	// Portable forces the portable kernel even where the SIMD one would run (to compare
	// them, and to measure what WebAssembly runs).
	Portable bool
	// Kernel names the matmul kernel to use (one of Kernels()); "" picks the best this
	// CPU runs. Bench and tests use it to compare the kernels on one machine.
	Kernel string
	// NoAMX keeps 8-bit layers on the AVX-512 VNNI kernel where the AMX one would run (to
	// compare them).
	NoAMX bool
	// MaxMemory, if positive, refuses a model whose estimated memory (see
	// EstimateMemory) exceeds it, before anything is allocated.
	MaxMemory int64
	// TextCache is how many prompt embeddings to keep (0: DefaultTextCache; negative:
	// none).
	TextCache int
	// Verified is the checksum of a file whose copy another engine has just loaded
	// (the page's other workers): a file carrying it is not hashed again
	// (weights.ParseQuantVerified).
	Verified string
}

// DefaultTextCache is the default number of cached prompt embeddings: enough for a
// thousand labels under the seven default templates.
const DefaultTextCache = 8192

// Model is a loaded quantized CLIP. Its methods are safe for concurrent use; forward
// passes run one at a time (each already uses all workers).
type Model struct {
	cfg         Config
	pre         imageproc.Config
	tok         *tokenizer.Tokenizer
	id          string
	bits, block int   // the file's nominal bits and its block size
	qmax        int32 // activations are quantized to ±qmax: 127, or 63 for 7-bit files
	textBits    int   // bits of the text tower's layers
	visionBits  int   // and of the image tower's
	workers     int
	kern        kernel  // the matmul kernel (native; portable in WebAssembly, see js)
	ops         *vecOps // the native float helpers that go with kern, or nil (Go's)
	amx         bool    // and the AMX kernel for its 8-bit layers (native, where the CPU has AMX)
	js          bool    // the WebAssembly SIMD kernel (in a page that loaded it)
	relaxed     bool    // and its relaxed-SIMD int4 matmul (kernel_relaxed.wat), where the browser has it
	fileSize    int64
	logitScale  float64 // exp(logit_scale), clamped at maxLogitScale

	text   textTower
	vision visionTower

	mu    sync.Mutex // guards ws and the counters
	ws    workspace
	cache *textCache

	// encodedImages and encodedTexts count the inputs run through each tower, so a page
	// (or a test) can see that a cache did its job.
	encodedImages, encodedTexts int
}

type textTower struct {
	tokEmb         *weights.QTensor // rows are dequantized as they are looked up
	pos            []float32        // [context][D]
	layers         []layer
	finalW, finalB []float32
	proj           *linear
}

type visionTower struct {
	patch                    *linear // [D][C·p·p]: the stride-p convolution as a matmul
	cls, pos                 []float32
	preW, preB, postW, postB []float32
	layers                   []layer
	proj                     *linear
}

// maxLogitScale clamps exp(logit_scale) as the model does.
const maxLogitScale = 100.0

// memoryOverhead is what the engine needs beyond the file itself: the tokenizer's maps
// (about 15 MB for CLIP's 49408 tokens), the activation workspace of an image batch and
// the Go runtime. Measured on ViT-B/32 at about 30 MB; the margin covers larger shapes.
const memoryOverhead = 64 << 20

// EstimateMemory is the memory a model file of size bytes needs once loaded. The
// weights stay as they are in the file, so it is the file plus a fixed overhead.
func EstimateMemory(size int64) int64 { return size + memoryOverhead }

// LoadFile reads and loads a quantized model file.
func LoadFile(path string, opt Options) (*Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := checkMemory(st.Size(), opt.MaxMemory); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := Load(data, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func checkMemory(size, limit int64) error {
	if need := EstimateMemory(size); limit > 0 && need > limit {
		return fmt.Errorf("model too large: a %.1f MB file needs about %.0f MB once loaded, more than the %.0f MB available",
			float64(size)/1e6, float64(need)/1e6, float64(limit)/1e6)
	}
	return nil
}

// Load loads a quantized model file held in memory. The model keeps data and rearranges
// it in place: the caller must not use data afterwards.
func Load(data []byte, opt Options) (*Model, error) {
	if err := checkMemory(int64(len(data)), opt.MaxMemory); err != nil {
		return nil, err
	}
	qf, err := weights.ParseQuantVerified(data, opt.Verified)
	if err != nil {
		return nil, err
	}
	m := &Model{id: qf.Checksum, bits: qf.Bits, block: qf.Block, qmax: 127, fileSize: int64(len(data))}
	if qf.ActBits == 7 {
		m.qmax = 63
	}
	if m.cfg, err = ParseConfig(qf.Config); err != nil {
		return nil, err
	}
	if m.pre, err = imageproc.ParseRecorded(qf.Preprocessor, m.cfg.Vision.ImageSize); err != nil {
		return nil, err
	}
	if m.tok, err = tokenizer.ParseHub(qf.Vocab, qf.Merges); err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if m.tok.VocabSize() > m.cfg.Text.VocabSize {
		return nil, fmt.Errorf("tokenizer has %d tokens but the model's vocabulary has %d", m.tok.VocabSize(), m.cfg.Text.VocabSize)
	}
	if err := m.build(qf); err != nil {
		return nil, err
	}
	m.workers = opt.Workers
	if m.workers <= 0 {
		m.workers = runtime.GOMAXPROCS(0)
	}
	if m.kern, err = pickKernel(opt.Kernel, opt.Portable); err != nil {
		return nil, err
	}
	m.ops = opsFor(m.kern)
	m.amx = m.kern == avx512Kernel && haveAMX() && !opt.NoAMX && m.block%32 == 0
	// The WebAssembly kernel works in 16-input chunks.
	m.js = !opt.Portable && m.block%16 == 0 && findJSKernel()
	// The relaxed module multiplies int4 weights in 32-input chunks, and int8 weights
	// where activations have 7 bits; other int8 layers stay with the SIMD128 module.
	m.relaxed = m.js && (m.block%32 == 0 && (m.textBits == 4 || m.visionBits == 4) ||
		m.qmax == 63 && (m.textBits == 8 || m.visionBits == 8)) && findRelaxedKernel()
	if m.kern != portableKernel {
		for _, l := range m.linears() {
			l.repack(m.kern, m.amx && l.bits == 8 && l.bs%32 == 0)
		}
	}
	size := opt.TextCache
	if size == 0 {
		size = DefaultTextCache
	}
	m.cache = newTextCache(size)
	// Loading leaves garbage (the tokenizer's JSON, the header): hand it back now rather
	// than let it sit until the heap doubles, so memory stays close to the file size.
	debug.FreeOSMemory()
	return m, nil
}

// build checks every tensor against the config and assembles the towers.
func (m *Model) build(qf *weights.QuantFile) error {
	c := m.cfg
	var err error
	// Errors are collected as they come: the first one is returned.
	fail := func(e error) {
		if err == nil {
			err = e
		}
	}
	float := func(name string, shape ...int) []float32 {
		t, ok := qf.Float[name]
		if !ok {
			fail(fmt.Errorf("missing tensor %q", name))
			return make([]float32, prod(shape))
		}
		if !slices.Equal(t.Shape, shape) {
			fail(fmt.Errorf("tensor %q has shape %v, the config calls for %v", name, t.Shape, shape))
			return make([]float32, prod(shape))
		}
		out := make([]float32, len(t.Data)/4)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
		}
		return out
	}
	quant := func(name string, shape ...int) *weights.QTensor {
		q, ok := qf.Quant[name+".weight"]
		if !ok {
			fail(fmt.Errorf("missing quantized tensor %q", name+".weight"))
			return nil
		}
		if !slices.Equal(q.Shape, shape) {
			fail(fmt.Errorf("tensor %q has shape %v, the config calls for %v", name+".weight", q.Shape, shape))
			return nil
		}
		return q
	}
	lin := func(name string, out, in int, bias bool, extra ...int) *linear {
		q := quant(name, append([]int{out, in}, extra...)...)
		if q == nil {
			return nil
		}
		var b []float32
		if bias {
			b = float(name+".bias", out)
		}
		l, e := newLinear(q, b)
		if e != nil {
			fail(fmt.Errorf("%s: %v", name, e))
		}
		return l
	}
	layers := func(prefix string, n, d, ff int) []layer {
		ls := make([]layer, n)
		for i := range ls {
			p := fmt.Sprintf("%s.encoder.layers.%d.", prefix, i)
			ls[i] = layer{
				ln1w: float(p+"layer_norm1.weight", d), ln1b: float(p+"layer_norm1.bias", d),
				ln2w: float(p+"layer_norm2.weight", d), ln2b: float(p+"layer_norm2.bias", d),
				q: lin(p+"self_attn.q_proj", d, d, true), k: lin(p+"self_attn.k_proj", d, d, true),
				v: lin(p+"self_attn.v_proj", d, d, true), o: lin(p+"self_attn.out_proj", d, d, true),
				fc1: lin(p+"mlp.fc1", ff, d, true), fc2: lin(p+"mlp.fc2", d, ff, true),
			}
		}
		return ls
	}
	t, v := c.Text, c.Vision
	m.text = textTower{
		tokEmb: quant("text_model.embeddings.token_embedding", t.VocabSize, t.HiddenSize),
		pos:    float("text_model.embeddings.position_embedding.weight", t.MaxPositionEmbeddings, t.HiddenSize),
		layers: layers("text_model", t.NumHiddenLayers, t.HiddenSize, t.IntermediateSize),
		finalW: float("text_model.final_layer_norm.weight", t.HiddenSize),
		finalB: float("text_model.final_layer_norm.bias", t.HiddenSize),
		proj:   lin("text_projection", c.ProjectionDim, t.HiddenSize, false),
	}
	m.vision = visionTower{
		patch: lin("vision_model.embeddings.patch_embedding", v.HiddenSize, v.NumChannels, false, v.PatchSize, v.PatchSize),
		cls:   float("vision_model.embeddings.class_embedding", v.HiddenSize),
		pos:   float("vision_model.embeddings.position_embedding.weight", c.NumPatches()+1, v.HiddenSize),
		preW:  float("vision_model.pre_layrnorm.weight", v.HiddenSize), preB: float("vision_model.pre_layrnorm.bias", v.HiddenSize),
		layers: layers("vision_model", v.NumHiddenLayers, v.HiddenSize, v.IntermediateSize),
		postW:  float("vision_model.post_layernorm.weight", v.HiddenSize), postB: float("vision_model.post_layernorm.bias", v.HiddenSize),
		proj: lin("visual_projection", c.ProjectionDim, v.HiddenSize, false),
	}
	ls := float("logit_scale")
	if err != nil {
		return err
	}
	// q, k and v share their input, quantized once for one bit width (see weightOffset).
	for _, ls := range [][]layer{m.text.layers, m.vision.layers} {
		for i, l := range ls {
			if l.q.bits != l.k.bits || l.q.bits != l.v.bits {
				return fmt.Errorf("layer %d: q, k and v projections of different bit widths", i)
			}
		}
	}
	m.textBits, m.visionBits = m.text.layers[0].fc1.bits, m.vision.layers[0].fc1.bits
	m.logitScale = min(math.Exp(float64(ls[0])), maxLogitScale)
	return nil
}

// linears lists every matmul layer.
func (m *Model) linears() []*linear { return append(m.textLinears(), m.visionLinears()...) }

func (m *Model) textLinears() []*linear { return towerLinears(m.text.layers, m.text.proj) }

func (m *Model) visionLinears() []*linear {
	return towerLinears(m.vision.layers, m.vision.patch, m.vision.proj)
}

func towerLinears(layers []layer, extra ...*linear) []*linear {
	out := extra
	for _, l := range layers {
		out = append(out, l.q, l.k, l.v, l.o, l.fc1, l.fc2)
	}
	return out
}

func prod(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
