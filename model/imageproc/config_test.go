package imageproc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hubCLIP is the preprocessor_config.json of openai/clip-vit-base-patch32.
const hubCLIP = `{
  "crop_size": {"height": 224, "width": 224},
  "do_center_crop": true,
  "do_convert_rgb": true,
  "do_normalize": true,
  "do_rescale": true,
  "do_resize": true,
  "image_mean": [0.48145466, 0.4578275, 0.40821073],
  "image_processor_type": "CLIPImageProcessor",
  "image_std": [0.26862954, 0.26130258, 0.27577711],
  "resample": 3,
  "rescale_factor": 0.00392156862745098,
  "size": {"shortest_edge": 224}
}`

func TestParseConfig(t *testing.T) {
	custom := Config{Size: 336, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.5, 0.5, 0.5}}
	for _, c := range []struct {
		name, json string
		want       Config
		err        string // "" for success
	}{
		{"hub", hubCLIP, DefaultConfig(224), ""},
		{"old feature extractor", `{"crop_size": 224, "size": 224, "do_center_crop": true, "resample": 3,
			"image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711]}`,
			DefaultConfig(224), ""},
		{"custom stats", `{"size": {"shortest_edge": 336}, "crop_size": 336, "image_mean": 0.5, "image_std": [0.5, 0.5, 0.5]}`, custom, ""},
		{"crop only, default stats", `{"crop_size": {"height": 288, "width": 288}}`, DefaultConfig(288), ""},
		{"size only, null crop", `{"size": 64, "crop_size": null}`, DefaultConfig(64), ""},
		{"trimmed", `{"size": 64, "trim_border": true}`, Config{Size: 64, Mean: CLIPMean, Std: CLIPStd, Trim: true}, ""},
		{"trim off", `{"size": 64, "trim_border": false}`, DefaultConfig(64), ""},
		{"trim not a bool", `{"size": 64, "trim_border": "yes"}`, Config{}, "not a preprocessor config"},

		{"not json", `size: 224`, Config{}, "not a preprocessor config"},
		{"no size", `{"image_mean": [0.5, 0.5, 0.5]}`, Config{}, "no image size"},
		{"sizes differ", `{"size": {"shortest_edge": 256}, "crop_size": 224}`, Config{}, "size 256 and crop_size 224 differ"},
		{"non-square crop", `{"crop_size": {"height": 224, "width": 200}}`, Config{}, "only square crops"},
		{"fixed resize", `{"size": {"height": 224, "width": 224}}`, Config{}, "only shortest_edge"},
		{"unknown size key", `{"size": {"longest_edge": 224}}`, Config{}, `expected an integer or {"shortest_edge": n}`},
		{"zero size", `{"size": 0}`, Config{}, "size is 0, out of range"},
		{"negative crop", `{"crop_size": -3}`, Config{}, "crop_size is -3, out of range"},
		{"huge size", `{"size": 100000}`, Config{}, "out of range"},
		{"fractional size", `{"size": 224.5}`, Config{}, "not a positive integer"},
		{"string size", `{"size": "224"}`, Config{}, "not a positive integer"},
		{"two means", `{"size": 224, "image_mean": [0.5, 0.5]}`, Config{}, "image_mean is [0.5, 0.5], not three numbers"},
		{"zero std", `{"size": 224, "image_std": [0.2, 0, 0.2]}`, Config{}, "std"},
		{"overflowing std", `{"size": 224, "image_std": 1e300}`, Config{}, "std"},
		{"bilinear", `{"size": 224, "resample": 2}`, Config{}, "resample is 2"},
		{"no normalize", `{"size": 224, "do_normalize": false}`, Config{}, "do_normalize is false"},
		{"no crop", `{"size": 224, "do_center_crop": false}`, Config{}, "do_center_crop is false"},
		{"other rescale", `{"size": 224, "rescale_factor": 1}`, Config{}, "rescale_factor is 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseConfig([]byte(c.json))
			switch {
			case c.err == "" && err != nil:
				t.Fatal(err)
			case c.err == "" && got != c.want:
				t.Errorf("got %+v, want %+v", got, c.want)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Errorf("error %v, want one containing %q", err, c.err)
			}
		})
	}
}

func TestLoadConfigFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "preprocessor_config.json")
	if err := os.WriteFile(good, []byte(hubCLIP), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err := LoadConfig(good); err != nil || c != DefaultConfig(224) {
		t.Errorf("LoadConfig = %+v, %v; want %+v", c, err, DefaultConfig(224))
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"size": 0}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{bad, filepath.Join(dir, "missing.json")} {
		if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("LoadConfig(%s): error %v, want one naming the file", path, err)
		}
	}
}

// TestParseRecorded: a quantized file's recorded preprocessing reads back as written, and
// a corrupt, invalid or mismatched one is an error that says which.
func TestParseRecorded(t *testing.T) {
	for _, c := range []struct {
		name, data string
		size       int
		want       Config
		err        string
	}{
		{"as written", `{"size":64,"mean":[0.5,0.4,0.3],"std":[0.2,0.3,0.4]}`, 64,
			Config{Size: 64, Mean: [3]float32{0.5, 0.4, 0.3}, Std: [3]float32{0.2, 0.3, 0.4}}, ""},
		{"trimmed", `{"size":64,"mean":[0.5,0.4,0.3],"std":[0.2,0.3,0.4],"trim":true}`, 64,
			Config{Size: 64, Mean: [3]float32{0.5, 0.4, 0.3}, Std: [3]float32{0.2, 0.3, 0.4}, Trim: true}, ""},
		{"not JSON", `{"size":`, 64, Config{}, "corrupt preprocessor metadata"},
		{"zero std", `{"size":64,"mean":[0,0,0],"std":[0,1,1]}`, 64, Config{}, "std"},
		{"another size", `{"size":224,"mean":[0,0,0],"std":[1,1,1]}`, 64, Config{}, "does not match the model's image_size 64"},
	} {
		got, err := ParseRecorded([]byte(c.data), c.size)
		if c.err == "" && (err != nil || got != c.want) {
			t.Errorf("%s: %+v, %v; want %+v", c.name, got, err, c.want)
		}
		if c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.err)
		}
	}
}
