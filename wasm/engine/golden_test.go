package engine_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clip-go/clip/model/zeroshot"
	"github.com/clip-go/clip/wasm/engine"
	"github.com/clip-go/clip/wasm/quanttest"
)

// goldenBits are the SHA-256 digests TestSameBitsEverywhere expects, by weight width: the
// quantized file, then the embeddings (texts, pixels, then pictures) with a classifier's
// logits for each.
var goldenBits = map[int][2]string{
	8: {"d8b9595c2d8c09bfe4b076564b4b6180ee2b65454461690bce621eeeaab17a70", "d85647178953feb7ca61b2ba4ccbffcea9936f1bf6bfe4ee4bd89977bcbdbda5"},
	4: {"79f8baa6d1f88bdea3a3f0cea68373d2ab6c56d604968d65d78683e8386dcf7b", "29903e9979bc52a06132d49b0a4d19f635f9e036b58167f88a19eecce8c4e51d"},
}

// TestSameBitsEverywhere: a model built from exactly representable numbers gives the same
// file and the same embedding bits on every platform and kernel: amd64 with each kernel
// its CPU runs, arm64 under QEMU (make test-arm64), WebAssembly in Node (wasm/wasmtest).
// The per-platform tests compare each kernel with the portable one built by the same
// compiler; this catches what they cannot: Go may fuse a multiply and an add into one
// instruction where no explicit conversion rounds the product (FMADD on arm64, where it
// does; not on amd64), which changes the last bits of the portable code itself.
func TestSameBitsEverywhere(t *testing.T) {
	texts := []string{"a photo of a dog.", "an emoji of a grinning face", "x"}
	rng := rand.New(rand.NewPCG(3, 5))
	const images = 3
	pixels := make([]float32, images*3*32*32)
	for i := range pixels {
		pixels[i] = float32(int32(rng.Uint32()>>22)-512) / 256 // ±2, exact
	}
	pngs := [][]byte{exactPNG(t, 40, 32, 1), exactPNG(t, 32, 50, 2), exactPNG(t, 97, 64, 3)}
	for _, bits := range []int{8, 4} {
		data := quanttest.ExactModel(t, quanttest.TinyConfig, bits, 32, 1)
		file := fmt.Sprintf("%x", sha256.Sum256(data))
		for _, opt := range append([]engine.Options{{Portable: true, Workers: 1}}, kernelOptions()...) {
			m := load(t, data, opt)
			tf, err := m.EncodeTexts(texts, false)
			if err != nil {
				t.Fatal(err)
			}
			imf, err := m.EncodePixels(pixels, images)
			if err != nil {
				t.Fatal(err)
			}
			// Pictures through the preprocessing (decode, resize, crop, normalise).
			pf, errs, err := m.EncodeImages(pngs)
			if err != nil {
				t.Fatal(err)
			}
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			// And a classifier's logits: the prompts' embeddings ensembled, the scaled
			// cosines. (Not the probabilities: their softmax calls math.Exp, which is
			// assembly on amd64 and arm64, with FMA on amd64, and Go elsewhere, so its
			// last bit may differ between platforms.)
			clf, err := m.Classifier([]string{"dog", "grinning face", "tram"}, []string{"a photo of a {}.", "art of the {}."}, false)
			if err != nil {
				t.Fatal(err)
			}
			h := sha256.New()
			for _, f := range append(append(tf, imf...), pf...) {
				for _, v := range f {
					h.Write(binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)))
				}
				for _, l := range zeroshot.CosineLogits([][]float32{f}, clf.Weights, clf.Scale)[0] {
					h.Write(binary.LittleEndian.AppendUint32(nil, math.Float32bits(l)))
				}
			}
			emb := fmt.Sprintf("%x", h.Sum(nil))
			if want := goldenBits[bits]; file != want[0] || emb != want[1] {
				t.Errorf("int%d, kernel %s: file %s, embeddings %s; want %s, %s", bits, m.Kernel(), file, emb, want[0], want[1])
			}
		}
	}
}

// kernelOptions are the options of every kernel this platform runs, on 2 workers.
func kernelOptions() []engine.Options {
	var opts []engine.Options
	for _, k := range engine.Kernels() {
		opts = append(opts, engine.Options{Kernel: k, Workers: 2})
	}
	return opts
}

// exactPNG is a w×h picture of integer gradients and noise as PNG bytes: the same pixels
// on every platform (quanttest.PNG draws with math.Sin).
func exactPNG(t *testing.T, w, h int, seed uint64) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 13))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			n := uint8(rng.Uint32() >> 28)
			img.Set(x, y, color.NRGBA{uint8(x*255/w) ^ n, uint8(y*255/h) + n, uint8((x+y)*7) | n, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
