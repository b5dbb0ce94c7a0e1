package imageproc

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/fixtures"
	"github.com/clip-go/clip/weights"
)

// TestReferenceParity compares against the reference transform's output (torchvision
// Resize(32, BICUBIC) on PIL, CenterCrop(32), ToTensor, Normalize) for three images: a
// square one (no resize), a landscape and a portrait one (both passes, both crops).
func TestReferenceParity(t *testing.T) {
	f, err := weights.ReadFile(fixtures.Path(t, "openai-tiny", "expected.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	tensor := f.Tensors["pixel_values"]
	if tensor == nil {
		t.Fatal("expected.safetensors has no pixel_values")
	}
	want, err := tensor.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	const size = 32
	if fmt.Sprint(tensor.Shape) != "[3 3 32 32]" {
		t.Fatalf("pixel_values shape %v, want [3 3 32 32]", tensor.Shape)
	}
	cfg := DefaultConfig(size)
	per := 3 * size * size
	worst := 0.0
	for i, name := range []string{"image0.png", "image1.png", "image2.png"} {
		got, err := cfg.Load(fixtures.Path(t, "openai-tiny", name))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != per {
			t.Fatalf("%s: %d values, want %d", name, len(got), per)
		}
		maxDiff, at := 0.0, 0
		for j, g := range got {
			if d := math.Abs(float64(g - want[i*per+j])); d > maxDiff {
				maxDiff, at = d, j
			}
		}
		worst = max(worst, maxDiff)
		if maxDiff >= 1e-5 {
			t.Errorf("%s: max abs diff %g at channel %d y %d x %d (got %g, want %g)", name, maxDiff,
				at/(size*size), at/size%size, at%size, got[at], want[i*per+at])
		}
	}
	t.Logf("max abs diff vs reference: %g", worst)
}

// TestResizedSizeAndCrop checks torchvision's size arithmetic: truncation of the long
// side and round-half-to-even of the crop offset.
func TestResizedSizeAndCrop(t *testing.T) {
	for _, c := range []struct {
		w, h, size   int
		wantW, wantH int
	}{
		{640, 480, 224, 298, 224}, // 224*640/480 = 298.67, truncated
		{480, 640, 224, 224, 298},
		{64, 48, 32, 42, 32},
		{45, 90, 32, 32, 64},
		{32, 32, 32, 32, 32},
		{1, 1000, 224, 224, 224000},
		{3, 2, 224, 336, 224},
	} {
		if w, h := resizedSize(c.w, c.h, c.size); w != c.wantW || h != c.wantH {
			t.Errorf("resizedSize(%d, %d, %d) = %dx%d, want %dx%d", c.w, c.h, c.size, w, h, c.wantW, c.wantH)
		}
	}
	for _, c := range []struct{ n, size, want int }{
		{42, 32, 5}, // 5.0
		{33, 32, 0}, // round(0.5) = 0
		{35, 32, 2}, // round(1.5) = 2
		{37, 32, 2}, // round(2.5) = 2
		{298, 224, 37},
		{32, 32, 0},
		{30, 32, -1}, // padded by 1 before
		{29, 32, -1}, // padded by (32-29)//2 = 1 before, 2 after
	} {
		if got := cropOffset(c.n, c.size); got != c.want {
			t.Errorf("cropOffset(%d, %d) = %d, want %d", c.n, c.size, got, c.want)
		}
	}
}

// TestPreprocessLayout checks CHW order, the normalisation and the default constants on
// a solid-colour image.
func TestPreprocessLayout(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 50, 30))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = 255, 128, 0, 255
	}
	for _, c := range []Config{DefaultConfig(8), {Size: 5, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.5, 0.25, 1}}} {
		got := c.Preprocess(img)
		if len(got) != 3*c.Size*c.Size {
			t.Fatalf("size %d: %d values", c.Size, len(got))
		}
		for ch, v := range []uint8{255, 128, 0} {
			want := (float32(v)/255 - c.Mean[ch]) / c.Std[ch]
			plane := got[ch*c.Size*c.Size : (ch+1)*c.Size*c.Size]
			for i, g := range plane {
				if g != want {
					t.Fatalf("config %+v channel %d value %d = %g, want %g", c, ch, i, g, want)
				}
			}
		}
	}
}

// TestPreprocessCropsCentre checks that the crop comes from the middle of a long image:
// a 500x100 image, black but for a white band over x 150..350, resizes to 100x20 and
// crops output x 40..60, that is input x 200..300; the kernel reaches 2*5 = 10 input
// pixels either side, well inside the band, so all of the crop is white.
func TestPreprocessCropsCentre(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 500, 100))
	for y := range 100 {
		for x := 150; x < 350; x++ {
			img.SetGray(x, y, color.Gray{255})
		}
	}
	c := Config{Size: 20, Mean: [3]float32{}, Std: [3]float32{1, 1, 1}}
	for i, v := range c.Preprocess(img) {
		if v != 1 {
			t.Fatalf("value %d = %g, want 1 (white)", i, v)
		}
	}
}

func TestPreprocessEmptyImage(t *testing.T) {
	got := DefaultConfig(4).Preprocess(image.NewRGBA(image.Rect(0, 0, 0, 0)))
	if want := -CLIPMean[0] / CLIPStd[0]; got[0] != want {
		t.Errorf("empty image: first value %g, want normalised black %g", got[0], want)
	}
}

func TestConfigValidate(t *testing.T) {
	good := DefaultConfig(224)
	for _, c := range []struct {
		name string
		cfg  Config
		want string // "" for valid
	}{
		{"default", good, ""},
		{"zero size", Config{Size: 0, Mean: CLIPMean, Std: CLIPStd}, "out of range"},
		{"huge size", Config{Size: 1 << 20, Mean: CLIPMean, Std: CLIPStd}, "out of range"},
		{"zero std", Config{Size: 224, Mean: CLIPMean}, "std"},
		{"negative std", Config{Size: 224, Mean: CLIPMean, Std: [3]float32{1, -1, 1}}, "std"},
		{"nan mean", Config{Size: 224, Mean: [3]float32{float32(math.NaN())}, Std: CLIPStd}, "mean"},
		{"inf std", Config{Size: 224, Mean: CLIPMean, Std: [3]float32{1, float32(math.Inf(1)), 1}}, "std"},
	} {
		err := c.cfg.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	if _, err := (Config{}).Load("whatever.png"); err == nil {
		t.Error("Load with a zero Config succeeded")
	}
}

func TestLoadNamesFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "notes.png")
	if err := os.WriteFile(bad, []byte("just text"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{bad, filepath.Join(dir, "missing.png")} {
		_, err := DefaultConfig(224).Load(path)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("Load(%s): error %v, want one naming the file", path, err)
		}
	}
}

func BenchmarkPreprocess(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	c := DefaultConfig(224)
	b.ReportAllocs()
	for b.Loop() {
		c.Preprocess(img)
	}
}
