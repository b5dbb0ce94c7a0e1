package imageproc

import (
	"image"
	"math"
)

// This file is Pillow's Image.resize(size, Image.BICUBIC) for 8-bit RGB, which is what
// torchvision's Resize does to a PIL image and so what the original CLIP was trained
// and evaluated with. It follows libImaging/Resample.c (precompute_coeffs,
// normalize_coeffs_8bpc, ImagingResampleHorizontal_8bpc, ImagingResampleVertical_8bpc,
// ImagingResampleInner) step for step, down to the 22-bit fixed-point weights, the
// rounding of each pass to 8 bits and the order of floating-point operations, so the
// output is the same bytes. Generic resamplers (disintegration/imaging, x/image/draw)
// use other kernels, supports or float accumulation and land a grey level off here and
// there, which would be a systematic shift in every input the model sees.

const (
	bicubicSupport = 2.0
	// precisionBits is Pillow's PRECISION_BITS for 8-bit images: 32 - 8 - 2, leaving
	// room for 8-bit pixels times weights whose absolute sum exceeds 1.
	precisionBits = 32 - 8 - 2
)

// bicubic is Pillow's bicubic_filter: Keys' cubic convolution with a = -0.5, evaluated
// in the same order as the C. Each product is wrapped in float64() because the Go spec
// lets the compiler fuse x*y+z into one FMA (it does on arm64, for one), which rounds
// once instead of twice and can change the last bit; a conversion forbids that. C
// compilers for x86-64, where Pillow's wheels and the reference fixtures come from, do
// not fuse.
func bicubic(x float64) float64 {
	const a = -0.5
	if x < 0 {
		x = -x
	}
	if x < 1 { // ((a + 2) * x - (a + 3)) * x * x + 1
		p := float64((a+2)*x) - (a + 3)
		p = float64(p * x)
		return float64(p*x) + 1
	}
	if x < 2 { // (((x - 5) * x + 8) * x - 4) * a
		p := float64((x-5)*x) + 8
		return (float64(p*x) - 4) * a
	}
	return 0
}

// coeffs holds one axis' filter: for output pixel i, the input run starts at
// first[i], holds count[i] pixels and is weighted by kk[i*ksize : i*ksize+count[i]].
type coeffs struct {
	ksize int
	first []int
	count []int
	kk    []int32
}

// precomputeCoeffs is precompute_coeffs followed by normalize_coeffs_8bpc, for the whole
// input (box 0..inSize) mapped onto outSize pixels.
func precomputeCoeffs(inSize, outSize int) coeffs {
	scale := float64(inSize) / float64(outSize)
	filterscale := max(scale, 1) // downscaling widens the kernel: antialiasing
	support := bicubicSupport * filterscale
	ksize := int(math.Ceil(support))*2 + 1
	c := coeffs{
		ksize: ksize,
		first: make([]int, outSize),
		count: make([]int, outSize),
		kk:    make([]int32, outSize*ksize),
	}
	ss := 1 / filterscale // Pillow multiplies by the reciprocal rather than dividing
	k := make([]float64, ksize)
	for xx := range outSize {
		center := (float64(xx) + 0.5) * scale
		// int() truncates toward zero like C's (int) cast; negatives clamp to 0 anyway.
		xmin := max(int(center-support+0.5), 0)
		xmax := min(int(center+support+0.5), inSize) - xmin
		ww := 0.0
		for x := range xmax {
			w := bicubic((float64(x+xmin) - center + 0.5) * ss)
			k[x] = w
			ww += w
		}
		kk := c.kk[xx*ksize:]
		for x := range xmax {
			w := k[x]
			if ww != 0 {
				w /= ww
			}
			// normalize_coeffs_8bpc: round half away from zero into fixed point.
			if w < 0 {
				kk[x] = int32(-0.5 + w*(1<<precisionBits))
			} else {
				kk[x] = int32(0.5 + w*(1<<precisionBits))
			}
		}
		c.first[xx], c.count[xx] = xmin, xmax
	}
	return c
}

