package model

import (
	"fmt"

	"github.com/clip-go/clip/model/arch"
	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/model/tokenizer"
	"github.com/clip-go/clip/weights"
	"github.com/gomlx/compute"
)

// loadQuant opens a quantized file (clip quantize's) as a float model: every quantized
// tensor is dequantized to float32, and the config, tokenizer and preprocessing are the
// ones the file carries. The numbers are the quantized model's, not the float model it
// came from; that is what there is to start a fine-tuning from when only the quantized
// file ships (the built-in model).
func loadQuant(path string, backend compute.Backend) (*Model, error) {
	qf, err := weights.ReadQuantFile(path)
	if err != nil {
		return nil, err
	}
	cfg, err := arch.Parse(qf.Config)
	if err != nil {
		return nil, fmt.Errorf("%s: config: %w", path, err)
	}
	params := map[string]*weights.Tensor{}
	for name, t := range qf.Float {
		if params[name], err = toF32(name, t); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	for name, q := range qf.Quant {
		params[name] = weights.FromFloat32s(q.Shape, q.Dequantize())
	}
	m, err := New(backend, cfg, params)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if m.Tokenizer, err = tokenizer.ParseHub(qf.Vocab, qf.Merges); err != nil {
		return nil, fmt.Errorf("%s: tokenizer: %w", path, err)
	}
	if m.Image, err = imageproc.ParseRecorded(qf.Preprocessor, cfg.Vision.ImageSize); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
