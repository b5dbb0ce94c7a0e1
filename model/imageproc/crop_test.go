package imageproc

import (
	"image"
	"image/color"
	"math/rand/v2"
	"slices"
	"testing"
)

func randomNRGBA(r *rand.Rand, rect image.Rectangle) *image.NRGBA {
	img := image.NewNRGBA(rect)
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	return img
}

// copyRect is the pixels of img inside r as a new image starting at 0,0.
func copyRect(img image.Image, r image.Rectangle) *image.NRGBA {
	out := image.NewNRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			out.Set(x-r.Min.X, y-r.Min.Y, img.At(x, y))
		}
	}
	return out
}

// hidden hides an image's concrete type (and its SubImage method), so PreprocessCrop
// takes its generic path.
type hidden struct{ image.Image }

// TestPreprocessCropMatchesPreprocess: on a square image, cropping all of it is what
// Preprocess does (the short-side resize to Size and a centre crop of nothing), so the
// output must be the same values, for down-, up- and no scaling, for images whose
// bounds do not start at 0,0, and through the generic (non-SubImage) path.
func TestPreprocessCropMatchesPreprocess(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct {
		side, size int
		min        image.Point
	}{
		{64, 32, image.Point{}},
		{20, 32, image.Point{}},
		{32, 32, image.Point{}},
		{57, 24, image.Pt(5, -7)},
	} {
		img := randomNRGBA(r, image.Rectangle{Min: c.min, Max: c.min.Add(image.Pt(c.side, c.side))})
		cfg := DefaultConfig(c.size)
		want := cfg.Preprocess(img)
		for _, in := range []image.Image{img, hidden{img}} {
			got := cfg.PreprocessCrop(in, img.Bounds())
			if !slices.Equal(got, want) {
				t.Errorf("side %d size %d min %v (%T): PreprocessCrop of the whole image differs from Preprocess",
					c.side, c.size, c.min, in)
			}
		}
	}
}

// TestPreprocessCropRegion checks that a crop box is the same as preprocessing a copy of
// just that region (square boxes, where Preprocess does no centre crop), that a box
// reaching outside the image is clipped to it, and that non-square boxes give Size×Size
// values.
func TestPreprocessCropRegion(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	img := randomNRGBA(r, image.Rect(10, 20, 90, 70)) // 80x50
	cfg := DefaultConfig(16)
	for _, box := range []image.Rectangle{
		image.Rect(10, 20, 40, 50),
		image.Rect(43, 25, 88, 70),
		image.Rect(70, 55, 77, 62), // upscaled
	} {
		if box.Dx() != box.Dy() {
			continue
		}
		want := cfg.Preprocess(copyRect(img, box))
		if got := cfg.PreprocessCrop(img, box); !slices.Equal(got, want) {
			t.Errorf("box %v: differs from Preprocess of the copied region", box)
		}
	}
	// Clipping: a box hanging over the right and bottom edges is its intersection.
	inside := image.Rect(60, 40, 90, 70)
	over := image.Rect(60, 40, 200, 300)
	if !slices.Equal(cfg.PreprocessCrop(img, over), cfg.PreprocessCrop(img, inside)) {
		t.Error("a box reaching outside the image is not clipped to it")
	}
	for _, box := range []image.Rectangle{image.Rect(10, 20, 90, 30), image.Rect(15, 22, 20, 70), img.Bounds()} {
		got := cfg.PreprocessCrop(img, box)
		if len(got) != 3*16*16 {
			t.Errorf("box %v: %d values, want %d", box, len(got), 3*16*16)
		}
		if want := cfg.Preprocess(copyRect(img, box)); box.Dx() != box.Dy() && slices.Equal(got, want) {
			t.Errorf("box %v: non-square crop gave the short-side-resize-and-centre-crop result", box)
		}
	}
	// A box outside the image: normalised black.
	got := cfg.PreprocessCrop(img, image.Rect(0, 0, 5, 5))
	if want := -CLIPMean[0] / CLIPStd[0]; got[0] != want || len(got) != 3*16*16 {
		t.Errorf("empty crop: first value %g, want normalised black %g", got[0], want)
	}
}

// TestPreprocessCropStretches: a non-square box is squashed to a square, not cropped.
// The left half of the box is red and the right half blue, so after resizing the 40x10
// box to 8x8 the left columns are red and the right ones blue.
func TestPreprocessCropStretches(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 100, 40))
	for y := range 40 {
		for x := range 100 {
			c := color.RGBA{255, 0, 0, 255}
			if x >= 50 {
				c = color.RGBA{0, 0, 255, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	cfg := Config{Size: 8, Std: [3]float32{1, 1, 1}}
	got := cfg.PreprocessCrop(img, image.Rect(30, 10, 70, 20))
	for y := range 8 {
		if got[y*8] != 1 || got[2*64+y*8] != 0 || got[y*8+7] != 0 || got[2*64+y*8+7] != 1 {
			t.Fatalf("row %d: left/right columns are not red/blue: R %g..%g B %g..%g",
				y, got[y*8], got[y*8+7], got[2*64+y*8], got[2*64+y*8+7])
		}
	}
}
