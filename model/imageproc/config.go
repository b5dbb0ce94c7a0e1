package imageproc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
)

// hubConfig is the part of a model hub preprocessor_config.json (CLIPImageProcessor, or
// the older CLIPFeatureExtractor) that decides the preprocessing. Pointers and raw
// messages tell a missing key from a zero one.
type hubConfig struct {
	ImageMean     json.RawMessage `json:"image_mean"`
	ImageStd      json.RawMessage `json:"image_std"`
	Size          json.RawMessage `json:"size"`
	CropSize      json.RawMessage `json:"crop_size"`
	Resample      *int            `json:"resample"`
	DoResize      *bool           `json:"do_resize"`
	DoCenterCrop  *bool           `json:"do_center_crop"`
	DoRescale     *bool           `json:"do_rescale"`
	DoNormalize   *bool           `json:"do_normalize"`
	RescaleFactor *float64        `json:"rescale_factor"`
	// TrimBorder is this project's own key (Config.Trim); the hub's CLIPImageProcessor
	// keeps unknown keys as attributes and ignores them, so a folder with it still
	// loads there, without the trim.
	TrimBorder *bool `json:"trim_border"`
}

// pilBicubic is PIL's Image.BICUBIC, the hub's "resample" value for CLIP.
const pilBicubic = 3

// LoadConfig reads a model hub preprocessor_config.json. "size" (an int, or
// {"shortest_edge": n}) and "crop_size" (an int, or {"height": n, "width": n}) must agree,
// as they do for every CLIP model: the short side is resized to the crop. A missing
// "image_mean" or "image_std" means CLIP's. Settings this package does not implement
// (another resampling filter, a disabled step) are rejected rather than ignored.
func LoadConfig(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return Config{}, err
	}
	c, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// maxConfigBytes bounds a preprocessor_config.json (they are a few hundred bytes).
const maxConfigBytes = 1 << 20

// ParseConfig is LoadConfig for the file's bytes (the page gets them by download).
func ParseConfig(data []byte) (Config, error) {
	if len(data) > maxConfigBytes {
		return Config{}, fmt.Errorf("larger than 1 MiB, not a preprocessor config")
	}
	return parseConfig(data)
}

func parseConfig(data []byte) (Config, error) {
	var h hubConfig
	if err := json.Unmarshal(data, &h); err != nil {
		return Config{}, fmt.Errorf("not a preprocessor config: %v", err)
	}
	for _, s := range []struct {
		key string
		on  *bool
	}{{"do_resize", h.DoResize}, {"do_center_crop", h.DoCenterCrop}, {"do_rescale", h.DoRescale}, {"do_normalize", h.DoNormalize}} {
		if s.on != nil && !*s.on {
			return Config{}, fmt.Errorf("%s is false; only CLIP's full preprocessing is supported", s.key)
		}
	}
	if h.Resample != nil && *h.Resample != pilBicubic {
		return Config{}, fmt.Errorf("resample is %d; only bicubic (%d) is supported", *h.Resample, pilBicubic)
	}
	if f := h.RescaleFactor; f != nil && math.Abs(*f*255-1) > 1e-6 {
		return Config{}, fmt.Errorf("rescale_factor is %v; only 1/255 is supported", *f)
	}

	resize, err := sideOf("size", h.Size, "shortest_edge")
	if err != nil {
		return Config{}, err
	}
	crop, err := sideOf("crop_size", h.CropSize, "")
	if err != nil {
		return Config{}, err
	}
	switch {
	case resize == 0 && crop == 0:
		return Config{}, fmt.Errorf("no image size: neither size nor crop_size is set")
	case resize == 0:
		resize = crop
	case crop == 0:
		crop = resize
	}
	if resize != crop {
		return Config{}, fmt.Errorf("size %d and crop_size %d differ; only equal ones are supported", resize, crop)
	}

	c := DefaultConfig(crop)
	c.Trim = h.TrimBorder != nil && *h.TrimBorder
	if c.Mean, err = triple("image_mean", h.ImageMean, CLIPMean); err != nil {
		return Config{}, err
	}
	if c.Std, err = triple("image_std", h.ImageStd, CLIPStd); err != nil {
		return Config{}, err
	}
	return c, c.Validate()
}

