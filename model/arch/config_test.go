package arch

import (
	"strings"
	"testing"
)

// The parameter counts of the published models (as the hub's CLIPModel reports them).
func TestPresetParameterCounts(t *testing.T) {
	tests := []struct {
		preset string
		want   int
	}{
		{"ViT-B/32", 151277313},
		{"ViT-B/16", 149620737},
		{"ViT-L/14", 427616513},
		{"ViT-L/14@336", 427944193},
	}
	for _, tc := range tests {
		c, err := Preset(tc.preset)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, shape := range c.ParamShapes() {
			size := 1
			for _, d := range shape {
				size *= d
			}
			n += size
		}
		if n != tc.want {
			t.Errorf("%s: %d parameters, want %d", tc.preset, n, tc.want)
		}
	}
	if _, err := Preset("ViT-Z/99"); err == nil || !strings.Contains(err.Error(), "ViT-B/32") {
		t.Errorf("unknown preset: %v", err)
	}
}

func TestParse(t *testing.T) {
	// Older hub configs: sub-configs in *_config_dict, text_config null, fields missing.
	legacy := `{"projection_dim": 768, "text_config": null, "vision_config": null,
	  "text_config_dict": {"hidden_size": 768, "num_attention_heads": 12, "intermediate_size": 3072},
	  "vision_config_dict": {"hidden_size": 1024, "num_hidden_layers": 24, "patch_size": 14, "num_attention_heads": 16, "intermediate_size": 4096}}`
	c, err := Parse([]byte(legacy))
	if err != nil {
		t.Fatal(err)
	}
	l14, _ := Preset("ViT-L/14")
	if c.Text != l14.Text || c.Vision != l14.Vision || c.ProjectionDim != 768 {
		t.Errorf("legacy ViT-L/14 config parsed as %+v", c)
	}
	// A round trip through Marshal keeps everything.
	js, _ := l14.Marshal()
	back, err := Parse(js)
	if err != nil || back.Text != l14.Text || back.Vision != l14.Vision {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	bad := []struct{ json, want string }{
		{`{`, "corrupt config"},
		{`{"vision_config": {"image_size": 225}}`, "not divisible by patch_size"},
		{`{"text_config": {"hidden_size": 100, "num_attention_heads": 3}}`, "not divisible"},
		{`{"text_config": {"hidden_act": "swish"}}`, "unsupported hidden_act"},
		{`{"projection_dim": -4}`, "projection_dim"},
		{`{"vision_config": {"num_hidden_layers": "twelve"}}`, "corrupt config"},
	}
	for _, tc := range bad {
		if _, err := Parse([]byte(tc.json)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%s): err = %v, want %q", tc.json, err, tc.want)
		}
	}
}
