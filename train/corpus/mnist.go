package corpus

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
)

// MNIST and Fashion-MNIST come as IDX files (gzip-compressed): a magic number, the
// dimensions, then unsigned bytes. Only their test splits are read, for the
// out-of-domain benchmarks; neither is ever trained on.

// digitClasses are MNIST's classes, named as the CLIP paper's MNIST prompts name them.
var digitClasses = []classNames{
	{"0", nil}, {"1", nil}, {"2", nil}, {"3", nil}, {"4", nil},
	{"5", nil}, {"6", nil}, {"7", nil}, {"8", nil}, {"9", nil},
}

// fashionClasses are Fashion-MNIST's ten labels, with the names in each locale.
var fashionClasses = []classNames{
	{"t-shirt", map[string]string{"ko": "티셔츠", "de": "T-Shirt", "fr": "t-shirt", "es": "camiseta"}},
	{"trousers", map[string]string{"ko": "바지", "de": "Hose", "fr": "pantalon", "es": "pantalón"}},
	{"pullover", map[string]string{"ko": "풀오버", "de": "Pullover", "fr": "pull-over", "es": "jersey"}},
	{"dress", map[string]string{"ko": "드레스", "de": "Kleid", "fr": "robe", "es": "vestido"}},
	{"coat", map[string]string{"ko": "코트", "de": "Mantel", "fr": "manteau", "es": "abrigo"}},
	{"sandal", map[string]string{"ko": "샌들", "de": "Sandale", "fr": "sandale", "es": "sandalia"}},
	{"shirt", map[string]string{"ko": "셔츠", "de": "Hemd", "fr": "chemise", "es": "camisa"}},
	{"sneaker", map[string]string{"ko": "운동화", "de": "Turnschuh", "fr": "basket", "es": "zapatilla"}},
	{"bag", map[string]string{"ko": "가방", "de": "Tasche", "fr": "sac", "es": "bolso"}},
	{"ankle boot", map[string]string{"ko": "앵클 부츠", "de": "Stiefelette", "fr": "bottine", "es": "botín"}},
}

// classNames is an English class name and its translations (locale → name; a
// missing locale uses the English name).
type classNames struct {
	en    string
	other map[string]string
}

func (c classNames) all() map[string]string {
	out := map[string]string{"en": c.en}
	for _, l := range Locales[1:] {
		out[l] = c.en
		if n, ok := c.other[l]; ok {
			out[l] = n
		}
	}
	return out
}

// idxImages decodes an IDX3 file of 8-bit greyscale images.
func idxImages(data []byte) ([]*image.Gray, error) {
	b, err := gunzip(data)
	if err != nil {
		return nil, err
	}
	if len(b) < 16 || binary.BigEndian.Uint32(b) != 0x803 {
		return nil, fmt.Errorf("not an IDX image file")
	}
	n := int(binary.BigEndian.Uint32(b[4:]))
	h, w := int(binary.BigEndian.Uint32(b[8:])), int(binary.BigEndian.Uint32(b[12:]))
	if h <= 0 || w <= 0 || h > 1024 || w > 1024 || len(b) != 16+n*h*w {
		return nil, fmt.Errorf("IDX image file: bad dimensions %d×%d×%d for %d bytes", n, h, w, len(b))
	}
	out := make([]*image.Gray, n)
	for i := range out {
		img := image.NewGray(image.Rect(0, 0, w, h))
		copy(img.Pix, b[16+i*h*w:16+(i+1)*h*w])
		out[i] = img
	}
	return out, nil
}

// idxLabels decodes an IDX1 file of labels.
func idxLabels(data []byte) ([]int, error) {
	b, err := gunzip(data)
	if err != nil {
		return nil, err
	}
	if len(b) < 8 || binary.BigEndian.Uint32(b) != 0x801 {
		return nil, fmt.Errorf("not an IDX label file")
	}
	n := int(binary.BigEndian.Uint32(b[4:]))
	if len(b) != 8+n {
		return nil, fmt.Errorf("IDX label file: %d labels in %d bytes", n, len(b))
	}
	out := make([]int, n)
	for i := range out {
		out[i] = int(b[8+i])
	}
	return out, nil
}

func gunzip(data []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// digitJob is one picture of a labelled 10-class set.
type digitJob struct {
	style string
	index int // in the test split
	label int
	img   *image.Gray
}

// firstPerClass takes the first perClass images of each label, in file order: a fixed,
// class-balanced subset.
func firstPerClass(style string, imgs []*image.Gray, labels []int, perClass int) ([]digitJob, error) {
	if len(imgs) != len(labels) {
		return nil, fmt.Errorf("%s: %d images but %d labels", style, len(imgs), len(labels))
	}
	count := map[int]int{}
	var out []digitJob
	for i, l := range labels {
		if l < 0 || l > 9 {
			return nil, fmt.Errorf("%s: label %d out of range", style, l)
		}
		if count[l] < perClass {
			count[l]++
			out = append(out, digitJob{style, i, l, imgs[i]})
		}
	}
	return out, nil
}

// mnistJobs reads MNIST's test split from the GoMNIST module folder.
func mnistJobs(modDir string, perClass int) ([]digitJob, error) {
	imgs, err := os.ReadFile(filepath.Join(modDir, "data", "t10k-images-idx3-ubyte.gz"))
	if err != nil {
		return nil, err
	}
	labs, err := os.ReadFile(filepath.Join(modDir, "data", "t10k-labels-idx1-ubyte.gz"))
	if err != nil {
		return nil, err
	}
	return idxJobs("mnist", imgs, labs, perClass)
}

const fashionDir = "usr/share/datasets/fashion-mnist/"

// fashionJobs reads Fashion-MNIST's test split from the Debian package.
func fashionJobs(deb string, perClass int) ([]digitJob, error) {
	files := map[string][]byte{}
	err := readDeb(deb, func(n string) bool {
		return n == fashionDir+"t10k-images-idx3-ubyte.gz" || n == fashionDir+"t10k-labels-idx1-ubyte.gz"
	},
		func(n string, b []byte) error { files[filepath.Base(n)] = b; return nil })
	if err != nil {
		return nil, err
	}
	return idxJobs("fashion-mnist", files["t10k-images-idx3-ubyte.gz"], files["t10k-labels-idx1-ubyte.gz"], perClass)
}

func idxJobs(style string, imgData, labData []byte, perClass int) ([]digitJob, error) {
	imgs, err := idxImages(imgData)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", style, err)
	}
	labels, err := idxLabels(labData)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", style, err)
	}
	return firstPerClass(style, imgs, labels, perClass)
}
