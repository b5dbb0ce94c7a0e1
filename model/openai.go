package model

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/clip-go/clip/model/arch"
	"github.com/clip-go/clip/weights"
)

// Checkpoints of the original implementation (openai/CLIP, open_clip) name parameters
// differently from the hub: visual.*, transformer.resblocks.N.*, a fused attention input
// projection (in_proj_weight = [q; k; v]) and projections stored as [in, out]. This file
// renames them to hub names so that the rest of the code knows only one scheme.

// isOriginalNames reports whether a checkpoint uses the original names.
func isOriginalNames(f *weights.File) bool {
	_, a := f.Tensors["visual.conv1.weight"]
	_, b := f.Tensors["token_embedding.weight"]
	return a || b
}

// originalToHub renames the tensors that are not in a transformer block; the two
// projections (transposed) and the fused q/k/v are handled in code.
var originalToHub = map[string]string{
	"token_embedding.weight":      "text_model.embeddings.token_embedding.weight",
	"positional_embedding":        "text_model.embeddings.position_embedding.weight",
	"ln_final.weight":             "text_model.final_layer_norm.weight",
	"ln_final.bias":               "text_model.final_layer_norm.bias",
	"logit_scale":                 "logit_scale",
	"visual.class_embedding":      "vision_model.embeddings.class_embedding",
	"visual.conv1.weight":         "vision_model.embeddings.patch_embedding.weight",
	"visual.positional_embedding": "vision_model.embeddings.position_embedding.weight",
	"visual.ln_pre.weight":        "vision_model.pre_layrnorm.weight",
	"visual.ln_pre.bias":          "vision_model.pre_layrnorm.bias",
	"visual.ln_post.weight":       "vision_model.post_layernorm.weight",
	"visual.ln_post.bias":         "vision_model.post_layernorm.bias",
}

// originalBlockToHub renames a block's tensors after their resblocks.N. prefix.
var originalBlockToHub = map[string]string{
	"attn.out_proj.weight": "self_attn.out_proj.weight",
	"attn.out_proj.bias":   "self_attn.out_proj.bias",
	"ln_1.weight":          "layer_norm1.weight",
	"ln_1.bias":            "layer_norm1.bias",
	"ln_2.weight":          "layer_norm2.weight",
	"ln_2.bias":            "layer_norm2.bias",
	"mlp.c_fc.weight":      "mlp.fc1.weight",
	"mlp.c_fc.bias":        "mlp.fc1.bias",
	"mlp.c_proj.weight":    "mlp.fc2.weight",
	"mlp.c_proj.bias":      "mlp.fc2.bias",
}

var resblockRE = regexp.MustCompile(`^(visual\.)?transformer\.resblocks\.(\d+)\.(.+)$`)

// fromOriginalNames converts original-name tensors to hub names (float32).
func fromOriginalNames(f *weights.File) (map[string]*weights.Tensor, error) {
	out := map[string]*weights.Tensor{}
	for name, t := range f.Tensors {
		t, err := toF32(name, t)
		if err != nil {
			return nil, err
		}
		if hub, ok := originalToHub[name]; ok {
			out[hub] = t
			continue
		}
		switch name {
		case "text_projection":
			out["text_projection.weight"] = transpose2D(t)
			continue
		case "visual.proj":
			out["visual_projection.weight"] = transpose2D(t)
			continue
		case "input_resolution", "context_length", "vocab_size":
			continue // scalars some exports carry; the shapes say the same
		}
		m := resblockRE.FindStringSubmatch(name)
		if m == nil {
			continue // not a CLIP parameter (e.g. attention mask buffers)
		}
		prefix := "text_model"
		if m[1] != "" {
			prefix = "vision_model"
		}
		layer := prefix + ".encoder.layers." + m[2] + "."
		switch m[3] {
		case "attn.in_proj_weight", "attn.in_proj_bias":
			if len(t.Shape) == 0 || t.Shape[0]%3 != 0 {
				return nil, fmt.Errorf("tensor %q: shape %v is not a fused q/k/v projection", name, t.Shape)
			}
			suffix := ".weight"
			if strings.HasSuffix(m[3], "bias") {
				suffix = ".bias"
			}
			for i, part := range splitRows(t, 3) {
				out[layer+"self_attn."+[]string{"q_proj", "k_proj", "v_proj"}[i]+suffix] = part
			}
		default:
			if hub, ok := originalBlockToHub[m[3]]; ok {
				out[layer+hub] = t
			}
		}
	}
	return out, nil
}

