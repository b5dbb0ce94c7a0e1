// Package arch is a CLIP model's architecture: its shape in the model-hub CLIPConfig schema
// (config.json), the named presets, and what follows from the shape (parameter names and
// shapes, FLOPs, where the end token sits). It has no dependencies beyond the standard
// library, so every runtime (the GoMLX model, the quantized engine, WebAssembly) shares it.
package arch

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
)

// Config is a CLIP model's shape, in the model-hub CLIPConfig schema (config.json), so hub
// folders load as they are and what we write loads in other CLIP tools.
type Config struct {
	ProjectionDim        int          `json:"projection_dim"`
	LogitScaleInitValue  float64      `json:"logit_scale_init_value"`
	Text                 TextConfig   `json:"text_config"`
	Vision               VisionConfig `json:"vision_config"`
	Architectures        []string     `json:"architectures,omitempty"`
	ModelType            string       `json:"model_type,omitempty"`
	TorchDType           string       `json:"torch_dtype,omitempty"`
	LegacyTextConfigDict *TextConfig  `json:"text_config_dict,omitempty"`
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
	BosTokenID            int     `json:"bos_token_id"`
	EosTokenID            int     `json:"eos_token_id"`
	ProjectionDim         int     `json:"projection_dim,omitempty"`
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
	ProjectionDim     int     `json:"projection_dim,omitempty"`
}

// Default holds the hub's CLIPConfig defaults (ViT-B/32), which fill fields a
// config.json leaves out.
func Default() Config {
	return Config{
		ProjectionDim:       512,
		LogitScaleInitValue: math.Log(1 / 0.07),
		Text: TextConfig{HiddenSize: 512, IntermediateSize: 2048, NumAttentionHeads: 8, NumHiddenLayers: 12,
			MaxPositionEmbeddings: 77, VocabSize: 49408, HiddenAct: "quick_gelu", LayerNormEps: 1e-5,
			BosTokenID: 49406, EosTokenID: 49407},
		Vision: VisionConfig{HiddenSize: 768, IntermediateSize: 3072, NumAttentionHeads: 12, NumHiddenLayers: 12,
			ImageSize: 224, PatchSize: 32, NumChannels: 3, HiddenAct: "quick_gelu", LayerNormEps: 1e-5},
		Architectures: []string{"CLIPModel"},
		ModelType:     "clip",
	}
}

// Activations are the hub's hidden_act values that every runtime implements.
var Activations = []string{"quick_gelu", "gelu", "gelu_new", "gelu_pytorch_tanh", "relu"}

// presets are the standard shapes of the paper, and small ones for tests and demos.
var presets = map[string]func(c *Config){
	"ViT-B/32": func(c *Config) {},
	"ViT-B/16": func(c *Config) { c.Vision.PatchSize = 16 },
	"ViT-L/14": vitL14,
	"ViT-L/14@336": func(c *Config) {
		vitL14(c)
		c.Vision.ImageSize = 336
	},
	// tiny: the shape of the reference fixture; fast enough for unit tests.
	"tiny": func(c *Config) {
		c.ProjectionDim = 32
		c.Text.HiddenSize, c.Text.IntermediateSize, c.Text.NumAttentionHeads, c.Text.NumHiddenLayers = 64, 256, 2, 2
		c.Vision.HiddenSize, c.Vision.IntermediateSize, c.Vision.NumAttentionHeads, c.Vision.NumHiddenLayers = 128, 512, 2, 2
		c.Vision.ImageSize, c.Vision.PatchSize = 32, 8
	},
	// small: a demo shape that trains on a CPU in hours and runs well in a browser.
	"small": func(c *Config) {
		c.ProjectionDim = 256
		c.Text.HiddenSize, c.Text.IntermediateSize, c.Text.NumAttentionHeads, c.Text.NumHiddenLayers = 256, 1024, 4, 4
		c.Vision.HiddenSize, c.Vision.IntermediateSize, c.Vision.NumAttentionHeads, c.Vision.NumHiddenLayers = 256, 1024, 4, 6
		c.Vision.ImageSize, c.Vision.PatchSize = 64, 8
	},
}

