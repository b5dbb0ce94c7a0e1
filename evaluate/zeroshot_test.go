package evaluate

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"
)

// TestZeroShot: a set whose answers are known (one red picture filed as red is drawn
// green, one file is no image) gives the known top-1, mean per class and confusion, and
// counts the unreadable file instead of failing.
func TestZeroShot(t *testing.T) {
	files := colourFiles(2, "red", "green", "blue")
	files["red/002.png"] = "green"
	files["blue/bad.png"] = "garbage"
	s, err := Load(writeFolder(t, files))
	if err != nil {
		t.Fatal(err)
	}
	m := &fakeModel{}
	feats, err := Encode(m, s, FeatureOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := ZeroShot(m, s, feats, []string{"a {} square", "{}"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Images != 7 || res.Skipped != 1 {
		t.Errorf("%d images, %d skipped; want 7 and 1", res.Images, res.Skipped)
	}
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-9 }
	if !near(res.Top1, 6.0/7) || !near(res.Top5, 1) || !near(res.MeanPerClass, (1+1+2.0/3)/3) {
		t.Errorf("top-1 %.4f, top-5 %.4f, mean per class %.4f; want %.4f, 1, %.4f", res.Top1, res.Top5, res.MeanPerClass, 6.0/7, (1+1+2.0/3)/3)
	}
	if want := []Confusion{{"red", "green", 1}}; !reflect.DeepEqual(res.Confusions, want) {
		t.Errorf("confusions %v, want %v", res.Confusions, want)
	}
	for i, it := range s.Items {
		if filepath.Base(it.Name) == "bad.png" {
			if res.Predicted[i] != "" || feats.Errs[i] == "" {
				t.Errorf("the unreadable file got prediction %q, error %q", res.Predicted[i], feats.Errs[i])
			}
		} else if res.Margin[i] <= 0 {
			t.Errorf("%s: margin %g, want > 0", it.Name, res.Margin[i])
		}
	}
}

// TestFeatureCache: features read back from the cache equal fresh ones (and the model
// is not run again); another model, or a changed image, misses the cache. Shard
// members reach a files-only encoder through temporary files.
func TestFeatureCache(t *testing.T) {
	files := colourFiles(3, "red", "blue")
	files["red/bad.png"] = "garbage"
	dir := writeFolder(t, files)
	shard := filepath.Join(t.TempDir(), "s.tar")
	writeShard(t, shard, []string{"r0", "b0", "r1"}, []string{"red", "blue", "red"})
	for _, spec := range []string{dir, shard} {
		t.Run(filepath.Base(spec), func(t *testing.T) {
			s, err := Load(spec)
			if err != nil {
				t.Fatal(err)
			}
			m := &fakeModel{}
			opt := FeatureOptions{ModelID: "model-a", CacheDir: t.TempDir()}
			fresh, err := Encode(m, s, opt)
			if err != nil {
				t.Fatal(err)
			}
			n := m.encoded
			if fresh.Cached || n == 0 {
				t.Fatalf("first run: cached %v, %d images encoded", fresh.Cached, n)
			}
			cached, err := Encode(m, s, opt)
			if err != nil {
				t.Fatal(err)
			}
			if !cached.Cached || m.encoded != n {
				t.Errorf("second run: cached %v, %d more images encoded", cached.Cached, m.encoded-n)
			}
			if !reflect.DeepEqual(cached.Vecs, fresh.Vecs) || !slices.Equal(cached.Errs, fresh.Errs) {
				t.Errorf("cached features differ from fresh ones:\n%v %q\n%v %q", cached.Vecs, cached.Errs, fresh.Vecs, fresh.Errs)
			}
			other := opt
			other.ModelID = "model-b"
			if f, _ := Encode(m, s, other); f.Cached {
				t.Error("another model's features came from the cache")
			}
		})
	}
	t.Run("changed image", func(t *testing.T) {
		s, _ := Load(dir)
		m := &fakeModel{}
		opt := FeatureOptions{ModelID: "model-a", CacheDir: t.TempDir()}
		Encode(m, s, opt)
		p := filepath.Join(dir, "red", "000.png")
		os.WriteFile(p, pngBytes(t, colours["blue"]), 0o644)
		later := time.Now().Add(time.Minute)
		os.Chtimes(p, later, later)
		s, _ = Load(dir)
		if f, _ := Encode(m, s, opt); f.Cached {
			t.Error("a changed image's set came from the cache")
		}
	})
}
