package weights

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes/float16"
)

// TestQuantizeMatrix: every value rounds to its nearest grid point unless clipped at
// ±qmax, each block's squared error is at most that of the plain max|x|/qmax scale, padding
// works, and the stored layout is the documented one.
func TestQuantizeMatrix(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, c := range []struct{ rows, cols, bits, block int }{
		{3, 64, 8, 32}, {2, 70, 8, 32}, {5, 33, 4, 8}, {4, 128, 4, 32}, {1, 3000, 8, 128},
	} {
		vals := make([]float32, c.rows*c.cols)
		for i := range vals {
			vals[i] = float32(rng.NormFloat64())
		}
		vals[0] = 0
		if c.cols > 40 {
			clear(vals[:32]) // an all-zero block: scale 0
		}
		q, err := QuantizeMatrix(vals, c.rows, c.cols, c.bits, c.block)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Validate(); err != nil {
			t.Fatal(err)
		}
		got := q.Dequantize()
		qmax := QMax(c.bits)
		var sq, sqPlain float64
		for r := range c.rows {
			for b := range q.Blocks() {
				var e, ePlain float64
				s := q.ScaleAt(r, b)
				plain := plainScale(vals[r*c.cols+b*c.block:r*c.cols+min((b+1)*c.block, c.cols)], qmax)
				for col := b * c.block; col < min((b+1)*c.block, c.cols); col++ {
					x, y := vals[r*c.cols+col], got[r*c.cols+col]
					v := q.Value(r, col)
					if v < -qmax || v > qmax {
						t.Fatalf("value %d out of range", v)
					}
					d := math.Abs(float64(y - x))
					if d > 0.5*float64(s)*1.001+1e-7 && (v != qmax && v != -qmax || math.Abs(float64(x)) < float64(qmax)*float64(s)) {
						t.Fatalf("%+v: [%d,%d] = %v, was %v (scale %v): not the nearest grid point", c, r, col, y, x, s)
					}
					e += d * d
					if plain > 0 {
						dp := float64(x) - math.RoundToEven(float64(x/plain))*float64(plain)
						ePlain += dp * dp
					} else {
						ePlain += float64(x) * float64(x)
					}
				}
				if e > ePlain*(1+1e-6)+1e-12 {
					t.Fatalf("%+v: row %d block %d: squared error %g > %g of the max|x|/qmax scale", c, r, b, e, ePlain)
				}
				sq, sqPlain = sq+e, sqPlain+ePlain
			}
		}
		gain := 1 - math.Sqrt(sq/sqPlain)
		t.Logf("%+v: RMS error %.4g, %.1f%% below max|x|/qmax's", c, math.Sqrt(sq/float64(len(vals))), 100*gain)
		if c.bits == 4 && gain < 0.05 {
			t.Errorf("%+v: the 4-bit scale search lowered the RMS error by %.1f%% only", c, 100*gain)
		}
	}
}

// plainScale is max|x|/qmax rounded to float16, the scale before the search.
func plainScale(blk []float32, qmax int) float32 {
	var amax float32
	for _, x := range blk {
		amax = max(amax, float32(math.Abs(float64(x))))
	}
	return float16.FromFloat32(amax / float32(qmax)).Float32()
}

func TestQuantizeErrors(t *testing.T) {
	for _, c := range []struct {
		bits, block int
		vals        []float32
		want        string
	}{
		{5, 32, make([]float32, 64), "bit width 5"},
		{16, 32, make([]float32, 64), "bit width 16"},
		{8, 12, make([]float32, 64), "block size 12"},
		{8, 0, make([]float32, 64), "block size 0"},
		{8, 32, []float32{1, float32(math.NaN())}, "non-finite"},
		{8, 32, []float32{1, 1e9}, "too large"},
		{8, 32, make([]float32, 3), "values for a"},
	} {
		_, err := QuantizeMatrix(c.vals, 1, 2, c.bits, c.block)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("bits %d block %d: %v, want %q", c.bits, c.block, err, c.want)
		}
	}
}

func quantFileForTest(t *testing.T, bits int) *QuantFile {
	q, err := QuantizeMatrix([]float32{1, -2, 3, 4, 5, 6, 7, 8, 0.5, 0.25, -1, 0, 0, 0, 0, 1}, 2, 8, bits, 8)
	if err != nil {
		t.Fatal(err)
	}
	return &QuantFile{Bits: bits, Block: 8, Config: []byte(`{"a":1}`), Preprocessor: []byte(`{}`),
		Vocab: []byte(`{"x":0}`), Merges: []byte("#version: 0.2\na b\n"),
		Float: map[string]*Tensor{"b": FromFloat32s([]int{2}, []float32{1, 2})}, Quant: map[string]*QTensor{"w": q}}
}