func vitL14(c *Config) {
	c.ProjectionDim = 768
	c.Text.HiddenSize, c.Text.IntermediateSize, c.Text.NumAttentionHeads = 768, 3072, 12
	c.Vision.HiddenSize, c.Vision.IntermediateSize, c.Vision.NumAttentionHeads, c.Vision.NumHiddenLayers = 1024, 4096, 16, 24
	c.Vision.PatchSize = 14
}

// Presets lists the named shapes.
func Presets() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Preset returns a named shape.
func Preset(name string) (Config, error) {
	set, ok := presets[name]
	if !ok {
		return Config{}, fmt.Errorf("unknown model shape %q (known: %s)", name, strings.Join(Presets(), ", "))
	}
	c := Default()
	set(&c)
	c.FillProjection()
	return c, c.Validate()
}

// FillProjection copies ProjectionDim into the sub-configs, as the hub writes them.
func (c *Config) FillProjection() {
	c.Text.ProjectionDim, c.Vision.ProjectionDim = c.ProjectionDim, c.ProjectionDim
}

// Load reads a hub config.json; fields it leaves out take the hub's defaults.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	c, err := Parse(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Parse decodes config.json bytes.
func Parse(data []byte) (Config, error) {
	c := Default()
	// Older hub configs carry the sub-configs as text_config_dict/vision_config_dict.
	var legacy struct {
		Text   json.RawMessage `json:"text_config_dict"`
		Vision json.RawMessage `json:"vision_config_dict"`
	}
	if err := json.Unmarshal(data, &legacy); err != nil {
		return c, fmt.Errorf("corrupt config: %v", err)
	}
	for _, sub := range []struct {
		raw json.RawMessage
		dst any
	}{{legacy.Text, &c.Text}, {legacy.Vision, &c.Vision}} {
		if len(sub.raw) > 0 && string(sub.raw) != "null" {
			if err := json.Unmarshal(sub.raw, sub.dst); err != nil {
				return c, fmt.Errorf("corrupt config: %v", err)
			}
		}
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("corrupt config: %v", err)
	}
	c.LegacyTextConfigDict = nil
	c.FillProjection()
	return c, c.Validate()
}

// Validate rejects shapes the model cannot run.
func (c Config) Validate() error {
	pos := func(name string, v int) error {
		if v <= 0 || v > 1<<20 {
			return fmt.Errorf("config: %s = %d, want a positive size", name, v)
		}
		return nil
	}
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
		if err := pos(f.name, f.v); err != nil {
			return err
		}
	}
	if c.Text.HiddenSize%c.Text.NumAttentionHeads != 0 {
		return fmt.Errorf("config: text hidden_size %d is not divisible by num_attention_heads %d", c.Text.HiddenSize, c.Text.NumAttentionHeads)
	}
	if c.Vision.HiddenSize%c.Vision.NumAttentionHeads != 0 {
		return fmt.Errorf("config: vision hidden_size %d is not divisible by num_attention_heads %d", c.Vision.HiddenSize, c.Vision.NumAttentionHeads)
	}
	if c.Vision.ImageSize%c.Vision.PatchSize != 0 {
		return fmt.Errorf("config: image_size %d is not divisible by patch_size %d", c.Vision.ImageSize, c.Vision.PatchSize)
	}
	for _, act := range []string{c.Text.HiddenAct, c.Vision.HiddenAct} {
		if !slices.Contains(Activations, act) {
			return fmt.Errorf("config: unsupported hidden_act %q (supported: %s)", act, strings.Join(Activations, ", "))
		}
	}
	if !(c.Text.LayerNormEps > 0) || !(c.Vision.LayerNormEps > 0) {
		return fmt.Errorf("config: layer_norm_eps must be positive")
	}
	return nil
}

// Marshal returns config.json bytes.
func (c Config) Marshal() ([]byte, error) {
	c.FillProjection()
	return json.MarshalIndent(c, "", "  ")
}

// Grid is the number of patches along a side of the image.
func (c Config) Grid() int { return c.Vision.ImageSize / c.Vision.PatchSize }

// NumPatches is the number of image patches (without the class token).
func (c Config) NumPatches() int { return c.Grid() * c.Grid() }

