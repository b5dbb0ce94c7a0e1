package imageproc

import (
	"image"
	"image/color"
	"slices"
	"testing"
)

// canvas is a w×h picture of colour bg with a rectangle of colour fg at r.
func canvas(w, h int, bg, fg color.NRGBA, r image.Rectangle) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := bg
			if image.Pt(x, y).In(r) {
				c = fg
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

var (
	white = color.NRGBA{255, 255, 255, 255}
	black = color.NRGBA{0, 0, 0, 255}
	red   = color.NRGBA{200, 20, 20, 255}
	clear = color.NRGBA{0, 0, 0, 0}
)

func TestTrimmed(t *testing.T) {
	gradient := image.NewNRGBA(image.Rect(0, 0, 40, 40)) // a "photograph": no uniform border
	for y := range 40 {
		for x := range 40 {
			gradient.SetNRGBA(x, y, color.NRGBA{uint8(6 * x), uint8(6 * y), 90, 255})
		}
	}
	nearWhite := canvas(40, 40, white, red, image.Rect(10, 10, 20, 20))
	nearWhite.SetNRGBA(39, 39, color.NRGBA{245, 250, 240, 255}) // antialiasing, JPEG noise

	for _, tc := range []struct {
		name string
		img  image.Image
		side int             // the trimmed square's side
		fg   image.Rectangle // where the drawing lands in it
		bg   [3]uint8        // the colour around the drawing
	}{
		{"wide drawing on white", canvas(64, 64, white, red, image.Rect(10, 30, 30, 40)), 20, image.Rect(0, 5, 20, 15), [3]uint8{255, 255, 255}},
		{"tall drawing", canvas(50, 30, white, red, image.Rect(20, 5, 24, 17)), 12, image.Rect(4, 0, 8, 12), [3]uint8{255, 255, 255}},
		{"transparent margin", canvas(32, 32, clear, red, image.Rect(8, 8, 24, 24)), 16, image.Rect(0, 0, 16, 16), [3]uint8{255, 255, 255}},
		{"dark ground: not trimmed", canvas(40, 40, black, white, image.Rect(30, 2, 36, 6)), 40, image.Rectangle{}, [3]uint8{}},
		{"drawing at a corner", canvas(30, 30, white, red, image.Rect(0, 0, 5, 5)), 30, image.Rectangle{}, [3]uint8{}},
		{"noise in the border", nearWhite, 10, image.Rect(0, 0, 10, 10), [3]uint8{255, 255, 255}},
		{"drawing past the picture's edge", canvas(40, 40, white, red, image.Rect(0, 10, 40, 12)), 40, image.Rect(0, 10, 40, 12), [3]uint8{255, 255, 255}}, // spans the width: nothing to trim
		{"one colour", canvas(20, 20, white, white, image.Rectangle{}), 20, image.Rectangle{}, [3]uint8{255, 255, 255}},
		{"no uniform border", gradient, 40, image.Rectangle{}, [3]uint8{}},
		{"one pixel", canvas(1, 1, red, red, image.Rectangle{}), 1, image.Rect(0, 0, 1, 1), [3]uint8{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := toRGB(tc.img)
			got := src.trimmed()
			if tc.side == max(src.W, src.H) && (got.W != src.W || got.H != src.H) {
				t.Fatalf("trimmed to %dx%d, want the picture unchanged (%dx%d)", got.W, got.H, src.W, src.H)
			}
			if tc.side == max(src.W, src.H) {
				return
			}
			if got.W != tc.side || got.H != tc.side {
				t.Fatalf("trimmed to %dx%d, want %dx%d", got.W, got.H, tc.side, tc.side)
			}
			draw := [3]uint8{red.R, red.G, red.B}
			for y := range got.H {
				for x := range got.W {
					want := tc.bg
					if image.Pt(x, y).In(tc.fg) {
						want = draw
					}
					if c := got.at(x, y); c != want {
						t.Fatalf("pixel (%d,%d) is %v, want %v", x, y, c, want)
					}
				}
			}
		})
	}
}

// TestPreprocessTrim: with Trim, Preprocess gives what it gives without for the picture
// cut to its drawing by hand, and a picture with nothing to trim is unchanged.
func TestPreprocessTrim(t *testing.T) {
	c := DefaultConfig(32)
	trimmed := c
	trimmed.Trim = true
	img := canvas(64, 64, clear, red, image.Rect(20, 10, 40, 50)) // 20×40 on a transparent ground
	img.SetNRGBA(30, 30, color.NRGBA{10, 200, 10, 255})
	byHand := canvas(40, 40, white, red, image.Rect(10, 0, 30, 40))
	byHand.SetNRGBA(20, 20, color.NRGBA{10, 200, 10, 255})
	if got, want := trimmed.Preprocess(img), c.Preprocess(byHand); !slices.Equal(got, want) {
		t.Error("Preprocess with Trim differs from Preprocess of the picture trimmed by hand")
	}
	if got, want := trimmed.Preprocess(img), c.Preprocess(img); slices.Equal(got, want) {
		t.Error("Trim made no difference to a picture with a wide margin")
	}
	photo := canvas(50, 40, red, white, image.Rect(0, 0, 10, 10)) // corners disagree
	if got, want := trimmed.Preprocess(photo), c.Preprocess(photo); !slices.Equal(got, want) {
		t.Error("Trim changed a picture with no uniform border")
	}
	// Trim, for the training loader's own crops, is the same cut.
	if got, want := c.Preprocess(Trim(img)), c.Preprocess(byHand); !slices.Equal(got, want) {
		t.Error("Preprocess(Trim(img)) differs from Preprocess of the picture trimmed by hand")
	}
}
