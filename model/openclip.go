package model

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/weights"
)

// open_clip keeps a model on the hub as two files beside the hub layout (its
// push_to_hf_hub.save_for_hf): the state dict of its CLIP class, whose names are the
// original OpenAI ones, and a config giving that class's arguments and the preprocessing.
const (
	OpenCLIPWeightsFile = "open_clip_model.safetensors"
	OpenCLIPConfigFile  = "open_clip_config.json"
)

// ToOriginalNames renames hub-name parameters (as Params returns them) to the original
// OpenAI names that open_clip's CLIP class and the original code load: the inverse of
// fromOriginalNames (q, k and v fused into in_proj_*, the projections transposed).
func ToOriginalNames(c Config, params map[string]*weights.Tensor) (map[string]*weights.Tensor, error) {
	get := func(name string) (*weights.Tensor, error) {
		t, ok := params[name]
		if !ok {
			return nil, fmt.Errorf("model has no parameter %q", name)
		}
		return t, nil
	}
	out := map[string]*weights.Tensor{}
	for orig, hub := range originalToHub {
		t, err := get(hub)
		if err != nil {
			return nil, err
		}
		out[orig] = t
	}
	for orig, hub := range map[string]string{"text_projection": "text_projection.weight", "visual.proj": "visual_projection.weight"} {
		t, err := get(hub)
		if err != nil {
			return nil, err
		}
		out[orig] = transpose2D(t)
	}
	towers := []struct {
		orig, hub string
		layers    int
	}{{"transformer.resblocks.", "text_model.encoder.layers.", c.Text.NumHiddenLayers},
		{"visual.transformer.resblocks.", "vision_model.encoder.layers.", c.Vision.NumHiddenLayers}}
	for _, tw := range towers {
		for i := 0; i < tw.layers; i++ {
			orig, hub := fmt.Sprintf("%s%d.", tw.orig, i), fmt.Sprintf("%s%d.", tw.hub, i)
			for o, h := range originalBlockToHub {
				t, err := get(hub + h)
				if err != nil {
					return nil, err
				}
				out[orig+o] = t
			}
			for _, suffix := range []string{"weight", "bias"} {
				var parts []*weights.Tensor
				for _, p := range []string{"q_proj", "k_proj", "v_proj"} {
					t, err := get(hub + "self_attn." + p + "." + suffix)
					if err != nil {
						return nil, err
					}
					parts = append(parts, t)
				}
				fused, err := concatRows(parts)
				if err != nil {
					return nil, fmt.Errorf("layer %s q/k/v %s: %w", hub, suffix, err)
				}
				out[orig+"attn.in_proj_"+suffix] = fused
			}
		}
	}
	return out, nil
}

// concatRows stacks float32 tensors of equal trailing shape along their first axis.
func concatRows(ts []*weights.Tensor) (*weights.Tensor, error) {
	shape := append([]int(nil), ts[0].Shape...)
	shape[0] = 0
	var data []float32
	for _, t := range ts {
		if len(t.Shape) != len(shape) || len(t.Shape) == 0 {
			return nil, fmt.Errorf("shapes %v and %v do not stack", ts[0].Shape, t.Shape)
		}
		for i := 1; i < len(shape); i++ {
			if t.Shape[i] != shape[i] {
				return nil, fmt.Errorf("shapes %v and %v do not stack", ts[0].Shape, t.Shape)
			}
		}
		v, err := t.Float32s()
		if err != nil {
			return nil, err
		}
		shape[0] += t.Shape[0]
		data = append(data, v...)
	}
	return weights.FromFloat32s(shape, data), nil
}

