package site

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestIcons: each icon the manifest names is a PNG of its size; the plain ones have
// transparent corners and an opaque centre, the maskable one is opaque to its edges
// and keeps every white pixel of the mark inside the central circle of radius 40% that
// all platform masks leave visible.
func TestIcons(t *testing.T) {
	dir := t.TempDir()
	if err := WriteIcons(dir); err != nil {
		t.Fatal(err)
	}
	for _, ic := range icons {
		f, err := os.Open(filepath.Join(dir, ic.name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", ic.name, err)
		}
		b := img.Bounds()
		if b.Dx() != ic.size || b.Dy() != ic.size {
			t.Fatalf("%s: %v, want %d px", ic.name, b, ic.size)
		}
		alpha := func(x, y int) uint32 { _, _, _, a := img.At(x, y).RGBA(); return a }
		if alpha(ic.size/2, ic.size/4) != 0xffff {
			t.Errorf("%s: the centre is not opaque", ic.name)
		}
		if corner := alpha(0, 0); ic.maskable != (corner == 0xffff) {
			t.Errorf("%s: corner alpha %d (maskable %v)", ic.name, corner, ic.maskable)
		}
		white, outside := 0, 0
		for y := 0; y < ic.size; y++ {
			for x := 0; x < ic.size; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				if r == 0xffff && g == 0xffff && bl == 0xffff {
					white++
					d := math.Hypot(float64(x)+0.5-float64(ic.size)/2, float64(y)+0.5-float64(ic.size)/2)
					if d > 0.4*float64(ic.size) {
						outside++
					}
				}
			}
		}
		if white < ic.size*ic.size/50 {
			t.Errorf("%s: only %d white pixels: no mark", ic.name, white)
		}
		if ic.maskable && outside > 0 {
			t.Errorf("%s: %d pixels of the mark outside the safe zone", ic.name, outside)
		}
	}
}
