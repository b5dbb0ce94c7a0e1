package evaluate

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clip-go/clip/model/imageproc"
)

// colours are the classes of the generated sets: a picture of a class is a solid square
// of its colour, and the fake model below sees exactly that colour.
var colours = map[string]color.RGBA{
	"red":   {220, 20, 20, 255},
	"green": {20, 220, 20, 255},
	"blue":  {20, 20, 220, 255},
}

func pngBytes(t *testing.T, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// writeFolder writes a class-per-folder set: files maps "class/name.png" to the colour
// drawn in it (a colour name), or to "garbage" for a file that is no image.
func writeFolder(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, c := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		body := []byte("not an image")
		if c != "garbage" {
			body = pngBytes(t, colours[c])
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// writeShard writes a WebDataset shard of samples (key → class colour), labelled in
// their JSON as clip data build labels its held-out shards.
func writeShard(t *testing.T, path string, keys []string, classes []string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	add := func(name string, body []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
	}
	for i, k := range keys {
		add(k+".png", pngBytes(t, colours[classes[i]]))
		meta, _ := json.Marshal(map[string]any{"key": k, "class": classes[i], "name": "ignored: class comes first"})
		add(k+".json", meta)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// fakeModel is an Encoder whose image feature is the picture's mean colour and whose
// text feature of a prompt is the colour its words name: zero-shot answers are known.
// It counts the images it encodes, so tests can see the cache at work.
type fakeModel struct{ encoded int }

func (m *fakeModel) EncodeImageFiles(paths []string) ([][]float32, []error, error) {
	feats := make([][]float32, len(paths))
	errs := make([]error, len(paths))
	for i, p := range paths {
		img, err := imageproc.DecodeFile(p)
		if err != nil {
			errs[i] = err
			continue
		}
		m.encoded++
		r, g, b, _ := img.At(0, 0).RGBA()
		feats[i] = []float32{float32(r) / 65535, float32(g) / 65535, float32(b) / 65535}
	}
	return feats, errs, nil
}

func (m *fakeModel) EncodeTexts(texts []string, _ bool) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = []float32{0.01, 0.01, 0.01}
		for name, c := range colours {
			if strings.Contains(t, name) {
				out[i] = []float32{float32(c.R) / 255, float32(c.G) / 255, float32(c.B) / 255}
			}
		}
	}
	return out, nil
}

func (m *fakeModel) LogitScaleValue() (float64, error) { return 100, nil }

// colourFiles is n pictures of each class, drawn in the class's colour.
func colourFiles(n int, classes ...string) map[string]string {
	files := map[string]string{}
	for _, c := range classes {
		for i := range n {
			files[fmt.Sprintf("%s/%03d.png", c, i)] = c
		}
	}
	return files
}