// inferConfig derives a Config from original-name shapes, for checkpoints that come without
// config.json. Heads are not visible in shapes: like the original we take width/64.
func inferConfig(f *weights.File) (Config, error) {
	c := arch.Default()
	shape := func(name string, rank int) ([]int, error) {
		t, ok := f.Tensors[name]
		if !ok {
			return nil, fmt.Errorf("checkpoint has no %q: cannot infer the model shape", name)
		}
		if len(t.Shape) != rank {
			return nil, fmt.Errorf("tensor %q has shape %v, want rank %d", name, t.Shape, rank)
		}
		return t.Shape, nil
	}
	conv, err := shape("visual.conv1.weight", 4)
	if err != nil {
		return c, err
	}
	vpos, err := shape("visual.positional_embedding", 2)
	if err != nil {
		return c, err
	}
	tok, err := shape("token_embedding.weight", 2)
	if err != nil {
		return c, err
	}
	tpos, err := shape("positional_embedding", 2)
	if err != nil {
		return c, err
	}
	proj, err := shape("text_projection", 2)
	if err != nil {
		return c, err
	}
	fc, err := shape("transformer.resblocks.0.mlp.c_fc.weight", 2)
	if err != nil {
		return c, err
	}
	vfc, err := shape("visual.transformer.resblocks.0.mlp.c_fc.weight", 2)
	if err != nil {
		return c, err
	}
	grid := int(math.Round(math.Sqrt(float64(vpos[0] - 1))))
	c.ProjectionDim = proj[1]
	c.Vision.HiddenSize, c.Vision.NumChannels, c.Vision.PatchSize = conv[0], conv[1], conv[2]
	c.Vision.ImageSize = grid * conv[2]
	c.Vision.IntermediateSize = vfc[0]
	c.Vision.NumAttentionHeads = max(1, c.Vision.HiddenSize/64)
	c.Text.VocabSize, c.Text.HiddenSize = tok[0], tok[1]
	c.Text.MaxPositionEmbeddings = tpos[0]
	// The original vocabulary ends with <|startoftext|>, <|endoftext|>.
	c.Text.BosTokenID, c.Text.EosTokenID = tok[0]-2, tok[0]-1
	c.Text.IntermediateSize = fc[0]
	c.Text.NumAttentionHeads = max(1, c.Text.HiddenSize/64)
	c.Text.NumHiddenLayers, c.Vision.NumHiddenLayers = 0, 0
	for name := range f.Tensors {
		if m := resblockRE.FindStringSubmatch(name); m != nil {
			n, _ := strconv.Atoi(m[2])
			if m[1] == "" {
				c.Text.NumHiddenLayers = max(c.Text.NumHiddenLayers, n+1)
			} else {
				c.Vision.NumHiddenLayers = max(c.Vision.NumHiddenLayers, n+1)
			}
		}
	}
	c.FillProjection()
	return c, c.Validate()
}

// toF32 converts a floating-point tensor to F32.
func toF32(name string, t *weights.Tensor) (*weights.Tensor, error) {
	if t.DType == weights.F32 {
		return t, nil
	}
	switch t.DType {
	case weights.F16, weights.BF16:
		v, err := t.Float32s()
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %v", name, err)
		}
		return weights.FromFloat32s(t.Shape, v), nil
	}
	return t, nil // integer buffers (position_ids) pass through and are ignored later
}

func transpose2D(t *weights.Tensor) *weights.Tensor {
	if len(t.Shape) != 2 {
		return t // a wrong shape is reported by the shape check
	}
	v, _ := t.Float32s()
	r, c := t.Shape[0], t.Shape[1]
	out := make([]float32, len(v))
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			out[j*r+i] = v[i*c+j]
		}
	}
	return weights.FromFloat32s([]int{c, r}, out)
}

// splitRows splits a tensor into n equal parts along its first axis.
func splitRows(t *weights.Tensor, n int) []*weights.Tensor {
	rows := t.Shape[0] / n
	rowBytes := len(t.Data) / t.Shape[0]
	parts := make([]*weights.Tensor, n)
	for i := range parts {
		shape := append([]int{rows}, t.Shape[1:]...)
		parts[i] = &weights.Tensor{DType: t.DType, Shape: shape, Data: t.Data[i*rows*rowBytes : (i+1)*rows*rowBytes]}
	}
	return parts
}
