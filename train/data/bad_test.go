package data

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// memberOffsets returns the offset of each member's body in a tar file (and its name).
func memberOffsets(t testing.TB, file string) (offs []int64, names []string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pr := &posReader{f: f, size: 1 << 62}
	tr := tar.NewReader(pr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		offs = append(offs, pr.pos)
		names = append(names, h.Name)
	}
}

// truncatedCopy writes the first n bytes of src to dst.
func truncatedCopy(t testing.TB, src, dst string, n int64) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b[:n], 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBadData: each kind of bad data is skipped, counted, and the rest still read. The
// spec always has a good shard of 6 samples besides the bad part.
func TestBadData(t *testing.T) {
	png0 := pngOf(t, 0, 1)
	for _, c := range []struct {
		name    string
		make    func(t *testing.T, dir, good string) string // writes the bad part, returns its spec
		samples int
		want    Stats // Samples is filled in from samples
	}{
		{"missing caption", func(t *testing.T, dir, _ string) string {
			p := filepath.Join(dir, "bad.tar")
			writeTar(t, p,
				member{"k1.png", png0}, member{"k1.txt", []byte("a red circle")},
				member{"k2.png", png0},
				member{"k3.png", png0}, member{"k3.txt", []byte(" \n\t ")},
				member{"k4.png", png0}, member{"k4.json", []byte(`{"captions": [], "caption": ""}`)})
			return p
		}, 7, Stats{NoCaption: 3}},
		{"missing image", func(t *testing.T, dir, _ string) string {
			p := filepath.Join(dir, "bad.tar")
			writeTar(t, p, member{"k1.txt", []byte("lonely")}, member{"k1.json", []byte(`{}`)},
				member{"k2.png", png0}, member{"k2.txt", []byte("ok")})
			return p
		}, 7, Stats{NoImage: 1}},
		{"corrupt image", func(t *testing.T, dir, _ string) string {
			p := filepath.Join(dir, "bad.tar")
			writeTar(t, p,
				member{"k1.png", []byte("not a png at all")}, member{"k1.txt", []byte("x")},
				member{"k2.jpg", png0[:len(png0)/2]}, member{"k2.txt", []byte("half")},
				member{"k3.webp", nil}, member{"k3.txt", []byte("empty")})
			return p
		}, 6, Stats{BadImage: 3}},
		{"bad json", func(t *testing.T, dir, _ string) string {
			p := filepath.Join(dir, "bad.tar")
			writeTar(t, p,
				member{"k1.png", png0}, member{"k1.txt", []byte("kept")}, member{"k1.json", []byte(`{not json`)},
				member{"k2.png", png0}, member{"k2.json", []byte(`{"captions": 5, "caption": "from json"}`)})
			return p
		}, 8, Stats{BadMember: 1}},
		{"ignored members", func(t *testing.T, dir, _ string) string {
			var b strings.Builder
			tw := tar.NewWriter(&b)
			tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "d/", Mode: 0o755})
			tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: "d/k.png", Linkname: "x"})
			for _, m := range []member{{"d/k.cls", []byte("3")}, {"d/k.png", png0}, {"d/k.txt", []byte("in d")},
				{"d/.hidden", []byte("x")}, {"README", []byte("x")}} {
				tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: m.name, Mode: 0o644, Size: int64(len(m.data))})
				tw.Write(m.data)
			}
			tw.Close()
			p := filepath.Join(dir, "bad.tar")
			os.WriteFile(p, []byte(b.String()), 0o644)
			return p
		}, 7, Stats{}},
		{"duplicate image", func(t *testing.T, dir, _ string) string {
			p := filepath.Join(dir, "bad.tar")
			writeTar(t, p, member{"k.png", png0}, member{"k.jpg", png0}, member{"k.txt", []byte("two images")})
			return p
		}, 7, Stats{BadMember: 1}},
		{"truncated in a body", func(t *testing.T, dir, good string) string {
			// Cut inside the image of the fourth sample (member 9): three samples kept,
			// the fourth has no image.
			offs, names := memberOffsets(t, good)
			if !strings.HasSuffix(names[9], ".png") {
				t.Fatalf("member 9 is %s", names[9])
			}
			p := filepath.Join(dir, "bad.tar")
			truncatedCopy(t, good, p, offs[9]+10)
			return p
		}, 9, Stats{BadMember: 1, BadShard: 1, NoImage: 1}},
		{"truncated in a header", func(t *testing.T, dir, good string) string {
			offs, _ := memberOffsets(t, good)
			p := filepath.Join(dir, "bad.tar")
			truncatedCopy(t, good, p, offs[9]-512+100)
			return p
		}, 9, Stats{BadShard: 1}},
		{"corrupt header mid-way", func(t *testing.T, dir, good string) string {
			offs, _ := memberOffsets(t, good)
			b, _ := os.ReadFile(good)
			b[offs[6]-512+150]++ // in the checksummed header of member 6 (sample 2)
			p := filepath.Join(dir, "bad.tar")
			os.WriteFile(p, b, 0o644)
			return p
		}, 8, Stats{BadShard: 1}},
		{"missing shard", func(t *testing.T, dir, _ string) string {
			return filepath.Join(dir, "nowhere.tar")
		}, 6, Stats{BadShard: 1}},
		{"garbage named .tar", func(t *testing.T, dir, _ string) string {
			p := filepath.Join(dir, "garbage.tar")
			os.WriteFile(p, []byte(strings.Repeat("garbage!", 400)), 0o644)
			q := filepath.Join(dir, "short.tar")
			os.WriteFile(q, []byte("tiny"), 0o644)
			return p + "::" + q + "::" + dir // a directory is not a shard either
		}, 6, Stats{BadShard: 3}},
		{"csv without the columns", func(t *testing.T, dir, _ string) string {
			p := filepath.Join(dir, "list.csv")
			os.WriteFile(p, []byte("name,description\nimg.png,a cat\n"), 0o644)
			return p
		}, 6, Stats{BadShard: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			good := writeSynth(t, filepath.Join(dir, "good"), 1, 6)[0]
			spec := good + "::" + c.make(t, dir, good)
			l := mustOpen(t, spec, Options{Seed: 2, Workers: 3, ShuffleBuffer: 4, Epochs: 1})
			got := readAll(t, l)
			want := c.want
			want.Samples = int64(c.samples)
			if len(got) != c.samples || l.Stats() != want {
				t.Errorf("%d samples, stats %+v; want %d, %+v", len(got), l.Stats(), c.samples, want)
			}
			for _, s := range got {
				if s.Caption == "" || len(s.Pixels) != 3*16*16 {
					t.Errorf("%s: caption %q, %d pixels", s.Key, s.Caption, len(s.Pixels))
				}
				if s.Key == "k2" && c.name == "bad json" && s.Caption != "from json" {
					t.Errorf("k2: caption %q, want the json caption", s.Caption)
				}
				if c.name == "ignored members" && s.Source != good && s.Key != "d/k" {
					t.Errorf("key %q, want d/k", s.Key)
				}
			}
		})
	}
}

