package data

import (
	"image"
	"image/color"
	"math"

	"github.com/disintegration/imaging"
)

// Style augmentation: the same concept drawn in another style. The corpus shows most
// concepts in colour, but people (and the held-out sets) also draw them as black line
// art, as high-contrast silhouettes or in other palettes; a model that has only seen
// colour learns the palette, not the thing. So with probability Options.Style a training
// image is redrawn in one of these styles before it is cropped. The pictures are opaque
// on white (train/corpus renders them so), which the line art and the threshold assume.
type styleFunc func(img *image.NRGBA, r *rng) *image.NRGBA

// styles, with the weight of each among the redrawn images: line art and silhouettes
// most, since they are furthest from the training styles.
var styles = []struct {
	name   string
	weight float64
	apply  styleFunc
}{
	{"lineart", 0.30, lineArt},
	{"threshold", 0.25, threshold},
	{"greyscale", 0.20, func(img *image.NRGBA, _ *rng) *image.NRGBA { return imaging.Grayscale(img) }},
	{"colour", 0.20, colourJitter},
	{"invert", 0.05, func(img *image.NRGBA, _ *rng) *image.NRGBA { return imaging.Invert(img) }},
}

// restyle redraws img in a style drawn from r, or returns it as it is (with probability
// 1-p). It returns the style's name ("" when unchanged), for tests and statistics.
func restyle(img image.Image, p float64, r *rng) (image.Image, string) {
	if p <= 0 || r.Float64() >= p {
		return img, ""
	}
	u := r.Float64()
	for _, s := range styles {
		if u -= s.weight; u < 0 {
			return s.apply(imaging.Clone(img), r), s.name
		}
	}
	last := styles[len(styles)-1]
	return last.apply(imaging.Clone(img), r), last.name
}

// luma is the Rec. 601 luminance of an NRGBA pixel in [0, 1].
func luma(c color.NRGBA) float64 {
	return (0.299*float64(c.R) + 0.587*float64(c.G) + 0.114*float64(c.B)) / 255
}

// lineArt draws the picture's edges as black lines on white, like an outline emoji
// or a colouring-book page: the Sobel gradient of the luminance, thresholded at a
// random strength so lines come out thinner or bolder.
func lineArt(img *image.NRGBA, r *rng) *image.NRGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	lum := make([]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			lum[y*w+x] = luma(img.NRGBAAt(b.Min.X+x, b.Min.Y+y))
		}
	}
	at := func(x, y int) float64 { // clamped to the border
		return lum[min(max(y, 0), h-1)*w+min(max(x, 0), w-1)]
	}
	cut := 0.15 + 0.35*r.Float64()
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			gx := at(x+1, y-1) + 2*at(x+1, y) + at(x+1, y+1) - at(x-1, y-1) - 2*at(x-1, y) - at(x-1, y+1)
			gy := at(x-1, y+1) + 2*at(x, y+1) + at(x+1, y+1) - at(x-1, y-1) - 2*at(x, y-1) - at(x+1, y-1)
			v := uint8(255)
			if math.Hypot(gx, gy) > cut {
				v = 0
			}
			out.SetNRGBA(x, y, color.NRGBA{v, v, v, 255})
		}
	}
	return out
}

// threshold turns the picture into a black-on-white silhouette (a high-contrast or
// monochrome glyph): pixels darker than a random level go black, the rest white.
func threshold(img *image.NRGBA, r *rng) *image.NRGBA {
	level := 0.45 + 0.5*r.Float64()
	return imaging.AdjustFunc(img, func(c color.NRGBA) color.NRGBA {
		v := uint8(255)
		if luma(c) < level {
			v = 0
		}
		return color.NRGBA{v, v, v, c.A}
	})
}

// colourJitter changes the palette but keeps the drawing: the colour channels in a
// random order, then saturation moved by up to ±40% and brightness raised by up to 15%.
func colourJitter(img *image.NRGBA, r *rng) *image.NRGBA {
	perm := [3]int{0, 1, 2}
	shuffle(perm[:], r)
	out := imaging.AdjustFunc(img, func(c color.NRGBA) color.NRGBA {
		ch := [3]uint8{c.R, c.G, c.B}
		return color.NRGBA{ch[perm[0]], ch[perm[1]], ch[perm[2]], c.A}
	})
	out = imaging.AdjustSaturation(out, 80*r.Float64()-40)
	return imaging.AdjustBrightness(out, 15*r.Float64()) // brighter only: the ground stays white
}
