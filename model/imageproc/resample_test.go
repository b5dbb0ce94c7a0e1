package imageproc

import (
	"bytes"
	"fmt"
	"image"
	"math/rand/v2"
	"testing"
)

func randomRGB(r *rand.Rand, w, h int) *rgbImage {
	img := newRGB(w, h)
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	return img
}

// TestCoeffs checks the filter tables: runs inside the input, fixed-point weights
// summing to one (within the rounding of each weight), and the widened kernel when
// downscaling.
func TestCoeffs(t *testing.T) {
	for _, c := range []struct{ in, out, wantKsize int }{
		{10, 10, 5}, // support 2: ceil(2)*2+1
		{10, 40, 5}, // upscaling keeps support 2
		{64, 42, 9}, // scale 1.52: support 3.05, ceil 4
		{640, 224, 13},
		{1, 7, 5},
		{7, 1, 29}, // support 14
	} {
		co := precomputeCoeffs(c.in, c.out)
		if co.ksize != c.wantKsize {
			t.Errorf("%d→%d: ksize %d, want %d", c.in, c.out, co.ksize, c.wantKsize)
		}
		for i := range c.out {
			first, n := co.first[i], co.count[i]
			if first < 0 || n < 1 || n > co.ksize || first+n > c.in {
				t.Fatalf("%d→%d: pixel %d reads input %d..%d", c.in, c.out, i, first, first+n)
			}
			var sum int64
			for _, w := range co.kk[i*co.ksize : i*co.ksize+n] {
				sum += int64(w)
			}
			if d := sum - 1<<precisionBits; d < -int64(n) || d > int64(n) {
				t.Errorf("%d→%d: pixel %d weights sum to %d, want %d ± %d", c.in, c.out, i, sum, 1<<precisionBits, n)
			}
		}
	}
}

// TestBicubicKernel checks the kernel at its knots and a known midpoint value.
func TestBicubicKernel(t *testing.T) {
	for _, c := range []struct{ x, want float64 }{
		{0, 1}, {1, 0}, {-1, 0}, {2, 0}, {3, 0},
		{0.5, 0.5625},   // 1.5*0.125 - 2.5*0.25 + 1
		{1.5, -0.0625},  // (((1.5-5)*1.5+8)*1.5-4)*-0.5
		{-1.5, -0.0625}, // symmetric
	} {
		if got := bicubic(c.x); got != c.want {
			t.Errorf("bicubic(%g) = %g, want %g", c.x, got, c.want)
		}
	}
}

// TestResizeKeepsFlatImages: weights sum to one, so a single colour stays exactly that
// colour whatever the scale, including the saturating extremes.
func TestResizeKeepsFlatImages(t *testing.T) {
	for _, v := range []uint8{0, 1, 127, 254, 255} {
		for _, sz := range [][4]int{{10, 10, 3, 7}, {7, 5, 20, 13}, {100, 3, 9, 9}, {1, 1, 5, 4}, {33, 17, 33, 5}} {
			src := newRGB(sz[0], sz[1])
			for i := range src.Pix {
				src.Pix[i] = v
			}
			out := resize(src, sz[2], sz[3])
			if out.W != sz[2] || out.H != sz[3] {
				t.Fatalf("resize to %dx%d gave %dx%d", sz[2], sz[3], out.W, out.H)
			}
			for i, got := range out.Pix {
				if got != v {
					t.Errorf("flat %d, %dx%d→%dx%d: byte %d is %d", v, sz[0], sz[1], sz[2], sz[3], i, got)
					break
				}
			}
		}
	}
}

