package data

import (
	"archive/tar"
	"bytes"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/train/data/synth"
)

// testImage is the preprocessing of the tests: small, so they run fast.
var testImage = imageproc.DefaultConfig(16)

func writeSynth(t testing.TB, dir string, shards, per int) []string {
	t.Helper()
	paths, err := synth.Write(dir, synth.Options{Shards: shards, PerShard: per, Size: 24, Seed: 1, Captions: 3})
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

func mustOpen(t testing.TB, spec string, opt Options) *Loader {
	t.Helper()
	if opt.Image == (imageproc.Config{}) {
		opt.Image = testImage
	}
	l, err := Open(spec, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// readAll reads until io.EOF, failing on any other error.
func readAll(t testing.TB, l *Loader) []Sample {
	t.Helper()
	var out []Sample
	for {
		s, err := l.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("after %d samples: %v", len(out), err)
		}
		out = append(out, s)
	}
}

func readN(t testing.TB, l *Loader, n int) []Sample {
	t.Helper()
	out, err := l.Batch(n)
	if err != nil || len(out) != n {
		t.Fatalf("Batch(%d): %d samples, %v", n, len(out), err)
	}
	return out
}

// sameSamples fails unless a and b are the same samples: keys, captions, positions and
// pixels.
func sameSamples(t testing.TB, what string, a, b []Sample) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d samples vs %d", what, len(a), len(b))
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Key != y.Key || x.Source != y.Source || x.Caption != y.Caption || x.Lang != y.Lang ||
			x.Epoch != y.Epoch || x.Index != y.Index || !slices.Equal(x.Pixels, y.Pixels) {
			t.Fatalf("%s: sample %d differs: %s %q epoch %d index %d vs %s %q epoch %d index %d (pixels equal: %v)",
				what, i, x.Key, x.Caption, x.Epoch, x.Index, y.Key, y.Caption, y.Epoch, y.Index, slices.Equal(x.Pixels, y.Pixels))
		}
	}
}

func keys(ss []Sample) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Key)
	}
	return out
}

// classOf is the synth class of a sample written by writeSynth.
func classOf(t testing.TB, key string) int {
	n, err := strconv.Atoi(filepath.Base(key))
	if err != nil {
		t.Fatalf("key %q: %v", key, err)
	}
	return n % synth.NumClasses
}

type member struct {
	name string
	data []byte
}

func writeTar(t testing.TB, path string, members ...member) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range members {
		if err := synth.WriteMember(tw, m.name, m.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func pngOf(t testing.TB, class int, seed uint64) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, synth.Draw(class, 24, seed)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestReadShards reads three synthetic shards for one epoch: every sample once, with
// one of its class's captions, the right number of pixels equal to preprocessing the
// picture, then io.EOF.
func TestReadShards(t *testing.T) {
	dir := t.TempDir()
	writeSynth(t, dir, 3, 10)
	l := mustOpen(t, filepath.Join(dir, "{000000..000002}.tar"), Options{Seed: 3, Workers: 2, Epochs: 1, ShuffleBuffer: 8})
	got := readAll(t, l)
	if len(got) != 30 {
		t.Fatalf("%d samples, want 30", len(got))
	}
	seen := map[string]bool{}
	for i, s := range got {
		if seen[s.Key] {
			t.Errorf("key %s twice", s.Key)
		}
		seen[s.Key] = true
		if !slices.Contains(synth.Captions(classOf(t, s.Key)), s.Caption) {
			t.Errorf("%s: caption %q is not one of its class's", s.Key, s.Caption)
		}
		if len(s.Pixels) != 3*16*16 || s.Epoch != 0 || s.Index != int64(i) {
			t.Errorf("%s: %d pixels, epoch %d, index %d", s.Key, len(s.Pixels), s.Epoch, s.Index)
		}
		n, _ := strconv.Atoi(s.Key)
		if want := filepath.Join(dir, fmt.Sprintf("%06d.tar", n/10)); s.Source != want {
			t.Errorf("%s: source %s, want %s", s.Key, s.Source, want)
		}
	}
	if slices.IsSorted(keys(got)) {
		t.Error("samples come in file order: not shuffled")
	}
	// Pixels are Preprocess of the decoded picture, without augmentation.
	for _, s := range got[:3] {
		img, err := imageproc.DecodeBytes(memberData(t, s.Source, s.Key+".png"))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(s.Pixels, testImage.Preprocess(img)) {
			t.Errorf("%s: pixels are not Preprocess of its image", s.Key)
		}
	}
	if st := l.Stats(); st != (Stats{Samples: 30}) {
		t.Errorf("stats %+v", st)
	}
	if l.Epoch() != 1 {
		t.Errorf("epoch %d after one epoch, want 1", l.Epoch())
	}
	if _, err := l.Next(); err != io.EOF {
		t.Errorf("Next after the last epoch: %v, want io.EOF again", err)
	}
}

// memberData is the body of the named member of a tar file.
func memberData(t testing.TB, file, name string) []byte {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s: member %s: %v", file, name, err)
		}
		if h.Name == name {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}
