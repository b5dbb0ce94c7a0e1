package imageproc

import "encoding/json"

// MarshalHub returns c as a model hub preprocessor_config.json (CLIPImageProcessor), the
// file other CLIP tools read beside a model; LoadConfig reads it back.
func (c Config) MarshalHub() ([]byte, error) {
	h := map[string]any{
		"image_processor_type": "CLIPImageProcessor",
		"do_resize":            true,
		"size":                 map[string]int{"shortest_edge": c.Size},
		"resample":             pilBicubic,
		"do_center_crop":       true,
		"crop_size":            map[string]int{"height": c.Size, "width": c.Size},
		"do_rescale":           true,
		"rescale_factor":       1.0 / 255,
		"do_normalize":         true,
		"image_mean":           c.Mean,
		"image_std":            c.Std,
		"do_convert_rgb":       true,
	}
	if c.Trim {
		h["trim_border"] = true // read by LoadConfig; the hub's processor ignores it
	}
	return json.MarshalIndent(h, "", "  ")
}
