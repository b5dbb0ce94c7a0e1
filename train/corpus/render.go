package corpus

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"strings"

	"github.com/srwiley/oksvg"
	"github.com/srwiley/rasterx"
	xdraw "golang.org/x/image/draw"
)

// SkipError says why an image was left out (an SVG feature the renderer lacks, an image
// that came out blank); the build counts skips by reason.
type SkipError struct{ Reason string }

func (e *SkipError) Error() string { return "skipped: " + e.Reason }

func skip(reason string) error { return &SkipError{reason} }

// skipReason returns the reason of a SkipError, or "" for other errors.
func skipReason(err error) string {
	var s *SkipError
	if errors.As(err, &s) {
		return s.Reason
	}
	return ""
}

// oksvg draws paths, shapes, gradients, <use> and opacity, and silently ignores
// clipping, masking, filters, patterns, embedded images, text and CSS. An icon that
// relies on any of them renders as something else (a clipped shape drawn whole is often
// a black blob), so such SVGs are detected here and skipped rather than trained on.
var unsupportedElements = map[string]bool{
	"clipPath": true, "mask": true, "filter": true, "pattern": true, "image": true,
	"text": true, "foreignObject": true, "switch": true, "marker": true,
}

// unsupportedSVG returns why oksvg cannot render svg faithfully, or "" if it can.
func unsupportedSVG(svg []byte) string {
	d := xml.NewDecoder(bytes.NewReader(svg))
	d.Strict = false
	inStyle := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return ""
		}
		if err != nil {
			return "malformed SVG"
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			if unsupportedElements[name] {
				return "uses <" + name + ">"
			}
			inStyle = name == "style"
			for _, a := range t.Attr {
				switch a.Name.Local {
				case "clip-path", "mask", "filter":
					if v := strings.TrimSpace(a.Value); v != "" && v != "none" {
						return "uses " + a.Name.Local
					}
				case "style":
					for _, prop := range []string{"clip-path", "mask", "filter"} {
						if strings.Contains(a.Value, prop+":") && !strings.Contains(a.Value, prop+":none") {
							return "uses " + prop
						}
					}
				}
			}
		case xml.CharData:
			if inStyle && len(bytes.TrimSpace(t)) > 0 {
				return "uses CSS"
			}
		case xml.EndElement:
			inStyle = false
		}
	}
}

// renderSVG draws svg onto a white size×size square, its view box scaled to fit and
// centred (aspect ratio kept). SVGs that need features the renderer lacks are skipped.
func renderSVG(svg []byte, size int) (img *image.RGBA, err error) {
	if reason := unsupportedSVG(svg); reason != "" {
		return nil, skip(reason)
	}
	defer func() { // a malformed path can panic deep inside the rasteriser
		if r := recover(); r != nil {
			img, err = nil, skip("renderer panic")
		}
	}()
	icon, err := oksvg.ReadIconStream(bytes.NewReader(svg), oksvg.IgnoreErrorMode)
	if err != nil {
		return nil, skip("unreadable SVG")
	}
	w, h := icon.ViewBox.W, icon.ViewBox.H
	if w <= 0 || h <= 0 {
		return nil, skip("no view box")
	}
	s := float64(size)
	scale := min(s/w, s/h)
	tw, th := w*scale, h*scale
	icon.SetTarget((s-tw)/2, (s-th)/2, tw, th)
	img = whiteSquare(size)
	scanner := rasterx.NewScannerGV(size, size, img, img.Bounds())
	icon.Draw(rasterx.NewDasher(size, size, scanner), 1)
	return img, nil
}

// whiteSquare is an opaque white size×size image.
func whiteSquare(size int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	return img
}

// fitOnWhite composites src over a white size×size square, scaled (Catmull-Rom, which
// filters properly when shrinking) to fit and centred. Images are opaque from here on:
// the trainer composites transparency over white anyway, and opaque pixels make image
// hashes mean one thing.
func fitOnWhite(src image.Image, size int) *image.RGBA {
	dst := whiteSquare(size)
	b := src.Bounds()
	if b.Dx() == size && b.Dy() == size {
		draw.Draw(dst, dst.Bounds(), src, b.Min, draw.Over)
		return dst
	}
	s := float64(size)
	scale := min(s/float64(b.Dx()), s/float64(b.Dy()))
	tw := max(1, int(float64(b.Dx())*scale+0.5))
	th := max(1, int(float64(b.Dy())*scale+0.5))
	x0, y0 := (size-tw)/2, (size-th)/2
	xdraw.CatmullRom.Scale(dst, image.Rect(x0, y0, x0+tw, y0+th), src, b, xdraw.Over, nil)
	return dst
}

// inkStats reports the fraction of pixels that are not white (ink) and that are
// nearly black (dark), for telling blank and blob renders from real ones.
func inkStats(img *image.RGBA) (ink, dark float64) {
	n := 0
	var inked, darkened int
	for i := 0; i+3 < len(img.Pix); i += 4 {
		r, g, b := int(img.Pix[i]), int(img.Pix[i+1]), int(img.Pix[i+2])
		n++
		if r < 245 || g < 245 || b < 245 {
			inked++
		}
		if r < 40 && g < 40 && b < 40 {
			darkened++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return float64(inked) / float64(n), float64(darkened) / float64(n)
}

// checkInk skips renders that came out (almost) empty, and, for colour styles, ones
// that came out mostly black: the signature of a clip or mask the renderer ignored.
func checkInk(img *image.RGBA, colour bool) error {
	ink, dark := inkStats(img)
	if ink < 0.005 {
		return skip("blank render")
	}
	if colour && dark > 0.5 {
		return skip("mostly black render")
	}
	return nil
}

// encodePNG writes img as PNG. Go's encoder is deterministic: the same pixels give the
// same bytes (for the same Go release).
func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// pixelHash is the sha256 of an image's pixels as 8-bit RGBA, row by row, with its
// size: equal for equal pictures whatever the encoding, so leak checks see through
// re-encoding.
func pixelHash(img image.Image) string {
	b := img.Bounds()
	h := sha256.New()
	fmt.Fprintf(h, "%dx%d\n", b.Dx(), b.Dy())
	row := make([]byte, 0, 4*b.Dx())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row = row[:0]
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			row = append(row, c.R, c.G, c.B, c.A)
		}
		h.Write(row)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// PixelHashPNG decodes a PNG and returns its pixelHash.
func PixelHashPNG(data []byte) (string, error) {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return "", err
	}
	return pixelHash(img), nil
}
