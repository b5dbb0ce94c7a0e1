package imageproc

import (
	"image"
	"image/color"
)

// rgbImage is packed 8-bit RGB, 3 bytes a pixel, rows without padding: Pillow's "RGB"
// mode, the one pixel format the resampler works on.
type rgbImage struct {
	W, H int
	Pix  []uint8 // len 3*W*H
}

func newRGB(w, h int) *rgbImage {
	return &rgbImage{W: w, H: h, Pix: make([]uint8, 3*w*h)}
}

// toRGB converts img to 8-bit RGB, compositing any transparency over white.
//
// The reference (openai/CLIP's _convert_image_to_rgb, PIL's Image.convert("RGB")) drops
// the alpha channel, so fully transparent pixels keep whatever colour the encoder left
// behind them: usually black, sometimes garbage. Over white is what a person sees in a
// viewer or browser, and it matters for icons, logos and emoji, which are mostly
// transparent. For opaque images (almost all photos, and the reference fixtures) the
// two agree exactly.
//
// The reference also resizes before it converts to RGB, so a palette ("P") image is
// resized with nearest-neighbour there (Pillow's rule for that mode); here every image
// is converted first and resized with bicubic.
func toRGB(img image.Image) *rgbImage {
	b := img.Bounds()
	out := newRGB(b.Dx(), b.Dy())
	i := 0
	switch m := img.(type) {
	case *image.RGBA: // premultiplied: over white is c + (255 - a)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, y):]
			for x := 0; x < b.Dx(); x++ {
				p := row[4*x : 4*x+4 : 4*x+4]
				t := 255 - p[3]
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = p[0]+t, p[1]+t, p[2]+t
				i += 3
			}
		}
	case *image.NRGBA:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, y):]
			for x := 0; x < b.Dx(); x++ {
				p := row[4*x : 4*x+4 : 4*x+4]
				a := uint32(p[3])
				if a == 255 {
					out.Pix[i], out.Pix[i+1], out.Pix[i+2] = p[0], p[1], p[2]
				} else {
					out.Pix[i] = overWhite8(p[0], a)
					out.Pix[i+1] = overWhite8(p[1], a)
					out.Pix[i+2] = overWhite8(p[2], a)
				}
				i += 3
			}
		}
	case *image.YCbCr: // JPEG: always opaque
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				yi, ci := m.YOffset(x, y), m.COffset(x, y)
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				i += 3
			}
		}
	case *image.Gray:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, y):]
			for x := 0; x < b.Dx(); x++ {
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = row[x], row[x], row[x]
				i += 3
			}
		}
	default: // paletted, 16-bit, CMYK, ...: slower but general
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, a := img.At(x, y).RGBA() // 16-bit, premultiplied
				t := 0xffff - a
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = to8(r+t), to8(g+t), to8(bl+t)
				i += 3
			}
		}
	}
	return out
}

// overWhite8 composites a non-premultiplied 8-bit channel c with alpha a over white,
// rounded: (c*a + 255*(255-a)) / 255.
func overWhite8(c uint8, a uint32) uint8 {
	return uint8((uint32(c)*a + 255*(255-a) + 127) / 255)
}

// to8 rounds a 16-bit channel to 8 bits (exact for 8-bit values widened by *0x101).
func to8(v uint32) uint8 {
	return uint8((v + 128) / 257)
}
