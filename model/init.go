package model

import (
	"math"
	"math/rand/v2"
	"strings"

	"github.com/clip-go/clip/weights"
)

// InitParams draws a fresh model for training, following the original CLIP's
// initialize_parameters: embeddings N(0, 0.02²) and N(0, 0.01²); in a residual block the
// attention input projection N(0, 1/width), the output projections scaled down by
// 1/sqrt(2·layers) so the residual stream does not grow with depth, the MLP input
// N(0, 1/(2·width)); projections N(0, 1/width); LayerNorms at 1 and 0; biases 0; the
// logit scale at ln(1/0.07). The same seed gives the same model.
func InitParams(cfg Config, seed uint64) map[string]*weights.Tensor {
	rng := rand.New(rand.NewPCG(seed, 0x636c6970))
	out := map[string]*weights.Tensor{}
	shapes := cfg.ParamShapes()
	for _, name := range cfg.ParamNames() {
		shape := shapes[name]
		n := 1
		for _, d := range shape {
			n *= d
		}
		v := make([]float32, n)
		std := initStd(cfg, name)
		switch {
		case name == "logit_scale":
			v[0] = float32(cfg.LogitScaleInitValue)
		case strings.Contains(name, "norm") && strings.HasSuffix(name, ".weight"):
			for i := range v {
				v[i] = 1
			}
		case std > 0:
			for i := range v {
				v[i] = float32(rng.NormFloat64() * std)
			}
		}
		out[name] = weights.FromFloat32s(shape, v)
	}
	return out
}

// initStd is the standard deviation of a weight's initial normal distribution (0: zeros).
func initStd(cfg Config, name string) float64 {
	width, layers := float64(cfg.Text.HiddenSize), float64(cfg.Text.NumHiddenLayers)
	if strings.HasPrefix(name, "vision_model") || name == "visual_projection.weight" {
		width, layers = float64(cfg.Vision.HiddenSize), float64(cfg.Vision.NumHiddenLayers)
	}
	attnStd := math.Pow(width, -0.5)
	projStd := attnStd * math.Pow(2*layers, -0.5)
	switch {
	case strings.HasSuffix(name, ".bias"), strings.Contains(name, "norm"):
		return 0
	case name == "text_model.embeddings.token_embedding.weight":
		return 0.02
	case name == "text_model.embeddings.position_embedding.weight":
		return 0.01
	case strings.HasSuffix(name, "q_proj.weight"), strings.HasSuffix(name, "k_proj.weight"), strings.HasSuffix(name, "v_proj.weight"):
		return attnStd
	case strings.HasSuffix(name, "out_proj.weight"), strings.HasSuffix(name, "fc2.weight"):
		return projStd
	case strings.HasSuffix(name, "fc1.weight"):
		return math.Pow(2*width, -0.5)
	case name == "vision_model.embeddings.patch_embedding.weight":
		// PyTorch's default conv init is uniform with bound 1/sqrt(fan_in); a normal of the
		// same variance.
		fanIn := float64(cfg.Vision.NumChannels * cfg.Vision.PatchSize * cfg.Vision.PatchSize)
		return 1 / math.Sqrt(3*fanIn)
	}
	// class and position embeddings of the ViT, and both projections.
	return attnStd
}