// OpenCLIPConfig is the open_clip_config.json of a model of shape c: model_cfg holds the
// arguments of open_clip's CLIP class (its vision and text tower configs), preprocess_cfg
// the image normalisation. It fails for shapes open_clip's CLIP class cannot express.
func OpenCLIPConfig(c Config, img imageproc.Config) ([]byte, error) {
	if c.Text.HiddenAct != c.Vision.HiddenAct || (c.Text.HiddenAct != "quick_gelu" && c.Text.HiddenAct != "gelu") {
		return nil, fmt.Errorf("open_clip: activations %q (text) and %q (vision): open_clip's CLIP uses one of quick_gelu or gelu for both towers",
			c.Text.HiddenAct, c.Vision.HiddenAct)
	}
	// open_clip's LayerNorm keeps PyTorch's default epsilon.
	if c.Text.LayerNormEps != 1e-5 || c.Vision.LayerNormEps != 1e-5 {
		return nil, fmt.Errorf("open_clip: layer_norm_eps %g (text), %g (vision): open_clip uses 1e-5", c.Text.LayerNormEps, c.Vision.LayerNormEps)
	}
	// open_clip takes a text's feature at its largest token id (pool_type argmax); ours
	// is at the first eos_token_id, the same place only when that is the largest id.
	if c.Text.EosTokenID != 2 && c.Text.EosTokenID != c.Text.VocabSize-1 {
		return nil, fmt.Errorf("open_clip: eos_token_id %d is not the vocabulary's last id (%d), where open_clip pools the text",
			c.Text.EosTokenID, c.Text.VocabSize-1)
	}
	if c.Vision.NumChannels != 3 {
		return nil, fmt.Errorf("open_clip: %d image channels, open_clip reads RGB", c.Vision.NumChannels)
	}
	if c.Vision.HiddenSize%c.Vision.NumAttentionHeads != 0 {
		return nil, fmt.Errorf("open_clip: vision width %d is not a multiple of its %d heads", c.Vision.HiddenSize, c.Vision.NumAttentionHeads)
	}
	// open_clip sizes the MLP as int(width * mlp_ratio).
	ratio := func(width, ff int) (float64, error) {
		r := float64(ff) / float64(width)
		if int(float64(width)*r) != ff {
			return 0, fmt.Errorf("open_clip: MLP width %d is not int(%d * mlp_ratio) for any float ratio", ff, width)
		}
		return r, nil
	}
	vr, err := ratio(c.Vision.HiddenSize, c.Vision.IntermediateSize)
	if err != nil {
		return nil, err
	}
	tr, err := ratio(c.Text.HiddenSize, c.Text.IntermediateSize)
	if err != nil {
		return nil, err
	}
	decimals := func(v [3]float32) []float64 { // the float32 constants as their shortest decimals
		out := make([]float64, 3)
		for i, x := range v {
			out[i], _ = strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
		}
		return out
	}
	cfg := map[string]any{
		"model_cfg": map[string]any{
			"embed_dim":  c.ProjectionDim,
			"quick_gelu": c.Text.HiddenAct == "quick_gelu",
			"vision_cfg": map[string]any{
				"image_size": c.Vision.ImageSize,
				"patch_size": c.Vision.PatchSize,
				"width":      c.Vision.HiddenSize,
				"head_width": c.Vision.HiddenSize / c.Vision.NumAttentionHeads,
				"layers":     c.Vision.NumHiddenLayers,
				"mlp_ratio":  vr,
			},
			"text_cfg": map[string]any{
				"context_length": c.Text.MaxPositionEmbeddings,
				"vocab_size":     c.Text.VocabSize,
				"width":          c.Text.HiddenSize,
				"heads":          c.Text.NumAttentionHeads,
				"layers":         c.Text.NumHiddenLayers,
				"mlp_ratio":      tr,
			},
		},
		"preprocess_cfg": map[string]any{
			"size": img.Size, "mean": decimals(img.Mean), "std": decimals(img.Std),
			"interpolation": "bicubic", "resize_mode": "shortest",
		},
	}
	return json.MarshalIndent(cfg, "", "  ")
}

// SaveOpenCLIP writes the model under the original names the way open_clip keeps it on
// the hub (OpenCLIPWeightsFile and OpenCLIPConfigFile in dir, beside the hub layout).
// img nil means CLIP's preprocessing.
func (m *Model) SaveOpenCLIP(dir string, img *imageproc.Config) error {
	ic := imageproc.DefaultConfig(m.Config.Vision.ImageSize)
	if img != nil {
		ic = *img
	}
	js, err := OpenCLIPConfig(m.Config, ic)
	if err != nil {
		return err
	}
	params, err := m.Params()
	if err != nil {
		return err
	}
	orig, err := ToOriginalNames(m.Config, params)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f := weights.NewFile()
	f.Tensors = orig
	f.Metadata["format"] = "pt"
	if err := weights.WriteFile(filepath.Join(dir, OpenCLIPWeightsFile), f); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, OpenCLIPConfigFile), js, 0o644)
}