// sideOf reads an image side: an integer, or an object with "height" and "width" (equal)
// or, when edgeKey is set, with edgeKey. It returns 0 for a missing or null key.
func sideOf(key string, raw json.RawMessage, edgeKey string) (int, error) {
	if isNull(raw) {
		return 0, nil
	}
	var n int
	if err := json.Unmarshal(raw, &n); err == nil {
		return checkSide(key, n)
	}
	var m map[string]int
	if err := json.Unmarshal(raw, &m); err != nil {
		return 0, fmt.Errorf("%s is %s, not a positive integer or an object of them", key, raw)
	}
	if v, ok := m[edgeKey]; ok && edgeKey != "" && len(m) == 1 {
		return checkSide(key+"."+edgeKey, v)
	}
	hh, okH := m["height"]
	ww, okW := m["width"]
	switch {
	case edgeKey != "" && okH && okW:
		return 0, fmt.Errorf("%s is %s: resizing to a fixed height and width distorts the image; only shortest_edge is supported", key, raw)
	case !okH || !okW || len(m) != 2:
		want := `{"height": n, "width": n}`
		if edgeKey != "" {
			want = `{"` + edgeKey + `": n}`
		}
		return 0, fmt.Errorf("%s is %s: expected an integer or %s", key, raw, want)
	case hh != ww:
		return 0, fmt.Errorf("%s is %dx%d; only square crops are supported", key, ww, hh)
	}
	return checkSide(key, hh)
}

func checkSide(key string, n int) (int, error) {
	if n < 1 || n > maxConfigSize {
		return 0, fmt.Errorf("%s is %d, out of range 1..%d", key, n, maxConfigSize)
	}
	return n, nil
}

// triple reads three per-channel numbers (a single number means all three); a missing
// or null key gives def.
func triple(key string, raw json.RawMessage, def [3]float32) ([3]float32, error) {
	if isNull(raw) {
		return def, nil
	}
	var one float64
	if err := json.Unmarshal(raw, &one); err == nil {
		return [3]float32{float32(one), float32(one), float32(one)}, nil
	}
	var v []float64
	if err := json.Unmarshal(raw, &v); err != nil || len(v) != 3 {
		return def, fmt.Errorf("%s is %s, not three numbers (R, G, B)", key, raw)
	}
	return [3]float32{float32(v[0]), float32(v[1]), float32(v[2])}, nil
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// Recorded is the preprocessing as a quantized model file records it (its "preprocessor"
// metadata, as JSON): what the engine's quantizer writes and ParseRecorded reads.
type Recorded struct {
	Size int        `json:"size"`
	Mean [3]float32 `json:"mean"`
	Std  [3]float32 `json:"std"`
	// Trim is left out when off, so files without it stay as they were.
	Trim bool `json:"trim,omitempty"`
}

// Record is what a model file records of c.
func (c Config) Record() Recorded {
	return Recorded{Size: c.Size, Mean: c.Mean, Std: c.Std, Trim: c.Trim}
}

// ParseRecorded reads the preprocessing a quantized model file records (Recorded) and
// checks it against the model's image size.
func ParseRecorded(data []byte, imageSize int) (Config, error) {
	var p Recorded
	if err := json.Unmarshal(data, &p); err != nil {
		return Config{}, fmt.Errorf("corrupt preprocessor metadata: %v", err)
	}
	c := Config{Size: p.Size, Mean: p.Mean, Std: p.Std, Trim: p.Trim}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("preprocessor: %w", err)
	}
	if c.Size != imageSize {
		return Config{}, fmt.Errorf("preprocessor crop size %d does not match the model's image_size %d", c.Size, imageSize)
	}
	return c, nil
}
