package site

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
)

// The app's icons, drawn here rather than committed as binaries: a picture frame (a sun
// over a hill, what the app looks at) with a label tag (what it gives back), white on the
// page's accent blue. The manifest (web/manifest.webmanifest) names these files.
var icons = []struct {
	name     string
	size     int
	maskable bool
}{
	{"icon-192.png", 192, false},
	{"icon-512.png", 512, false},
	{"icon-maskable-512.png", 512, true},
}

var (
	iconBlue  = color.NRGBA{0x2f, 0x6f, 0xde, 0xff} // styles.css's --accent, the manifest's theme_color
	iconWhite = color.NRGBA{0xff, 0xff, 0xff, 0xff}
)

// WriteIcons writes the app's PNG icons into dir.
func WriteIcons(dir string) error {
	for _, ic := range icons {
		var buf bytes.Buffer
		if err := png.Encode(&buf, drawIcon(ic.size, ic.maskable)); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, ic.name), buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// drawIcon draws the mark on a size×size canvas. A plain icon is a rounded square with
// transparent corners; a maskable one fills the canvas (the platform cuts its own shape)
// and keeps the mark inside the central 80% circle that every mask leaves visible.
func drawIcon(size int, maskable bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	s := float64(size)
	scale := 0.85 // the mark's extent, as a share of the canvas
	if maskable {
		scale = 0.62
	}
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			// u, v in [-1, 1], the centre at 0; the mark is drawn in mark coordinates.
			u, v := (float64(x)+0.5)/s*2-1, (float64(y)+0.5)/s*2-1
			if !maskable && roundedBox(u, v, 1, 1, 0.35) > 0 {
				continue // transparent corner
			}
			img.SetNRGBA(x, y, iconBlue)
			if mark(u/scale*0.8, v/scale*0.8) {
				img.SetNRGBA(x, y, iconWhite)
			}
		}
	}
	return img
}

// mark reports whether the point (u, v) of the unit square [-1, 1]² is white: a frame's
// outline with a sun and a hill inside, and a tag at its lower right.
func mark(u, v float64) bool {
	frame := roundedBox(u+0.08, v+0.08, 0.62, 0.5, 0.08)
	if frame <= 0 && frame > -0.07 {
		return true // the frame's outline
	}
	if frame <= -0.07 {
		if math.Hypot(u+0.3, v+0.25) < 0.11 {
			return true // the sun
		}
		if v > 0.25-0.45*math.Max(0, 1-math.Abs(u+0.05)/0.45) && v < 0.35 {
			return true // the hill
		}
	}
	// The tag: a rotated rounded box with a hole, at the lower right.
	c, sn := math.Cos(math.Pi/4), math.Sin(math.Pi/4)
	tu, tv := u-0.52, v-0.48
	ru, rv := c*tu+sn*tv, -sn*tu+c*tv
	return roundedBox(ru, rv, 0.26, 0.15, 0.06) <= 0 && math.Hypot(ru+0.14, rv) > 0.05
}

// roundedBox is the signed distance from (u, v) to a box of half-sizes w, h centred at 0
// with corners of radius r: negative inside.
func roundedBox(u, v, w, h, r float64) float64 {
	qx, qy := math.Abs(u)-w+r, math.Abs(v)-h+r
	out := math.Hypot(math.Max(qx, 0), math.Max(qy, 0))
	return out + math.Min(math.Max(qx, qy), 0) - r
}