// TestFatal: the spec naming no file fails at Open; an epoch with no usable sample fails
// Next with a clear error, promptly and for good, also when looping forever.
func TestFatal(t *testing.T) {
	dir := t.TempDir()
	for _, spec := range []string{filepath.Join(dir, "*.tar"), filepath.Join(dir, "{a,b}.tar"), ""} {
		if _, err := Open(spec, Options{}); err == nil {
			t.Errorf("Open(%q) succeeded", spec)
		}
	}
	garbage := filepath.Join(dir, "garbage.tar")
	os.WriteFile(garbage, []byte(strings.Repeat("x", 2000)), 0o644)
	badImages := filepath.Join(dir, "badimg.tar")
	writeTar(t, badImages, member{"a.png", []byte("nope")}, member{"a.txt", []byte("a")},
		member{"b.png", []byte("nope")}, member{"b.txt", []byte("b")})
	noCaptions := filepath.Join(dir, "nocap.tar")
	writeTar(t, noCaptions, member{"a.png", pngOf(t, 1, 1)})
	for _, spec := range []string{garbage, badImages, noCaptions, garbage + "::" + badImages + "::" + noCaptions} {
		for _, epochs := range []int{0, 2} {
			l := mustOpen(t, spec, Options{Epochs: epochs, Workers: 2})
			done := make(chan error)
			go func() {
				_, err := l.Next()
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || err == io.EOF || !strings.Contains(err.Error(), "no samples") {
					t.Errorf("%s: Next: %v, want an error about no samples", filepath.Base(spec), err)
				}
				if _, err2 := l.Next(); err2 != err {
					t.Errorf("second Next: %v, want the same error %v", err2, err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: Next hangs on data without samples", spec)
			}
		}
	}
}
