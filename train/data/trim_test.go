package data

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"path/filepath"
	"slices"
	"testing"

	"github.com/clip-go/clip/model/imageproc"
)

// A model that trims (imageproc.Config.Trim) sees its training pictures trimmed too: the
// random crop is taken from the picture cut to its drawing, as Preprocess cuts it in use.
func TestAugmentTrims(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 48, 48)) // the glyph with a wide white margin
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	g := glyph()
	for y := range 32 {
		for x := range 32 {
			if c := g.NRGBAAt(x, y); c != (color.NRGBA{255, 255, 255, 255}) {
				img.SetNRGBA(x+6, y+10, c)
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	shard := filepath.Join(t.TempDir(), "s.tar")
	writeTar(t, shard, member{"a.png", buf.Bytes()}, member{"a.txt", []byte("a red disc")})

	for _, trim := range []bool{false, true} {
		cfg := imageproc.DefaultConfig(16)
		cfg.Trim = trim
		// The whole picture as the crop (area scale 1; for a square picture every try
		// but a ratio of 1 misses, and the fallback is the whole), so the crop's pixels
		// are Preprocess's.
		got := readAll(t, mustOpen(t, shard, Options{Image: cfg, Epochs: 1, NoShuffle: true, Augment: true, MinScale: 1, MaxScale: 1}))
		if len(got) != 1 {
			t.Fatalf("%d samples, want 1", len(got))
		}
		if want := cfg.Preprocess(img); !slices.Equal(got[0].Pixels, want) {
			t.Errorf("trim %v: the augmented picture is not Preprocess's", trim)
		}
	}
	plain, trimmed := imageproc.DefaultConfig(16), imageproc.DefaultConfig(16)
	trimmed.Trim = true
	if slices.Equal(plain.Preprocess(img), trimmed.Preprocess(img)) {
		t.Fatal("the test picture has nothing to trim")
	}
}
