package weights

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes/bfloat16"
)

// writerCase is a small model: matrices at 8 and 4 bits (one with rows that do not fill
// their last block, one of rank 3, one with a zero row), a vector and a scalar.
func writerCase(rng *rand.Rand, dtype DType) (specs []QuantSpec, src map[string]*Tensor) {
	specs = []QuantSpec{
		{"a.weight", []int{5, 24}, 8}, {"b.weight", []int{3, 2, 8}, 4}, {"c.weight", []int{7, 13}, 8},
		{"d.weight", []int{4, 40}, 4}, {"e.bias", []int{6}, 0}, {"scale", []int{}, 0},
	}
	src = map[string]*Tensor{}
	for _, sp := range specs {
		n := 1
		for _, d := range sp.Shape {
			n *= d
		}
		vals := make([]float32, n)
		for i := range vals {
			vals[i] = float32(rng.NormFloat64())
		}
		if sp.Name == "c.weight" {
			clear(vals[13:26]) // a zero row: scale 0
		}
		t := &Tensor{DType: dtype, Shape: sp.Shape}
		switch dtype {
		case F32:
			t = FromFloat32s(sp.Shape, vals)
		case F16:
			t = FromFloat16s(sp.Shape, vals)
		case BF16:
			for _, v := range vals {
				u := uint16(bfloat16.FromFloat32(v))
				t.Data = append(t.Data, byte(u), byte(u>>8))
			}
		}
		src[sp.Name] = t
	}
	return specs, src
}

func newCaseFile() *QuantFile {
	return &QuantFile{Bits: 4, Block: 8, Config: []byte(`{"a":1}`), Preprocessor: []byte(`{"size":8}`),
		Vocab: []byte(`{"x":0}`), Merges: []byte("#version: 0.2\na b\n")}
}

// TestQuantWriterMatchesWrite: fed whole or in random pieces, in any tensor order, the
// writer's file is byte-for-byte what QuantizeTensor, QuantFile.File and Write make of
// the same tensors, for F32, F16 and BF16 sources.
func TestQuantWriterMatchesWrite(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, dtype := range []DType{F32, F16, BF16} {
		specs, src := writerCase(rng, dtype)
		ref := newCaseFile()
		ref.Quant, ref.Float = map[string]*QTensor{}, map[string]*Tensor{}
		for _, sp := range specs {
			if sp.Bits == 0 {
				v, _ := src[sp.Name].Float32s()
				ref.Float[sp.Name] = FromFloat32s(sp.Shape, v)
				continue
			}
			q, err := QuantizeTensor(src[sp.Name], sp.Bits, ref.Block)
			if err != nil {
				t.Fatal(err)
			}
			ref.Quant[sp.Name] = q
		}
		want, _ := quantBytes(t, ref)
		for _, maxPiece := range []int{0, 1, 5, 64} { // 0: whole tensors
			qf := newCaseFile()
			w, err := NewQuantWriter(qf, specs, nil)
			if err != nil {
				t.Fatal(err)
			}
			if w.Size() != int64(len(want)) {
				t.Fatalf("planned %d bytes, want %d", w.Size(), len(want))
			}
			for _, i := range rng.Perm(len(specs)) {
				name := specs[i].Name
				data := src[name].Data
				for len(data) > 0 {
					k := len(data)
					if maxPiece > 0 {
						k = min(k, 1+rng.IntN(maxPiece))
					}
					if err := w.Feed(name, data[:k], dtype); err != nil {
						t.Fatal(err)
					}
					data = data[k:]
				}
			}
			got, err := w.Finish()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s, pieces up to %d: the writer's file differs from Write's", dtype, maxPiece)
			}
			if qf.Checksum != ref.Checksum {
				t.Errorf("checksum %s, want %s", qf.Checksum, ref.Checksum)
			}
			if _, err := ParseQuant(got); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestQuantWriterErrors: a tensor fed short, too long, in two dtypes, or unknown; a
// non-finite value; a file over the size limit.
func TestQuantWriterErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	specs, src := writerCase(rng, F32)
	newWriter := func() *QuantWriter {
		w, err := NewQuantWriter(newCaseFile(), specs, nil)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	feedAll := func(w *QuantWriter, skip string) {
		for _, sp := range specs {
			if sp.Name != skip {
				if err := w.Feed(sp.Name, src[sp.Name].Data, F32); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	w := newWriter()
	feedAll(w, "c.weight")
	w.Feed("c.weight", src["c.weight"].Data[:120], F32) // 30 values: two whole rows of 13
	if _, err := w.Finish(); err == nil || !strings.Contains(err.Error(), `"c.weight": 26 of its 91 values`) {
		t.Errorf("a tensor fed short: %v", err)
	}
	w = newWriter()
	if err := w.Feed("a.weight", append(bytes.Clone(src["a.weight"].Data), 0, 0, 0, 0), F32); err == nil || !strings.Contains(err.Error(), "more data") {
		t.Errorf("too much data: %v", err)
	}
	w.Feed("e.bias", src["e.bias"].Data[:4], F32)
	if err := w.Feed("e.bias", []byte{0, 0}, F16); err == nil || !strings.Contains(err.Error(), "fed as F32, then as F16") {
		t.Errorf("two dtypes: %v", err)
	}
	if err := w.Feed("nope", []byte{0}, F32); err == nil {
		t.Error("an unknown tensor was accepted")
	}
	nan := FromFloat32s([]int{5, 24}, make([]float32, 120))
	nan.Data[4*30+3] = 0x7f // a NaN in row 1
	nan.Data[4*30+2] = 0xc0
	if err := newWriter().Feed("a.weight", nan.Data, F32); err == nil || !strings.Contains(err.Error(), "row 1: a non-finite value") {
		t.Errorf("NaN: %v", err)
	}
	var tooLarge *TooLargeError
	var asked int64
	_, err := NewQuantWriter(newCaseFile(), specs, func(size int64) error {
		asked = size
		return &TooLargeError{Size: size, Limit: 100}
	})
	if !errors.As(err, &tooLarge) || tooLarge.Limit != 100 || asked < 500 {
		t.Errorf("a 100-byte limit: %v (asked about %d bytes)", err, asked)
	}
}
