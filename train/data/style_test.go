package data

import (
	"image"
	"image/color"
	"maps"
	"path/filepath"
	"testing"
)

// glyph is a red disc with a blue square inside it, on white: a picture with fills of
// two colours and edges between them.
func glyph() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 32, 32))
	for y := 0; y < 32; y++ {
		for x := 0; x < 32; x++ {
			c := color.NRGBA{255, 255, 255, 255}
			if dx, dy := x-16, y-16; dx*dx+dy*dy < 12*12 {
				c = color.NRGBA{220, 30, 30, 255}
			}
			if x >= 12 && x < 20 && y >= 12 && y < 20 {
				c = color.NRGBA{20, 40, 200, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func TestStyles(t *testing.T) {
	src := glyph()
	for _, s := range styles {
		t.Run(s.name, func(t *testing.T) {
			a := s.apply(glyph(), newRNG(7, tagStyle, 0, 1))
			b := s.apply(glyph(), newRNG(7, tagStyle, 0, 1))
			if a.Bounds() != src.Bounds() {
				t.Fatalf("bounds %v, want %v", a.Bounds(), src.Bounds())
			}
			changed := 0
			grey := true
			for i := 0; i < len(a.Pix); i += 4 {
				if a.Pix[i] != b.Pix[i] || a.Pix[i+1] != b.Pix[i+1] || a.Pix[i+2] != b.Pix[i+2] {
					t.Fatal("the same random stream gave two different pictures")
				}
				if a.Pix[i] != src.Pix[i] || a.Pix[i+1] != src.Pix[i+1] || a.Pix[i+2] != src.Pix[i+2] {
					changed++
				}
				grey = grey && a.Pix[i] == a.Pix[i+1] && a.Pix[i+1] == a.Pix[i+2]
			}
			if changed == 0 {
				t.Error("picture unchanged")
			}
			if wantGrey := s.name != "colour" && s.name != "invert"; grey != wantGrey {
				t.Errorf("grey %v, want %v", grey, wantGrey)
			}
		})
	}
}

// Line art keeps the drawing's edges black on a white ground: the disc's rim and the
// square's sides, not the fills or the background.
func TestLineArt(t *testing.T) {
	img := lineArt(glyph(), newRNG(1, tagStyle))
	at := func(x, y int) uint8 { return img.NRGBAAt(x, y).R }
	for _, p := range []struct {
		x, y int
		want uint8
		what string
	}{
		{2, 2, 255, "background"},
		{16, 7, 255, "inside the disc"},
		{16, 16, 255, "inside the square"},
		{16, 4, 0, "the disc's rim"},
		{12, 16, 0, "the square's side"},
	} {
		// Edges are two pixels wide under a 3×3 operator: look at the pixel and its
		// left/upper neighbour for the rims.
		got := min(at(p.x, p.y), at(p.x-1, p.y), at(p.x, p.y-1))
		if p.want == 255 {
			got = at(p.x, p.y)
		}
		if got != p.want {
			t.Errorf("%s (%d,%d): %d, want %d", p.what, p.x, p.y, got, p.want)
		}
	}
}

func TestRestyleProbability(t *testing.T) {
	n, counts := 4000, map[string]int{}
	for i := 0; i < n; i++ {
		_, name := restyle(glyph(), 0.5, newRNG(3, tagStyle, 0, uint64(i)))
		counts[name]++
	}
	if frac := float64(counts[""]) / float64(n); frac < 0.45 || frac > 0.55 {
		t.Errorf("unchanged %.3f of the time, want about 0.5", frac)
	}
	for _, s := range styles {
		want := 0.5 * s.weight * float64(n)
		if got := float64(counts[s.name]); got < 0.7*want || got > 1.3*want {
			t.Errorf("%s drawn %v times, want about %v", s.name, got, want)
		}
	}
	if _, name := restyle(glyph(), 0, newRNG(3, tagStyle)); name != "" {
		t.Errorf("p=0 restyled as %s", name)
	}
}

// A sample's concept comes from its JSON: "concept" (emoji code points), else the
// lower-cased "name" (icons, clip art), else none.
func TestSampleConcept(t *testing.T) {
	dir := t.TempDir()
	shard := filepath.Join(dir, "s.tar")
	writeTar(t, shard,
		member{"a.png", pngOf(t, 0, 1)}, member{"a.json", []byte(`{"caption":"x","concept":"1F382","name":"birthday cake"}`)},
		member{"b.png", pngOf(t, 1, 1)}, member{"b.json", []byte(`{"caption":"y","name":"Cast"}`)},
		member{"c.png", pngOf(t, 2, 1)}, member{"c.txt", []byte("z")},
	)
	got := map[string]string{}
	for _, s := range readAll(t, mustOpen(t, shard, Options{Epochs: 1, NoShuffle: true, Style: 1, Augment: true})) {
		got[s.Key] = s.Concept
	}
	want := map[string]string{"a": "1F382", "b": "name:cast", "c": ""}
	if !maps.Equal(got, want) {
		t.Errorf("concepts %v, want %v", got, want)
	}
	if _, err := Open(shard, Options{Style: 1.5}); err == nil {
		t.Error("style probability 1.5 accepted")
	}
}