// clip8 is Pillow's clip8: the fixed-point sum back to an 8-bit value, saturating.
func clip8(v int32) uint8 {
	v >>= precisionBits
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// resize scales src to outW×outH exactly as Pillow's bicubic resize.
func resize(src *rgbImage, outW, outH int) *rgbImage {
	return resizeWindow(src, outW, outH, image.Rect(0, 0, outW, outH))
}

// resizeWindow returns the pixels inside win (which must lie within 0,0..outW,outH) of
// the bicubic resize of src to outW×outH. Each output pixel depends only on its own
// coefficients, so computing just a window (the centre crop) gives the same bytes as
// resizing everything and cropping after, for less work.
//
// As in ImagingResampleInner, the horizontal pass runs first, over only the input rows
// the vertical pass will read, into an 8-bit intermediate; then the vertical pass. A
// pass whose size does not change is skipped (Pillow's need_horizontal/need_vertical).
func resizeWindow(src *rgbImage, outW, outH int, win image.Rectangle) *rgbImage {
	needH, needV := outW != src.W, outH != src.H

	// Input rows the vertical pass needs: Pillow's ybox_first and ybox_last.
	var vc coeffs
	yFirst, yLast := win.Min.Y, win.Max.Y
	if needV {
		vc = precomputeCoeffs(src.H, outH)
		last := win.Max.Y - 1
		yFirst, yLast = vc.first[win.Min.Y], vc.first[last]+vc.count[last]
	}

	tmp := newRGB(win.Dx(), yLast-yFirst)
	if needH {
		resampleHorizontal(tmp, src, yFirst, win.Min.X, precomputeCoeffs(src.W, outW))
	} else {
		for y := range tmp.H {
			s := src.Pix[3*((yFirst+y)*src.W+win.Min.X):]
			copy(tmp.Pix[3*y*tmp.W:3*(y+1)*tmp.W], s)
		}
	}
	if !needV {
		return tmp
	}
	out := newRGB(win.Dx(), win.Dy())
	resampleVertical(out, tmp, yFirst, win.Min.Y, vc)
	return out
}

// resampleHorizontal is ImagingResampleHorizontal_8bpc: dst row y is src row y+yOffset
// filtered along x, dst column x being output column x+xOffset.
func resampleHorizontal(dst, src *rgbImage, yOffset, xOffset int, c coeffs) {
	const half = 1 << (precisionBits - 1) // rounds the final shift
	for y := range dst.H {
		srow := src.Pix[3*(y+yOffset)*src.W : 3*(y+yOffset+1)*src.W]
		drow := dst.Pix[3*y*dst.W : 3*(y+1)*dst.W]
		for x := range dst.W {
			xx := x + xOffset
			n := c.count[xx]
			k := c.kk[xx*c.ksize : xx*c.ksize+n]
			p := srow[3*c.first[xx] : 3*(c.first[xx]+n)]
			s0, s1, s2 := int32(half), int32(half), int32(half)
			for i, w := range k {
				s0 += int32(p[3*i]) * w
				s1 += int32(p[3*i+1]) * w
				s2 += int32(p[3*i+2]) * w
			}
			drow[3*x], drow[3*x+1], drow[3*x+2] = clip8(s0), clip8(s1), clip8(s2)
		}
	}
}

// resampleVertical is ImagingResampleVertical_8bpc: dst row y is output row y+outOffset,
// its input rows shifted up by srcOffset (the first row src holds).
func resampleVertical(dst, src *rgbImage, srcOffset, outOffset int, c coeffs) {
	const half = 1 << (precisionBits - 1)
	stride := 3 * src.W
	for y := range dst.H {
		yy := y + outOffset
		n := c.count[yy]
		k := c.kk[yy*c.ksize : yy*c.ksize+n]
		base := (c.first[yy] - srcOffset) * stride
		drow := dst.Pix[3*y*dst.W : 3*(y+1)*dst.W]
		for x := range 3 * dst.W { // channels are independent: walk bytes
			s := int32(half)
			for i, w := range k {
				s += int32(src.Pix[base+i*stride+x]) * w
			}
			drow[x] = clip8(s)
		}
	}
}
