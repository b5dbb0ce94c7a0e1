package model

import (
	"encoding/json"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clip-go/clip/model/arch"
	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/weights"
)

// TestToOriginalNamesLayout: the names are open_clip's CLIP state dict, q/k/v are fused
// in that order along the rows, the projections are transposed, and renaming back gives
// the hub parameters bit for bit.
func TestToOriginalNamesLayout(t *testing.T) {
	cfg, _ := arch.Preset("tiny")
	params := randomParams(cfg, 11)
	orig, err := ToOriginalNames(cfg, params)
	if err != nil {
		t.Fatal(err)
	}
	// open_clip's CLIP state dict: 6 tensors outside the text blocks (token_embedding,
	// positional_embedding, ln_final ×2, text_projection, logit_scale), 8 outside the
	// vision blocks (class_embedding, conv1, positional_embedding, ln_pre ×2, ln_post ×2,
	// proj) and 12 in each block.
	if want := 14 + 12*(cfg.Text.NumHiddenLayers+cfg.Vision.NumHiddenLayers); len(orig) != want {
		t.Errorf("%d tensors, want %d", len(orig), want)
	}
	for _, name := range []string{"visual.conv1.weight", "visual.class_embedding", "visual.ln_pre.bias", "visual.proj",
		"visual.transformer.resblocks.1.attn.in_proj_weight", "transformer.resblocks.0.mlp.c_proj.bias", "ln_final.weight", "logit_scale"} {
		if orig[name] == nil {
			t.Errorf("no %q", name)
		}
	}
	d := cfg.Vision.HiddenSize
	in := orig["visual.transformer.resblocks.1.attn.in_proj_weight"]
	if !slices.Equal(in.Shape, []int{3 * d, d}) {
		t.Fatalf("in_proj_weight shape %v", in.Shape)
	}
	fused, _ := in.Float32s()
	for i, p := range []string{"q_proj", "k_proj", "v_proj"} {
		want, _ := params["vision_model.encoder.layers.1.self_attn."+p+".weight"].Float32s()
		if !slices.Equal(fused[i*d*d:(i+1)*d*d], want) {
			t.Errorf("in_proj_weight rows %d..%d are not %s", i*d, (i+1)*d, p)
		}
	}
	proj, _ := orig["text_projection"].Float32s()
	hub, _ := params["text_projection.weight"].Float32s()
	if s := orig["text_projection"].Shape; !slices.Equal(s, []int{cfg.Text.HiddenSize, cfg.ProjectionDim}) || proj[1] != hub[cfg.Text.HiddenSize] {
		t.Errorf("text_projection %v is not the hub's [%d, %d] transposed", s, cfg.ProjectionDim, cfg.Text.HiddenSize)
	}
	f := weights.NewFile()
	f.Tensors = orig
	back, err := fromOriginalNames(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(params) {
		t.Errorf("%d parameters back, want %d", len(back), len(params))
	}
	for name, p := range params {
		if b := back[name]; b == nil || !slices.Equal(b.Shape, p.Shape) || string(b.Data) != string(p.Data) {
			t.Errorf("%s differs after the round trip", name)
		}
	}
	delete(params, "vision_model.encoder.layers.1.self_attn.k_proj.bias")
	if _, err := ToOriginalNames(cfg, params); err == nil || !strings.Contains(err.Error(), "k_proj.bias") {
		t.Errorf("missing parameter: error %v", err)
	}
}

func TestOpenCLIPConfig(t *testing.T) {
	tiny, _ := arch.Preset("tiny")
	js, err := OpenCLIPConfig(tiny, imageproc.DefaultConfig(32))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		ModelCfg struct {
			EmbedDim  int  `json:"embed_dim"`
			QuickGELU bool `json:"quick_gelu"`
			Vision    struct {
				HeadWidth int     `json:"head_width"`
				MLPRatio  float64 `json:"mlp_ratio"`
			} `json:"vision_cfg"`
			Text struct {
				ContextLength int     `json:"context_length"`
				Heads         int     `json:"heads"`
				MLPRatio      float64 `json:"mlp_ratio"`
			} `json:"text_cfg"`
		} `json:"model_cfg"`
		Preprocess struct {
			Size int       `json:"size"`
			Mean []float64 `json:"mean"`
		} `json:"preprocess_cfg"`
	}
	if err := json.Unmarshal(js, &got); err != nil {
		t.Fatal(err)
	}
	m := got.ModelCfg
	if m.EmbedDim != 32 || !m.QuickGELU || m.Vision.HeadWidth != 64 || m.Vision.MLPRatio != 4 ||
		m.Text.ContextLength != 77 || m.Text.Heads != 2 || m.Text.MLPRatio != 4 ||
		got.Preprocess.Size != 32 || math.Abs(got.Preprocess.Mean[0]-0.48145466) > 1e-7 {
		t.Errorf("open_clip config:\n%s", js)
	}

	for _, tc := range []struct {
		name, want string
		edit       func(c *Config)
	}{
		{"mixed activations", "activations", func(c *Config) { c.Vision.HiddenAct = "gelu" }},
		{"relu", "activations", func(c *Config) { c.Text.HiddenAct, c.Vision.HiddenAct = "relu", "relu" }},
		{"epsilon", "layer_norm_eps", func(c *Config) { c.Text.LayerNormEps = 1e-6 }},
		{"eos not last", "eos_token_id", func(c *Config) { c.Text.EosTokenID = 7 }},
		{"grey images", "channels", func(c *Config) { c.Vision.NumChannels = 1 }},
		{"heads", "heads", func(c *Config) { c.Vision.NumAttentionHeads = 3 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tiny
			tc.edit(&c)
			_, err := OpenCLIPConfig(c, imageproc.DefaultConfig(32))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one about %s", err, tc.want)
			}
		})
	}
	legacy := tiny
	legacy.Text.EosTokenID = 2 // argmax pooling, as open_clip does
	if _, err := OpenCLIPConfig(legacy, imageproc.DefaultConfig(32)); err != nil {
		t.Errorf("legacy eos: %v", err)
	}
}

// TestSaveOpenCLIPLoadsBack: the open_clip file written beside a saved folder loads here
// too (by its path: original names, the shape from the config.json beside it) and gives
// the reference's features.
func TestSaveOpenCLIPLoadsBack(t *testing.T) {
	ref := loadReference(t)
	m := loadTiny(t, "openai.safetensors")
	dir := t.TempDir()
	if err := m.SaveFolder(dir, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.SaveOpenCLIP(dir, nil); err != nil {
		t.Fatal(err)
	}
	back, err := Load(filepath.Join(dir, OpenCLIPWeightsFile), m.Backend)
	if err != nil {
		t.Fatal(err)
	}
	txt, err := back.EncodeTokens(ref.ids)
	if err != nil {
		t.Fatal(err)
	}
	if e := relErr(txt, ref.textFeats); e > 1e-6 {
		t.Errorf("text features from %s: relative error %.2e", OpenCLIPWeightsFile, e)
	}
	if !exists(filepath.Join(dir, OpenCLIPConfigFile)) {
		t.Errorf("no %s", OpenCLIPConfigFile)
	}
}
