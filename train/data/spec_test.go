package data

import (
	"image"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestExpandSpec(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.tar", "a.tar", "c.csv", "d.TSV", "sub/x.tar"} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d := func(names ...string) []string {
		for i, n := range names {
			names[i] = filepath.Join(dir, n)
		}
		return names
	}
	for _, c := range []struct {
		spec string
		want []string
		err  string
	}{
		{"s/{000000..000003}.tar", []string{"s/000000.tar", "s/000001.tar", "s/000002.tar", "s/000003.tar"}, ""},
		{"{8..11}", []string{"8", "9", "10", "11"}, ""},
		{"{08..11}", []string{"08", "09", "10", "11"}, ""},
		{"{0..100..40}", []string{"0", "40", "80"}, ""},
		{"{3..1}", []string{"3", "2", "1"}, ""},
		{"{-1..1}", []string{"-1", "0", "1"}, ""},
		{"x{a,b,c}y", []string{"xay", "xby", "xcy"}, ""},
		{"{a,b}{1..2}", []string{"a1", "a2", "b1", "b2"}, ""},
		{"{a,b{1,2}}.tar", []string{"a.tar", "b1.tar", "b2.tar"}, ""},
		{"{a,}z", []string{"az", "z"}, ""},
		{"lit{}{x}.tar", []string{"lit{}{x}.tar"}, ""},
		{"{x}{1..2}", []string{"{x}1", "{x}2"}, ""},
		{"open{1..2", []string{"open{1..2"}, ""},
		{"one.tar", []string{"one.tar"}, ""},
		{"a.tar::b.tar:: ::c.csv", []string{"a.tar", "b.tar", "c.csv"}, ""},
		{filepath.Join(dir, "*.tar"), d("a.tar", "b.tar"), ""},
		{filepath.Join(dir, "*.tar") + "::" + filepath.Join(dir, "{c.csv,sub/*}"), d("a.tar", "b.tar", "c.csv", "sub/x.tar"), ""},
		{filepath.Join(dir, "*.zip") + "::" + filepath.Join(dir, "?.csv"), d("c.csv"), ""},
		{filepath.Join(dir, "*.zip"), nil, "matches no files"},
		{"", nil, "matches no files"},
		{" :: ", nil, "matches no files"},
		{"[", nil, "bad pattern"},
		{"{0..99999999}", nil, "more than"},
		{"{0..999}{0..999}{0..9}", nil, "more than"},
		{"{0..99999999999999999999}", nil, "bad range"},
	} {
		got, err := ExpandSpec(c.spec)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("ExpandSpec(%q): error %v, want one containing %q", c.spec, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("ExpandSpec(%q): %v", c.spec, err)
		case c.err == "" && !slices.Equal(got, c.want):
			t.Errorf("ExpandSpec(%q) = %q, want %q", c.spec, got, c.want)
		}
	}
}

func TestRNG(t *testing.T) {
	a, b := newRNG(1, 2, 3), newRNG(1, 2, 3)
	c := newRNG(1, 3, 2)
	same := true
	for range 100 {
		x, y, z := a.Uint64(), b.Uint64(), c.Uint64()
		if x != y {
			t.Fatal("same keys, different streams")
		}
		same = same && x == z
	}
	if same {
		t.Error("the order of keys does not matter")
	}
	r := newRNG(9)
	var hist [7]int
	for range 7000 {
		hist[r.IntN(7)]++
	}
	for i, n := range hist {
		if n < 850 || n > 1150 {
			t.Errorf("intn(7): %d draws of %d in 7000", n, i)
		}
	}
	if r.IntN(1) != 0 || r.IntN(0) != 0 {
		t.Error("intn(1) or intn(0) is not 0")
	}
}

// TestRandomResizedCrop checks get_params' contract: boxes inside the image with area
// and aspect ratio in range (up to the rounding of the sides), deterministic for the
// rng, varied; and the exact fallback boxes when no try can fit.
func TestRandomResizedCrop(t *testing.T) {
	for _, c := range []struct {
		w, h   int
		lo, hi float64
	}{{64, 48, 0.9, 1}, {48, 48, 0.08, 1}, {500, 375, 0.5, 0.9}} {
		seen := map[image.Rectangle]bool{}
		for k := range 200 {
			box := randomResizedCrop(newRNG(5, uint64(k)), c.w, c.h, c.lo, c.hi)
			if box != randomResizedCrop(newRNG(5, uint64(k)), c.w, c.h, c.lo, c.hi) {
				t.Fatal("not deterministic")
			}
			if !box.In(image.Rect(0, 0, c.w, c.h)) || box.Empty() {
				t.Fatalf("%dx%d: box %v outside the image", c.w, c.h, box)
			}
			seen[box] = true
			if box.Dx() == c.w && box.Dy() == c.h {
				continue // may be the fallback
			}
			area := float64(box.Dx()*box.Dy()) / float64(c.w*c.h)
			ratio := float64(box.Dx()) / float64(box.Dy())
			slack := 2.5 / float64(min(box.Dx(), box.Dy())) // rounding of each side
			if area < c.lo*(1-slack) || area > c.hi*(1+slack) || ratio < minRatio*(1-slack) || ratio > maxRatio*(1+slack) {
				t.Errorf("%dx%d scale [%g,%g]: box %v has area %.3f, ratio %.3f", c.w, c.h, c.lo, c.hi, box, area, ratio)
			}
		}
		if len(seen) < 20 {
			t.Errorf("%dx%d: only %d distinct boxes in 200", c.w, c.h, len(seen))
		}
	}
	// No box of 90% of the area fits a 100x10 image with a ratio below 4/3: fallback to
	// the centre, height 10, width round(10*4/3) = 13, left (100-13)//2 = 43.
	for _, c := range []struct {
		w, h int
		want image.Rectangle
	}{
		{100, 10, image.Rect(43, 0, 56, 10)},
		{10, 100, image.Rect(0, 43, 10, 56)}, // width 10, height round(10/0.75) = 13
		{1, 1, image.Rect(0, 0, 1, 1)},
	} {
		if got := randomResizedCrop(newRNG(1), c.w, c.h, 0.9, 1); got != c.want {
			t.Errorf("%dx%d: fallback box %v, want %v", c.w, c.h, got, c.want)
		}
	}
}
