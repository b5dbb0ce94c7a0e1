package synth

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestClasses(t *testing.T) {
	cl := Classes()
	if len(cl) != NumClasses || len(Colours())*len(Shapes()) != NumClasses {
		t.Fatalf("%d classes, %d colours, %d shapes; NumClasses %d", len(cl), len(Colours()), len(Shapes()), NumClasses)
	}
	seen := map[string]bool{}
	for i, c := range cl {
		if seen[c] {
			t.Errorf("duplicate class %q", c)
		}
		seen[c] = true
		if want := Colours()[i/4] + " " + Shapes()[i%4]; c != want {
			t.Errorf("class %d = %q, want %q", i, c, want)
		}
		for _, cap := range Captions(i) {
			if !strings.Contains(cap, c) {
				t.Errorf("caption %q of class %q does not name it", cap, c)
			}
		}
	}
	if Captions(-1) != nil || Captions(NumClasses) != nil {
		t.Error("Captions of an out-of-range class is not nil")
	}
}

// TestDraw checks that each class's picture is mostly white with a patch of its colour
// of a plausible area, and that drawing is deterministic.
func TestDraw(t *testing.T) {
	const size = 48
	for c := range NumClasses {
		img := Draw(c, size, 7)
		if !bytes.Equal(img.Pix, Draw(c, size, 7).Pix) {
			t.Fatalf("class %d: not deterministic", c)
		}
		base := colours[c/4].rgb
		n := 0
		for i := 0; i < len(img.Pix); i += 4 {
			p := img.Pix[i : i+3]
			switch {
			case p[0] == 255 && p[1] == 255 && p[2] == 255:
			case near(p[0], base[0]) && near(p[1], base[1]) && near(p[2], base[2]):
				n++
			default:
				t.Fatalf("class %d: pixel %v is neither white nor near %v", c, p, base)
			}
		}
		if frac := float64(n) / (size * size); frac < 0.08 || frac > 0.5 {
			t.Errorf("class %d (%s): shape covers %.2f of the image", c, Classes()[c], frac)
		}
	}
	if b := Draw(-1, 0, 0).Bounds(); b.Dx() != 1 {
		t.Errorf("blank image bounds %v", b)
	}
}

func near(a, b uint8) bool { return int(a)-int(b) <= 12 && int(b)-int(a) <= 12 }

func TestWriteShards(t *testing.T) {
	dir := t.TempDir()
	paths, err := WriteShards(dir, 2, 5, 32, 1)
	if err != nil {
		t.Fatal(err)
	}
	again, err := WriteShards(filepath.Join(dir, "again"), 2, 5, 32, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 2 || filepath.Base(paths[1]) != "000001.tar" {
		t.Fatalf("paths %v", paths)
	}
	for i := range paths {
		a, _ := os.ReadFile(paths[i])
		b, _ := os.ReadFile(again[i])
		if !bytes.Equal(a, b) {
			t.Errorf("shard %d differs between two writes with the same seed", i)
		}
	}
	f, err := os.Open(paths[1])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	var names []string
	o := Options{Shards: 2, PerShard: 5}
	for i := 0; ; i++ {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		data, _ := io.ReadAll(tr)
		switch filepath.Ext(h.Name) {
		case ".png":
			if img, err := png.Decode(bytes.NewReader(data)); err != nil || img.Bounds().Dx() != 32 {
				t.Errorf("%s: %v", h.Name, err)
			}
		case ".json":
			var m meta
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			s := i / 3
			if m.Key != SampleKey(o, 1, s) || m.Label != ClassOf(o, 1, s) || m.Class != Classes()[m.Label] {
				t.Errorf("%s: meta %+v", h.Name, m)
			}
			if len(m.Captions) != 3 || m.Captions[0] != m.Caption {
				t.Errorf("%s: captions %q, caption %q", h.Name, m.Captions, m.Caption)
			}
			for j, c := range m.Captions {
				for _, d := range m.Captions[:j] {
					if c == d {
						t.Errorf("%s: repeated caption %q", h.Name, c)
					}
				}
			}
		}
	}
	if len(names) != 15 || names[0] != "000000005.png" || names[1] != "000000005.txt" || names[2] != "000000005.json" {
		t.Errorf("members %v", names)
	}
}

func TestWriteEvalFolder(t *testing.T) {
	dir := t.TempDir()
	imgs, err := WriteEvalFolder(dir, 2, 24, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 2*NumClasses {
		t.Fatalf("%d images", len(imgs))
	}
	if want := filepath.Join(dir, "blue_triangle", "001.png"); imgs[2*10+1].Path != want || imgs[21].Label != "blue triangle" {
		t.Errorf("image 21: %+v, want path %s", imgs[21], want)
	}
	for _, im := range imgs {
		if _, err := os.Stat(im.Path); err != nil {
			t.Error(err)
		}
	}
}