// ParamShapes lists every parameter of the model under its hub name, with its shape.
// Linear weights are [out, in] as in PyTorch.
func (c Config) ParamShapes() map[string][]int {
	p := map[string][]int{"logit_scale": {}}
	t, v := c.Text, c.Vision
	layers := func(prefix string, n, d, ff int) {
		for i := 0; i < n; i++ {
			l := fmt.Sprintf("%s.encoder.layers.%d.", prefix, i)
			for _, proj := range []string{"q_proj", "k_proj", "v_proj", "out_proj"} {
				p[l+"self_attn."+proj+".weight"] = []int{d, d}
				p[l+"self_attn."+proj+".bias"] = []int{d}
			}
			p[l+"layer_norm1.weight"], p[l+"layer_norm1.bias"] = []int{d}, []int{d}
			p[l+"layer_norm2.weight"], p[l+"layer_norm2.bias"] = []int{d}, []int{d}
			p[l+"mlp.fc1.weight"], p[l+"mlp.fc1.bias"] = []int{ff, d}, []int{ff}
			p[l+"mlp.fc2.weight"], p[l+"mlp.fc2.bias"] = []int{d, ff}, []int{d}
		}
	}
	p["text_model.embeddings.token_embedding.weight"] = []int{t.VocabSize, t.HiddenSize}
	p["text_model.embeddings.position_embedding.weight"] = []int{t.MaxPositionEmbeddings, t.HiddenSize}
	layers("text_model", t.NumHiddenLayers, t.HiddenSize, t.IntermediateSize)
	p["text_model.final_layer_norm.weight"], p["text_model.final_layer_norm.bias"] = []int{t.HiddenSize}, []int{t.HiddenSize}
	p["text_projection.weight"] = []int{c.ProjectionDim, t.HiddenSize}

	p["vision_model.embeddings.class_embedding"] = []int{v.HiddenSize}
	p["vision_model.embeddings.patch_embedding.weight"] = []int{v.HiddenSize, v.NumChannels, v.PatchSize, v.PatchSize}
	p["vision_model.embeddings.position_embedding.weight"] = []int{c.NumPatches() + 1, v.HiddenSize}
	// "pre_layrnorm" is the hub's spelling.
	p["vision_model.pre_layrnorm.weight"], p["vision_model.pre_layrnorm.bias"] = []int{v.HiddenSize}, []int{v.HiddenSize}
	layers("vision_model", v.NumHiddenLayers, v.HiddenSize, v.IntermediateSize)
	p["vision_model.post_layernorm.weight"], p["vision_model.post_layernorm.bias"] = []int{v.HiddenSize}, []int{v.HiddenSize}
	p["visual_projection.weight"] = []int{c.ProjectionDim, v.HiddenSize}
	return p
}

// EOTPositions returns, per row, where the end-of-text token sits: the first eos_token_id,
// or (like the hub for legacy configs whose eos_token_id is 2, and the original code) the
// position of the largest id, which is the end token in the CLIP vocabulary.
func (c Config) EOTPositions(rows [][]int) []int {
	pos := make([]int, len(rows))
	for r, ids := range rows {
		best := 0
		for i, id := range ids {
			if c.Text.EosTokenID != 2 && id == c.Text.EosTokenID {
				best = i
				break
			}
			if id > ids[best] {
				best = i
			}
		}
		pos[r] = best
	}
	return pos
}

// ParamNames lists every parameter of c under its hub name, sorted.
func (c Config) ParamNames() []string {
	shapes := c.ParamShapes()
	names := make([]string, 0, len(shapes))
	for n := range shapes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// CheckParams verifies that a checkpoint has every parameter c calls for, with its shape
// (shapeOf reports a parameter's shape, or false when it is missing), and returns the
// parameter names, sorted. Extra tensors are not its concern.
func (c Config) CheckParams(shapeOf func(name string) ([]int, bool)) ([]string, error) {
	want := c.ParamShapes()
	names := c.ParamNames()
	for _, name := range names {
		shape, ok := shapeOf(name)
		if !ok {
			return nil, fmt.Errorf("missing parameter %q", name)
		}
		if !slices.Equal(shape, want[name]) {
			return nil, fmt.Errorf("parameter %q has shape %v, but the config calls for %v", name, shape, want[name])
		}
	}
	return names, nil
}
