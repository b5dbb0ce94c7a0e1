// Package synth writes small synthetic image–text datasets for tests and demos: pictures
// of simple shapes (circle, square, triangle, cross) in a few colours (red, green, blue,
// yellow) on a white background, captioned "a red circle", "a photo of a blue square",
// and so on. The classes (colour × shape) are easy to tell apart by eye, so a tiny CLIP
// trained on them can be checked for having learnt something.
//
// Shards are WebDataset tar files laid out as img2dataset writes them: for each sample
// {key}.png (or .jpg), {key}.txt with one caption and {key}.json with metadata and,
// optionally, several phrasings under "captions". Everything is deterministic for a
// seed: the same arguments write the same bytes.
package synth

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/clip-go/clip/internal/splitmix"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The palette and the shapes: classes are every colour with every shape.
var (
	colours = []struct {
		name string
		rgb  [3]uint8
	}{
		{"red", [3]uint8{215, 35, 35}},
		{"green", [3]uint8{30, 165, 55}},
		{"blue", [3]uint8{35, 65, 215}},
		{"yellow", [3]uint8{235, 195, 25}},
	}
	shapes = []string{"circle", "square", "triangle", "cross"}
)

// templates are the caption phrasings; {} is the class name ("red circle").
var templates = []string{
	"a {}",
	"a photo of a {}",
	"a {} on white",
	"a drawing of a {}",
	"a picture of a {}",
	"a simple {} shape",
}

// NumClasses is the number of classes, len(Classes()): 4 colours × 4 shapes.
const NumClasses = 16

// Classes returns the class names, "red circle", "red square", ..., colour-major: class
// i has colour i/4 and shape i%4.
func Classes() []string {
	out := make([]string, 0, NumClasses)
	for _, c := range colours {
		for _, s := range shapes {
			out = append(out, c.name+" "+s)
		}
	}
	return out
}

// Colours and Shapes return the colour and shape names, in class order.
func Colours() []string {
	out := make([]string, len(colours))
	for i, c := range colours {
		out[i] = c.name
	}
	return out
}

func Shapes() []string { return append([]string(nil), shapes...) }

// Captions returns every phrasing of class's caption ("a red circle", "a photo of a red
// circle", ...); nil if class is out of range.
func Captions(class int) []string {
	if class < 0 || class >= NumClasses {
		return nil
	}
	name := Classes()[class]
	out := make([]string, len(templates))
	for i, t := range templates {
		out[i] = strings.ReplaceAll(t, "{}", name)
	}
	return out
}

func newRNG(seed uint64, keys ...uint64) *splitmix.RNG { return splitmix.New(seed, keys...) }

// Draw renders class (0..NumClasses-1) as a size×size opaque image: the coloured shape on
// white, its centre jittered by up to a tenth of the side, its radius between 0.28 and
// 0.38 of the side, its colour by up to ±12 per channel. The same (class, size, seed)
// always gives the same pixels. Out-of-range classes and sizes below 1 give a blank
// (white) image of at least 1×1.
func Draw(class, size int, seed uint64) *image.NRGBA {
	size = max(size, 1)
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	if class < 0 || class >= NumClasses {
		return img
	}
	r := newRNG(seed, uint64(class), uint64(size))
	s := float64(size)
	cx := s/2 + (2*r.Float64()-1)*0.1*s
	cy := s/2 + (2*r.Float64()-1)*0.1*s
	rad := (0.28 + 0.10*r.Float64()) * s
	var col color.NRGBA
	base := colours[class/len(shapes)].rgb
	for i, p := range []*uint8{&col.R, &col.G, &col.B} {
		*p = uint8(min(max(int(base[i])+r.IntN(25)-12, 0), 255))
	}
	col.A = 255
	inside := shapeFunc(shapes[class%len(shapes)])
	for y := range size {
		for x := range size {
			// Pixel centres, relative to the shape's centre, in units of its radius.
			dx := (float64(x) + 0.5 - cx) / rad
			dy := (float64(y) + 0.5 - cy) / rad
			if inside(dx, dy) {
				img.SetNRGBA(x, y, col)
			}
		}
	}
	return img
}

// shapeFunc reports whether a point (in units of the radius, from the centre, y down)
// is inside the named shape.
func shapeFunc(name string) func(x, y float64) bool {
	switch name {
	case "circle":
		return func(x, y float64) bool { return x*x+y*y <= 1 }
	case "square":
		return func(x, y float64) bool { return math.Abs(x) <= 0.85 && math.Abs(y) <= 0.85 }
	case "triangle": // apex up
		ax, ay, bx, by, cx, cy := 0.0, -1.0, -0.95, 0.8, 0.95, 0.8
		return func(x, y float64) bool {
			d1 := (x-bx)*(ay-by) - (ax-bx)*(y-by)
			d2 := (x-cx)*(by-cy) - (bx-cx)*(y-cy)
			d3 := (x-ax)*(cy-ay) - (cx-ax)*(y-ay)
			neg := d1 < 0 || d2 < 0 || d3 < 0
			pos := d1 > 0 || d2 > 0 || d3 > 0
			return !(neg && pos)
		}
	default: // cross: a plus sign
		const arm = 0.3
		return func(x, y float64) bool {
			ax, ay := math.Abs(x), math.Abs(y)
			return (ax <= arm && ay <= 1) || (ay <= arm && ax <= 1)
		}
	}
}

