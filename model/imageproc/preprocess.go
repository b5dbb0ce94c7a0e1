// Package imageproc is CLIP's image preprocessing, exact to the original (openai/CLIP's
// transform: torchvision Resize(size, BICUBIC) on a PIL image, CenterCrop(size),
// ToTensor, Normalize): decode, turn upright by EXIF, composite transparency over white,
// bicubic resize of the short side with Pillow's arithmetic, centre crop, and per-channel
// normalisation into a float32 CHW tensor.
package imageproc

import (
	"fmt"
	"image"
	"math"
)

// Config is what the preprocessing depends on: the square input side of the model, the
// per-channel (R, G, B) mean and standard deviation of the normalisation, and whether a
// uniform border is trimmed first (trim.go; off in CLIP's own preprocessing).
type Config struct {
	Size      int
	Mean, Std [3]float32
	Trim      bool
}

// The normalisation constants of the original CLIP (its training-set statistics).
var (
	CLIPMean = [3]float32{0.48145466, 0.4578275, 0.40821073}
	CLIPStd  = [3]float32{0.26862954, 0.26130258, 0.27577711}
)

// maxConfigSize bounds Config.Size: far above any CLIP model (224 to 448), low enough
// that a bad config cannot ask for gigabytes per image.
const maxConfigSize = 4096

// DefaultConfig is the original CLIP's preprocessing for a model with the given input
// side (224 for ViT-B/32, 336 for ViT-L/14@336px, ...).
func DefaultConfig(size int) Config {
	return Config{Size: size, Mean: CLIPMean, Std: CLIPStd}
}

// Validate reports whether c describes a usable preprocessing.
func (c Config) Validate() error {
	if c.Size < 1 || c.Size > maxConfigSize {
		return fmt.Errorf("image size %d is out of range 1..%d", c.Size, maxConfigSize)
	}
	for i := range 3 {
		m, s := float64(c.Mean[i]), float64(c.Std[i])
		if math.IsNaN(m) || math.IsInf(m, 0) {
			return fmt.Errorf("image mean %v is not a finite number", c.Mean)
		}
		if !(s > 0) || math.IsInf(s, 0) {
			return fmt.Errorf("image std %v must be positive and finite", c.Std)
		}
	}
	return nil
}

// Load decodes the image file at path and preprocesses it; errors name the file.
func (c Config) Load(path string) ([]float32, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	img, err := DecodeFile(path)
	if err != nil {
		return nil, err
	}
	return c.Preprocess(img), nil
}

// Preprocess turns img into the model's input: 3*Size*Size float32 values, channel-major
// (CHW: all of R, then G, then B), each (v/255 - Mean[c]) / Std[c].
//
// The image is composited over white (see toRGB), trimmed to its drawing if c.Trim is
// set (trim.go), its short side resized to Size with Pillow-exact bicubic, then
// centre-cropped to Size×Size. An image with no pixels gives
// the normalised black that torchvision's padding would. It panics if c is not valid
// (see Validate): a programming error, unlike a bad image file.
func (c Config) Preprocess(img image.Image) []float32 {
	if err := c.Validate(); err != nil {
		panic("imageproc: " + err.Error())
	}
	n := c.Size
	src := toRGB(img)
	if c.Trim {
		src = src.trimmed()
	}
	w, h := resizedSize(src.W, src.H, n)

	// The crop in the resized image's coordinates. It reaches outside only when the
	// resized image is smaller than the crop, which the short-side resize rules out but
	// torchvision handles by padding with zeros; here the zeros are simply left.
	crop := image.Rect(0, 0, n, n).Add(image.Pt(cropOffset(w, n), cropOffset(h, n)))
	win := crop.Intersect(image.Rect(0, 0, w, h))
	var px *rgbImage
	if !win.Empty() {
		px = resizeWindow(src, w, h, win)
	}

	// ToTensor then Normalize, in float32 like torch: a table per channel gives the same
	// values as computing each pixel.
	var lut [3][256]float32
	for ch := range 3 {
		for v := range 256 {
			lut[ch][v] = (float32(v)/255 - c.Mean[ch]) / c.Std[ch]
		}
	}
	out := make([]float32, 3*n*n)
	plane := n * n
	for y := range n {
		for x := range n {
			p := image.Pt(x, y).Add(crop.Min)
			var r, g, b uint8
			if p.In(win) {
				i := 3 * ((p.Y-win.Min.Y)*px.W + p.X - win.Min.X)
				r, g, b = px.Pix[i], px.Pix[i+1], px.Pix[i+2]
			}
			o := y*n + x
			out[o], out[plane+o], out[2*plane+o] = lut[0][r], lut[1][g], lut[2][b]
		}
	}
	return out
}

// resizedSize is torchvision's output size for Resize(size) with an int size: the short
// side becomes size, the long side int(size * long / short), Python's true division
// truncated. Square images stay square.
func resizedSize(w, h, size int) (int, int) {
	if w <= 0 || h <= 0 {
		return 0, 0
	}
	if w <= h {
		return size, int(float64(size*h) / float64(w))
	}
	return int(float64(size*w) / float64(h)), size
}

// cropOffset is where torchvision's CenterCrop starts along an axis of length n:
// int(round((n - size) / 2.0)) with Python's round-half-to-even, or, when the axis is
// shorter than the crop, minus the zero padding it would add before it ((size-n)//2).
func cropOffset(n, size int) int {
	if n < size {
		return -((size - n) / 2)
	}
	return int(math.RoundToEven(float64(n-size) / 2))
}
