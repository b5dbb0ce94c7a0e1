package engine

import (
	"fmt"
	"slices"

	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/model/tokenizer"
	"github.com/clip-go/clip/model/zeroshot"
	"github.com/clip-go/clip/weights"
)

// Config returns the model's shape.
func (m *Model) Config() Config { return m.cfg }

// ID identifies the model's content (the file's checksum).
func (m *Model) ID() string { return m.id }

// Bits and Block describe the quantization: the file's nominal bit width (that of the
// image tower), and its block size.
func (m *Model) Bits() int { return m.bits }

// TextBits is the bit width of the text tower's layers (8 in a default 4-bit file).
func (m *Model) TextBits() int { return m.textBits }
func (m *Model) Block() int    { return m.block }

// Workers is the number of goroutines a forward pass uses.
func (m *Model) Workers() int { return m.workers }

// ActBits is the width activations are quantized to: 8, or 7 for a file that says so.
func (m *Model) ActBits() int {
	if m.qmax == 63 {
		return 7
	}
	return 8
}

// Kernel names the matmul kernel in use: "amx+avx512-vnni" (the 8-bit layers in AMX,
// the rest in VNNI), "avx512-vnni", "avx-vnni", "avx2", "neon-i8mm", "neon-dot", "wasm-relaxed-simd" (the int4 layers in relaxed
// SIMD, the rest in SIMD128), "wasm-simd128" or "portable".
func (m *Model) Kernel() string {
	switch {
	case m.amx && (m.visionBits == 8 || m.textBits == 8):
		return "amx+" + m.kern.String()
	case m.kern != portableKernel:
		return m.kern.String()
	case m.relaxed:
		return jsRelaxedName
	case m.js:
		return jsKernelName
	}
	return "portable"
}

// FileSize is the size of the model file.
func (m *Model) FileSize() int64 { return m.fileSize }

// Tokenizer returns the model's tokenizer.
func (m *Model) Tokenizer() *tokenizer.Tokenizer { return m.tok }

// ImageConfig returns the model's image preprocessing.
func (m *Model) ImageConfig() imageproc.Config { return m.pre }

// LogitScaleValue is exp(logit_scale), clamped as the model applies it.
func (m *Model) LogitScaleValue() (float64, error) { return m.logitScale, nil }

// CacheHits is the number of prompt embeddings served from the cache so far.
func (m *Model) CacheHits() int {
	m.cache.mu.Lock()
	defer m.cache.mu.Unlock()
	return m.cache.hits
}

// Encoded returns how many images and texts the towers have encoded since the model was
// loaded (cache hits excluded, bench runs included).
func (m *Model) Encoded() (images, texts int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.encodedImages, m.encodedTexts
}

// Tokenize turns texts into padded token rows. A text longer than the context is an
// error unless truncate is set, in which case it is cut as the original does.
func (m *Model) Tokenize(texts []string, truncate bool) ([][]int, error) {
	rows := make([][]int, len(texts))
	ctx := m.cfg.Text.MaxPositionEmbeddings
	for i, text := range texts {
		ids, err := m.tok.Encode(text)
		if err != nil {
			return nil, fmt.Errorf("text %q: %w", text, err)
		}
		var cut bool
		rows[i], cut = m.tok.Pad(ids, ctx)
		if cut && !truncate {
			return nil, fmt.Errorf("text %q is %d tokens, longer than the context of %d (start and end tokens included)", text, len(ids)+2, ctx)
		}
	}
	return rows, nil
}

// EncodeTexts tokenizes and encodes texts, taking what it can from the prompt cache and
// encoding the rest in batches. The returned slices must not be modified.
func (m *Model) EncodeTexts(texts []string, truncate bool) ([][]float32, error) {
	out := make([][]float32, len(texts))
	var missing []string
	var at []int
	for i, t := range texts {
		if e, ok := m.cache.get(cacheKey{t, truncate}); ok {
			out[i] = e
			continue
		}
		missing = append(missing, t)
		at = append(at, i)
	}
	if len(missing) == 0 {
		return out, nil
	}
	// Encode each distinct missing text once.
	uniq := slices.Clone(missing)
	slices.Sort(uniq)
	uniq = slices.Compact(uniq)
	rows, err := m.Tokenize(uniq, truncate)
	if err != nil {
		return nil, err
	}
	feats, err := m.EncodeTokens(rows)
	if err != nil {
		return nil, err
	}
	byText := make(map[string][]float32, len(uniq))
	for i, t := range uniq {
		byText[t] = feats[i]
		m.cache.put(cacheKey{t, truncate}, feats[i])
	}
	for j, i := range at {
		out[i] = byText[missing[j]]
	}
	return out, nil
}

// EncodeImages decodes, preprocesses and encodes encoded images (JPEG, PNG, GIF, BMP,
// WebP). An image that does not decode gets its error in errs and a nil feature; the
// others are still encoded.
func (m *Model) EncodeImages(images [][]byte) (features [][]float32, errs []error, err error) {
	return m.encodeWith(len(images), func(i int) ([]float32, error) {
		img, err := imageproc.DecodeBytes(images[i])
		if err != nil {
			return nil, err
		}
		return m.pre.Preprocess(img), nil
	})
}

// EncodeImageFiles is EncodeImages on files; errors name the file.
func (m *Model) EncodeImageFiles(paths []string) (features [][]float32, errs []error, err error) {
	return m.encodeWith(len(paths), func(i int) ([]float32, error) { return m.pre.Load(paths[i]) })
}

func (m *Model) encodeWith(n int, load func(i int) ([]float32, error)) ([][]float32, []error, error) {
	return imageproc.EncodeEach(n, load, m.EncodePixels)
}

// Classifier builds a zero-shot classifier for labels from prompt templates; prompts
// already encoded for earlier label sets come from the cache.
func (m *Model) Classifier(labels, templates []string, truncate bool) (*zeroshot.Classifier, error) {
	return zeroshot.Build(m, labels, templates, truncate)
}

// FormatVersion describes the model files this build reads.
func FormatVersion() string {
	return fmt.Sprintf("%s v%d", weights.QuantFormat, weights.QuantFormatVersion)
}
