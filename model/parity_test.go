package model

import (
	"math"
	"testing"

	"github.com/clip-go/clip/internal/fixtures"
	"github.com/clip-go/clip/model/zeroshot"
	"github.com/clip-go/clip/weights"
)

// reference holds the outputs of the original PyTorch implementation on openai-tiny.
type reference struct {
	pixels                []float32
	numImages             int
	ids                   [][]int
	imageFeats, textFeats [][]float32
	logits                [][]float32
}

func loadReference(t *testing.T) reference {
	t.Helper()
	f, err := weights.ReadFile(fixtures.Path(t, "openai-tiny", "expected.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	rows := func(name string) [][]float32 {
		tt := f.Tensors[name]
		v, err := tt.Float32s()
		if err != nil {
			t.Fatal(err)
		}
		out := make([][]float32, tt.Shape[0])
		w := len(v) / tt.Shape[0]
		for i := range out {
			out[i] = v[i*w : (i+1)*w]
		}
		return out
	}
	var r reference
	r.pixels, _ = f.Tensors["pixel_values"].Float32s()
	r.numImages = f.Tensors["pixel_values"].Shape[0]
	ids64, _ := f.Tensors["input_ids"].Int64s()
	ctx := f.Tensors["input_ids"].Shape[1]
	for i := 0; i < len(ids64)/ctx; i++ {
		row := make([]int, ctx)
		for j := range row {
			row[j] = int(ids64[i*ctx+j])
		}
		r.ids = append(r.ids, row)
	}
	r.imageFeats, r.textFeats, r.logits = rows("image_features"), rows("text_features"), rows("logits_per_image")
	return r
}

// relErr is max|got-want| / max|want|.
func relErr(got, want [][]float32) float64 {
	var diff, scale float64
	for i := range want {
		for j := range want[i] {
			diff = math.Max(diff, math.Abs(float64(got[i][j]-want[i][j])))
			scale = math.Max(scale, math.Abs(float64(want[i][j])))
		}
	}
	return diff / scale
}

func loadTiny(t *testing.T, file string) *Model {
	t.Helper()
	cfg, params, err := LoadWeights(fixtures.Path(t, "openai-tiny", file))
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(b, cfg, params)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParityWithReference(t *testing.T) {
	ref := loadReference(t)
	for _, file := range []string{"hf.safetensors", "openai.safetensors"} {
		t.Run(file, func(t *testing.T) {
			m := loadTiny(t, file)
			txt, err := m.EncodeTokens(ref.ids)
			if err != nil {
				t.Fatal(err)
			}
			if e := relErr(txt, ref.textFeats); e > 1e-4 {
				t.Errorf("text features: relative error %.2e > 1e-4", e)
			} else {
				t.Logf("text features: relative error %.2e", e)
			}
			img, err := m.EncodePixels(ref.pixels, ref.numImages)
			if err != nil {
				t.Fatal(err)
			}
			if e := relErr(img, ref.imageFeats); e > 1e-4 {
				t.Errorf("image features: relative error %.2e > 1e-4", e)
			} else {
				t.Logf("image features: relative error %.2e", e)
			}
			scale, err := m.LogitScaleValue()
			if err != nil {
				t.Fatal(err)
			}
			logits := zeroshot.CosineLogits(img, txt, scale)
			if e := relErr(logits, ref.logits); e > 1e-3 {
				t.Errorf("logits_per_image: relative error %.2e > 1e-3", e)
			} else {
				t.Logf("logits_per_image: relative error %.2e", e)
			}
		})
	}
}