// TestResizeSameSizeIsIdentity: Pillow skips a pass whose size does not change.
func TestResizeSameSizeIsIdentity(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	src := randomRGB(r, 13, 9)
	if out := resize(src, 13, 9); !bytes.Equal(out.Pix, src.Pix) {
		t.Error("resize to the same size changed the pixels")
	}
	// One axis unchanged: rows (or columns) are resampled independently.
	wide := resize(src, 20, 9)
	for y := range 9 {
		row := &rgbImage{W: 13, H: 1, Pix: src.Pix[3*13*y : 3*13*(y+1)]}
		if got := resize(row, 20, 1).Pix; !bytes.Equal(got, wide.Pix[3*20*y:3*20*(y+1)]) {
			t.Fatalf("row %d differs when resized alone", y)
		}
	}
}

// TestResizeWindowMatchesFullResize: computing only the crop gives the same bytes as
// resizing everything and cropping.
func TestResizeWindowMatchesFullResize(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 50 {
		w, h := 1+r.IntN(60), 1+r.IntN(60)
		ow, oh := 1+r.IntN(60), 1+r.IntN(60)
		src := randomRGB(r, w, h)
		full := resize(src, ow, oh)
		x0, y0 := r.IntN(ow), r.IntN(oh)
		win := image.Rect(x0, y0, x0+1+r.IntN(ow-x0), y0+1+r.IntN(oh-y0))
		got := resizeWindow(src, ow, oh, win)
		name := fmt.Sprintf("%dx%d→%dx%d window %v", w, h, ow, oh, win)
		if got.W != win.Dx() || got.H != win.Dy() {
			t.Fatalf("%s: got %dx%d", name, got.W, got.H)
		}
		for y := range win.Dy() {
			want := full.Pix[3*((win.Min.Y+y)*ow+win.Min.X) : 3*((win.Min.Y+y)*ow+win.Max.X)]
			if !bytes.Equal(got.Pix[3*y*got.W:3*(y+1)*got.W], want) {
				t.Fatalf("%s: row %d differs", name, y)
			}
		}
	}
}

// TestResizeHandWorked pins the fixed-point arithmetic on a case worked by hand:
// 1x4 → 1x2 halves the height (scale 2, support 4). Output row 0 has center 1 and reads
// rows 0..3 with weights bicubic((y - 1 + 0.5) / 2) = 0.8671875, 0.8671875, 0.2265625,
// -0.0703125; their sum is 1.890625, so normalised and in 22-bit fixed point
// 1923834, 1923834, 502623, -155987 (summing to exactly 1<<22). Row 1 (center 3)
// has them reversed.
func TestResizeHandWorked(t *testing.T) {
	src := &rgbImage{W: 1, H: 4, Pix: []uint8{
		10, 0, 255,
		20, 0, 255,
		30, 255, 0,
		40, 255, 0,
	}}
	out := resize(src, 1, 2)
	// Row 0: R = (10*1923834 + 20*1923834 + 30*502623 - 40*155987 + 1<<21) >> 22
	// = 16 (15.87 rounded); G = 255*(502623-155987) → 21.07 → 21; B = 255*2*1923834 → 233.9 → 234.
	// Row 1: R 34 (34.13), G 234, B 21.
	want := []uint8{16, 21, 234, 34, 234, 21}
	if !bytes.Equal(out.Pix, want) {
		t.Errorf("got %v, want %v", out.Pix, want)
	}
}

// TestResizeTwoPassRounding: the horizontal pass is rounded to 8 bits before the
// vertical one, as in Pillow. Resizing both axes at once must equal resizing the width,
// then the height, of the 8-bit result.
func TestResizeTwoPassRounding(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 20 {
		w, h, ow, oh := 2+r.IntN(40), 2+r.IntN(40), 1+r.IntN(40), 1+r.IntN(40)
		src := randomRGB(r, w, h)
		both := resize(src, ow, oh)
		if ow == w || oh == h {
			continue
		}
		steps := resize(resize(src, ow, h), ow, oh)
		if !bytes.Equal(both.Pix, steps.Pix) {
			t.Fatalf("%dx%d→%dx%d: one call differs from width-then-height", w, h, ow, oh)
		}
	}
}