// TestQuantFileRoundTrip: a file reads back as written, and is refused once changed.
func TestQuantFileRoundTrip(t *testing.T) {
	for _, bits := range []int{8, 4} {
		qf := quantFileForTest(t, bits)
		data, _ := quantBytes(t, qf)
		back, err := ParseQuant(data)
		if err != nil {
			t.Fatal(err)
		}
		if back.Bits != bits || back.Block != 8 || string(back.Merges) != string(qf.Merges) || back.Checksum != qf.Checksum {
			t.Fatalf("read back %+v", back)
		}
		if got, want := back.Quant["w"].Dequantize(), qf.Quant["w"].Dequantize(); !equal(got, want) {
			t.Fatalf("dequantized %v, want %v", got, want)
		}
	}
	// A writer bug (data of another bit width than the metadata says) is caught, even
	// with a valid checksum.
	qf := quantFileForTest(t, 8)
	f, _ := qf.File()
	f.Metadata["quantized"] = strings.Replace(f.Metadata["quantized"], `"bits":8`, `"bits":4`, 1)
	f.Metadata["checksum"] = checksum(f)
	var buf bytes.Buffer
	Write(&buf, f)
	if _, err := ParseQuant(buf.Bytes()); err == nil || !strings.Contains(err.Error(), "want U8") {
		t.Errorf("8-bit data in a tensor that says 4 bits: %v", err)
	}
	f.Metadata["bits"] = "3"
	f.Metadata["checksum"] = checksum(f)
	buf.Reset()
	Write(&buf, f)
	if _, err := ParseQuant(buf.Bytes()); err == nil || !strings.Contains(err.Error(), "bit width 3") {
		t.Errorf("3 bits: %v", err)
	}
}

// quantBytes lays out a quantized model as the bytes of its file (and the file).
func quantBytes(t *testing.T, qf *QuantFile) ([]byte, *File) {
	t.Helper()
	f, err := qf.File()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), f
}

// TestParseQuantVerified: a copy whose checksum the caller says it verified is not hashed
// again (so a byte changed in a tensor goes unseen, which is the point: the copy is of
// bytes already checked), but any other checksum is, and the other checks still run.
func TestParseQuantVerified(t *testing.T) {
	qf := quantFileForTest(t, 8)
	data, _ := quantBytes(t, qf)
	data[len(data)-1] ^= 1 // a tensor's last byte
	if _, err := ParseQuant(data); err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Fatalf("ParseQuant of a changed byte: %v, want a checksum mismatch", err)
	}
	if _, err := ParseQuantVerified(data, qf.Checksum); err != nil {
		t.Errorf("ParseQuantVerified with the file's own checksum: %v", err)
	}
	if _, err := ParseQuantVerified(data, "sha256:0000"); err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Errorf("ParseQuantVerified with another checksum: %v, want a mismatch", err)
	}
	if _, err := ParseQuantVerified(data[:len(data)-9], qf.Checksum); err == nil {
		t.Error("ParseQuantVerified of a truncated copy: no error")
	}
}

// TestQuantFileActBits: the activation width round-trips; 8 is not recorded (a file's
// bytes stay what earlier versions wrote), and other widths are refused both ways.
func TestQuantFileActBits(t *testing.T) {
	write := func(qf *QuantFile) ([]byte, *File) { return quantBytes(t, qf) }
	for _, c := range []struct{ set, want int }{{0, 8}, {8, 8}, {7, 7}} {
		qf := quantFileForTest(t, 8)
		qf.ActBits = c.set
		data, f := write(qf)
		if _, recorded := f.Metadata["activation_bits"]; recorded != (c.want == 7) {
			t.Errorf("ActBits %d: recorded in the metadata: %v", c.set, recorded)
		}
		back, err := ParseQuant(data)
		if err != nil {
			t.Fatal(err)
		}
		if back.ActBits != c.want {
			t.Errorf("ActBits %d read back as %d", c.set, back.ActBits)
		}
	}
	eight, _ := write(quantFileForTest(t, 8))
	qf := quantFileForTest(t, 8)
	qf.ActBits = 8
	if again, _ := write(qf); !bytes.Equal(again, eight) {
		t.Error("ActBits 8 changed the file's bytes")
	}
	qf.ActBits = 6
	if _, err := qf.File(); err == nil || !strings.Contains(err.Error(), "activation width 6") {
		t.Errorf("ActBits 6 written: %v", err)
	}
	qf.ActBits = 7
	_, f := write(qf)
	f.Metadata["activation_bits"] = "5"
	f.Metadata["checksum"] = checksum(f)
	var buf bytes.Buffer
	Write(&buf, f)
	if _, err := ParseQuant(buf.Bytes()); err == nil || !strings.Contains(err.Error(), `activation width "5"`) {
		t.Errorf("activation_bits 5 read: %v", err)
	}
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
