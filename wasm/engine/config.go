package engine

import (
	"encoding/json"
	"fmt"

	"github.com/clip-go/clip/model/imageproc"
)

// Config is the part of a model's hub config.json (CLIPConfig schema) that the engine
// runs on. It mirrors model.Config, which this package cannot import (it is built on
// GoMLX, which does not compile to WebAssembly). The quantizer writes every field, so no
// defaults are filled in here: a missing one is an error.
type Config struct {
	ProjectionDim int          `json:"projection_dim"`
	Text          TextConfig   `json:"text_config"`
	Vision        VisionConfig `json:"vision_config"`
}

// TextConfig is the text transformer's shape.
type TextConfig struct {
	HiddenSize            int     `json:"hidden_size"`
	IntermediateSize      int     `json:"intermediate_size"`
	NumAttentionHeads     int     `json:"num_attention_heads"`
	NumHiddenLayers       int     `json:"num_hidden_layers"`
	MaxPositionEmbeddings int     `json:"max_position_embeddings"`
	VocabSize             int     `json:"vocab_size"`
	HiddenAct             string  `json:"hidden_act"`
	LayerNormEps          float64 `json:"layer_norm_eps"`
	EosTokenID            int     `json:"eos_token_id"`
}

// VisionConfig is the ViT's shape.
type VisionConfig struct {
	HiddenSize        int     `json:"hidden_size"`
	IntermediateSize  int     `json:"intermediate_size"`
	NumAttentionHeads int     `json:"num_attention_heads"`
	NumHiddenLayers   int     `json:"num_hidden_layers"`
	ImageSize         int     `json:"image_size"`
	PatchSize         int     `json:"patch_size"`
	NumChannels       int     `json:"num_channels"`
	HiddenAct         string  `json:"hidden_act"`
	LayerNormEps      float64 `json:"layer_norm_eps"`
}

// Grid is the number of patches along a side; NumPatches the number of patches.
func (v VisionConfig) Grid() int       { return v.ImageSize / v.PatchSize }
func (v VisionConfig) NumPatches() int { return v.Grid() * v.Grid() }

// ParseConfig decodes and checks config.json bytes.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("corrupt config: %v", err)
	}
	return c, c.validate()
}

// maxDim bounds every size, so a crafted config cannot make the engine allocate
// absurd buffers before the tensor shapes are checked against it.
const maxDim = 1 << 16

func (c Config) validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{
		{"projection_dim", c.ProjectionDim},
		{"text_config.hidden_size", c.Text.HiddenSize}, {"text_config.intermediate_size", c.Text.IntermediateSize},
		{"text_config.num_attention_heads", c.Text.NumAttentionHeads}, {"text_config.num_hidden_layers", c.Text.NumHiddenLayers},
		{"text_config.max_position_embeddings", c.Text.MaxPositionEmbeddings}, {"text_config.vocab_size", c.Text.VocabSize},
		{"vision_config.hidden_size", c.Vision.HiddenSize}, {"vision_config.intermediate_size", c.Vision.IntermediateSize},
		{"vision_config.num_attention_heads", c.Vision.NumAttentionHeads}, {"vision_config.num_hidden_layers", c.Vision.NumHiddenLayers},
		{"vision_config.image_size", c.Vision.ImageSize}, {"vision_config.patch_size", c.Vision.PatchSize},
		{"vision_config.num_channels", c.Vision.NumChannels},
	} {
		if f.v <= 0 || (f.v > maxDim && f.name != "text_config.vocab_size") || f.v > 1<<22 {
			return fmt.Errorf("config: %s = %d is out of range", f.name, f.v)
		}
	}
	if c.Text.HiddenSize%c.Text.NumAttentionHeads != 0 || c.Vision.HiddenSize%c.Vision.NumAttentionHeads != 0 {
		return fmt.Errorf("config: hidden_size is not divisible by num_attention_heads")
	}
	if c.Vision.ImageSize%c.Vision.PatchSize != 0 {
		return fmt.Errorf("config: image_size %d is not divisible by patch_size %d", c.Vision.ImageSize, c.Vision.PatchSize)
	}
	for _, act := range []string{c.Text.HiddenAct, c.Vision.HiddenAct} {
		if _, ok := activations[act]; !ok {
			return fmt.Errorf("config: unsupported hidden_act %q", act)
		}
	}
	if !(c.Text.LayerNormEps > 0) || !(c.Vision.LayerNormEps > 0) {
		return fmt.Errorf("config: layer_norm_eps must be positive")
	}
	return nil
}

// Preprocessor is the image preprocessing stored in the model file.
type Preprocessor struct {
	Size int        `json:"size"`
	Mean [3]float32 `json:"mean"`
	Std  [3]float32 `json:"std"`
}

// ImageConfig converts it to the model core's preprocessing.
func (p Preprocessor) ImageConfig() imageproc.Config {
	return imageproc.Config{Size: p.Size, Mean: p.Mean, Std: p.Std}
}

// PreprocessorFrom is the inverse of ImageConfig, for writers of model files.
func PreprocessorFrom(c imageproc.Config) Preprocessor {
	return Preprocessor{Size: c.Size, Mean: c.Mean, Std: c.Std}
}