// Options describe a synthetic dataset.
type Options struct {
	Shards, PerShard int    // number of shard files, samples per shard
	Size             int    // image side in pixels (default 48)
	Seed             uint64 // everything random derives from it
	// Captions is how many distinct phrasings go into each sample's .json "captions"
	// array; 0 or 1 writes none (the .txt caption only).
	Captions int
	// JPEG writes .jpg images (quality 90) instead of .png.
	JPEG bool
	// Prefix is the shard file name before its six-digit number (default "").
	Prefix string
}

// meta is the .json member, with img2dataset's fields plus the class.
type meta struct {
	Key      string   `json:"key"`
	Caption  string   `json:"caption"`
	Captions []string `json:"captions,omitempty"`
	Class    string   `json:"class"`
	Label    int      `json:"label"`
	Width    int      `json:"width"`
	Height   int      `json:"height"`
	Status   string   `json:"status"`
}

// SampleKey is the key of sample i of shard s, as Write names it: the sample's global
// index, nine digits.
func SampleKey(o Options, s, i int) string { return fmt.Sprintf("%09d", s*o.PerShard+i) }

// ClassOf is the class of sample i of shard s: global index modulo NumClasses, so every
// class is equally frequent.
func ClassOf(o Options, s, i int) int { return (s*o.PerShard + i) % NumClasses }

// Write writes o.Shards tar shards named dir/{Prefix}000000.tar, ... and returns their
// paths in order. dir is created if needed.
func Write(dir string, o Options) ([]string, error) {
	if o.Shards < 0 || o.PerShard < 0 {
		return nil, errors.New("synth: negative shard or sample count")
	}
	if o.Size == 0 {
		o.Size = 48
	}
	if o.Size < 1 || o.Size > 4096 {
		return nil, fmt.Errorf("synth: image size %d out of range 1..4096", o.Size)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	for s := range o.Shards {
		path := filepath.Join(dir, fmt.Sprintf("%s%06d.tar", o.Prefix, s))
		if err := writeShard(path, o, s); err != nil {
			return nil, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// WriteShards is Write with PNG images and three phrasings per sample in "captions".
func WriteShards(dir string, numShards, perShard, size int, seed uint64) ([]string, error) {
	return Write(dir, Options{Shards: numShards, PerShard: perShard, Size: size, Seed: seed, Captions: 3})
}

func writeShard(path string, o Options, s int) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := Classes()
	for i := range o.PerShard {
		key := SampleKey(o, s, i)
		class := ClassOf(o, s, i)
		r := newRNG(o.Seed, 1, uint64(s), uint64(i))
		img := Draw(class, o.Size, r.Uint64())
		caps := Captions(class)
		first := r.IntN(len(caps))
		m := meta{Key: key, Caption: caps[first], Class: names[class], Label: class,
			Width: o.Size, Height: o.Size, Status: "success"}
		if n := min(o.Captions, len(caps)); n > 1 {
			// n distinct phrasings, starting with the .txt one.
			m.Captions = []string{caps[first]}
			for len(m.Captions) < n {
				if c := caps[r.IntN(len(caps))]; !slices.Contains(m.Captions, c) {
					m.Captions = append(m.Captions, c)
				}
			}
		}
		var enc bytes.Buffer
		ext := "png"
		if o.JPEG {
			ext = "jpg"
			if err := jpeg.Encode(&enc, img, &jpeg.Options{Quality: 90}); err != nil {
				return err
			}
		} else if err := png.Encode(&enc, img); err != nil {
			return err
		}
		js, err := json.Marshal(m)
		if err != nil {
			return err
		}
		for _, mem := range []struct {
			name string
			data []byte
		}{{key + "." + ext, enc.Bytes()}, {key + ".txt", []byte(m.Caption)}, {key + ".json", js}} {
			if err := WriteMember(tw, mem.name, mem.data); err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// WriteMember writes one regular file into a tar with fixed metadata (mode 0644, time
// zero, no owner), so archives are byte-for-byte reproducible. Tests use it to build
// shards by hand.
func WriteMember(tw *tar.Writer, name string, data []byte) error {
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     name,
		Mode:     0o644,
		Size:     int64(len(data)),
		ModTime:  time.Unix(0, 0),
		Format:   tar.FormatUSTAR,
	}
	if len(name) > 100 { // USTAR's limit on a plain name; PAX holds any
		hdr.Format = tar.FormatPAX
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

// EvalImage is one picture of a labelled evaluation folder.
type EvalImage struct {
	Path  string // the PNG file
	Class int    // index into Classes()
	Label string // Classes()[Class]
}

// WriteEvalFolder writes perClass PNG images of every class under dir, one folder per
// class named after it with an underscore for the space (dir/red_circle/000.png, ...),
// drawn with seeds unlike any of Write's for the same seed, and returns them in class
// order.
func WriteEvalFolder(dir string, perClass, size int, seed uint64) ([]EvalImage, error) {
	if size < 1 || size > 4096 {
		return nil, fmt.Errorf("synth: image size %d out of range 1..4096", size)
	}
	var out []EvalImage
	for c, name := range Classes() {
		sub := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return nil, err
		}
		for i := range perClass {
			var enc bytes.Buffer
			if err := png.Encode(&enc, Draw(c, size, newRNG(seed, 2, uint64(c), uint64(i)).Uint64())); err != nil {
				return nil, err
			}
			path := filepath.Join(sub, fmt.Sprintf("%03d.png", i))
			if err := os.WriteFile(path, enc.Bytes(), 0o644); err != nil {
				return nil, err
			}
			out = append(out, EvalImage{Path: path, Class: c, Label: name})
		}
	}
	return out, nil
}
