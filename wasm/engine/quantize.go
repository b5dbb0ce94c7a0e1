package engine

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/clip-go/clip/weights"
)

// Quantize builds a quantized model file from float parameters under the hub's names:
// the matrices of rank ≥ 2 (linear and embedding weights, the patch convolution) are
// quantized, except the position embeddings, which stay float32 with the other small
// tensors (norms, biases, class embedding, logit scale). Parameters the model does not
// use (the hub's position_ids buffers) are left out. vocab and merges are the
// tokenizer's vocab.json and merges.txt. The text tower's matrices (token embedding,
// layers, projection) get textBits (0: bits): at 4 bits the text tower loses far more
// accuracy than the image tower (see TextBitsFor).
func Quantize(configJSON []byte, params map[string]*weights.Tensor, vocab, merges []byte, pre Preprocessor, bits, textBits, block int) (*weights.QuantFile, error) {
	qf, cfg, err := newQuantFile(configJSON, vocab, merges, pre, bits, block)
	if err != nil {
		return nil, err
	}
	specs, err := quantSpecs(cfg, func(name string) ([]int, bool) {
		t, ok := params[name]
		if !ok {
			return nil, false
		}
		return t.Shape, true
	}, bits, textBits, block)
	if err != nil {
		return nil, err
	}
	w, err := weights.NewQuantWriter(qf, specs, nil)
	if err != nil {
		return nil, err
	}
	for _, sp := range specs {
		t := params[sp.Name]
		if err := w.Feed(sp.Name, t.Data, t.DType); err != nil {
			return nil, fmt.Errorf("parameter %q: %w", sp.Name, err)
		}
	}
	if _, err := w.Finish(); err != nil {
		return nil, err
	}
	return qf, nil
}

// newQuantFile checks the quantization's settings and the model's small files and
// returns the file's metadata, for Quantize and the streaming quantizer alike.
func newQuantFile(configJSON, vocab, merges []byte, pre Preprocessor, bits, block int) (*weights.QuantFile, Config, error) {
	if err := weights.CheckQuantParams(bits, block); err != nil {
		return nil, Config{}, err
	}
	cfg, err := ParseConfig(configJSON)
	if err != nil {
		return nil, cfg, err
	}
	if pre.Size != cfg.Vision.ImageSize {
		return nil, cfg, fmt.Errorf("preprocessor crop size %d does not match the model's image_size %d", pre.Size, cfg.Vision.ImageSize)
	}
	preJSON, err := json.Marshal(pre)
	if err != nil {
		return nil, cfg, err
	}
	return &weights.QuantFile{Bits: bits, Block: block, Config: configJSON, Preprocessor: preJSON, Vocab: vocab, Merges: merges}, cfg, nil
}

// quantSpecs lists the tensors of the quantized file and their bit widths (0: kept in
// float32) from the checkpoint's shapes, which must be the config's. textBits 0 means bits.
func quantSpecs(cfg Config, shapeOf func(name string) ([]int, bool), bits, textBits, block int) ([]weights.QuantSpec, error) {
	if textBits == 0 {
		textBits = bits
	}
	if err := weights.CheckQuantParams(textBits, block); err != nil {
		return nil, fmt.Errorf("text tower: %w", err)
	}
	names, err := cfg.CheckParams(shapeOf)
	if err != nil {
		return nil, err
	}
	specs := make([]weights.QuantSpec, len(names))
	for i, name := range names {
		shape, _ := shapeOf(name)
		specs[i] = weights.QuantSpec{Name: name, Shape: shape}
		if IsQuantized(name, shape) {
			specs[i].Bits = BitsFor(name, bits, textBits)
		}
	}
	return specs, nil
}

// IsQuantized tells whether a parameter is stored quantized: matrices, but not the
// position embeddings (small, and added to every token, where their error would show).
func IsQuantized(name string, shape []int) bool {
	return len(shape) >= 2 && !strings.Contains(name, "position_embedding")
}

// BitsFor is the bit width a matrix gets in a model quantized to bits (textBits for
// the text tower). At 4 bits, the image tower's first and last matrices, the patch
// embedding and the projection (1.7% of ViT-B/32's weights), stay at 8: the projection's
// error lands on the embedding unattenuated (measured on the reference fixture, a 4-bit
// projection alone takes the image cosine to float32 from 0.9999 to 0.994).
func BitsFor(name string, bits, textBits int) int {
	switch {
	case IsText(name):
		return textBits
	case bits < 8 && (name == "visual_projection.weight" || name == "vision_model.embeddings.patch_embedding.weight"):
		return 8
	}
	return bits
}

// IsText tells whether a parameter belongs to the text tower.
func IsText(name string) bool {
	return strings.HasPrefix(name, "text_model.") || strings.HasPrefix(name, "text_projection")
}

// TextBitsFor is the default bit width of the text tower for a model quantized to bits:
// 8 for a 4-bit model. Measured on the reference fixture, 4-bit text matrices alone take
// the lowest text-embedding cosine to float32 from 0.9997 to 0.954 (block 32) while
// 4-bit image matrices keep it at 0.9995, and the text tower is the smaller one in
// ViT-B/32 (38M of its 151M parameters outside the token embedding).
func TextBitsFor(bits int) int { return max(bits, 8) }
