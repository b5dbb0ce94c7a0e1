package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clip-go/clip/weights"
)

// randLinear quantizes a random out×in layer.
func randLinear(t testing.TB, rng *rand.Rand, out, in, bits, block int) (*linear, []float32) {
	t.Helper()
	w := make([]float32, out*in)
	for i := range w {
		w[i] = float32(rng.NormFloat64() * 0.05)
	}
	qt, err := weights.QuantizeMatrix(w, out, in, bits, block)
	if err != nil {
		t.Fatal(err)
	}
	bias := make([]float32, out)
	for i := range bias {
		bias[i] = float32(rng.NormFloat64())
	}
	l, err := newLinear(qt, bias)
	if err != nil {
		t.Fatal(err)
	}
	// Copy the data: repack works in place.
	l.q, l.scale = append([]byte(nil), l.q...), append([]byte(nil), l.scale...)
	return l, qt.Dequantize()
}

// TestKernels checks the portable kernel against float64 arithmetic on the dequantized
// operands, and the SIMD kernels (VNNI, and AMX for 8-bit layers, where this CPU has
// them) against the portable one, bit for bit, over shapes with partial tiles, strips,
// panels and blocks, a zero block and a saturated row.
func TestKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct{ rows, out, in, bits, block int }{
		{1, 32, 32, 8, 32}, {5, 70, 100, 8, 32}, {9, 64, 768, 8, 32}, {4, 33, 64, 8, 64},
		{3, 32, 48, 8, 8}, {7, 96, 200, 4, 32}, {1, 40, 64, 4, 8}, {8, 64, 512, 4, 128},
		// AMX strips of 16 rows with VNNI tiles for the rest
		{16, 32, 32, 8, 32}, {17, 64, 768, 8, 32}, {50, 70, 300, 8, 32}, {33, 96, 256, 8, 64}, {70, 32, 64, 8, 128},
		// more panels than one AMX call sweeps (amxPanels), the last one partial
		{40, 600, 96, 8, 32}, {16, 300, 128, 8, 64},
	} {
		for _, act7 := range []bool{false, true} { // activations to ±127, or to ±63
			t.Run(fmt.Sprintf("%dx%dx%d/int%d/block%d/act7=%v", c.rows, c.out, c.in, c.bits, c.block, act7), func(t *testing.T) {
				l, wf := randLinear(t, rng, c.out, c.in, c.bits, c.block)
				x := make([]float32, c.rows*c.in)
				for i := range x {
					x[i] = float32(rng.NormFloat64())
				}
				x[3] = 40 // an outlier: per-block scales keep it from flattening the rest
				// A zero block (scale 0) in row 0, and a row whose every value quantizes to
				// the extreme: +127 and -127 alternating, against weights up to ±127.
				clear(x[min(c.block, c.in):min(2*c.block, c.in)])
				if c.rows > 2 {
					for k := range c.in {
						x[2*c.in+k] = float32(1 - 2*(k%2))
					}
				}
				m := &Model{workers: 2, bits: c.bits, block: c.block, qmax: 127}
				if act7 {
					m.qmax = 63
				}
				var a qact
				m.quantRows(x, c.rows, c.in, c.bits, &a)
				got := make([]float32, c.rows*c.out)
				m.matmul(l, &a, got, c.out, false, nil)
				// The same with the activation, which the kernels apply per tile.
				gelu := activations["quick_gelu"]
				gotAct := make([]float32, c.rows*c.out)
				m.matmul(l, &a, gotAct, c.out, false, gelu)
				same := func(what string, l *linear, want []float32, act func([]float32)) {
					t.Helper()
					res := make([]float32, c.rows*c.out)
					m.matmul(l, &a, res, c.out, false, act)
					for i := range want {
						if math.Float32bits(res[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s [%d] = %v, portable %v", what, i, res[i], want[i])
						}
					}
					if act != nil {
						return
					}
					// Added to what the output holds (a residual connection).
					for i := range res {
						res[i] = float32(i%7) - 3
					}
					m.matmul(l, &a, res, c.out, true, nil)
					for i := range want {
						if w := float32(i%7) - 3 + want[i]; math.Float32bits(res[i]) != math.Float32bits(w) {
							t.Fatalf("%s, added [%d] = %v, want %v", what, i, res[i], w)
						}
					}
				}
				// Reference: the same quantized operands in float64.
				for r := range c.rows {
					for n := range c.out {
						want := float64(l.bias[n])
						for k := range c.in {
							b := k / c.block
							xa := float64(a.q[r*a.kpad+k]) * float64(a.scale[r*a.nb+b])
							want += xa * float64(wf[n*c.in+k])
						}
						if d := math.Abs(float64(got[r*c.out+n]) - want); d > 1e-4*(1+math.Abs(want)) {
							t.Fatalf("portable [%d,%d] = %v, want %v", r, n, got[r*c.out+n], want)
						}
					}
				}
				if !haveSIMD {
					t.Skip("no SIMD kernel on this CPU")
				}
				forAMX := *l
				forAMX.q, forAMX.scale = append([]byte(nil), l.q...), append([]byte(nil), l.scale...)
				l.repack(false)
				same("SIMD", l, got, nil)
				same("SIMD with quick_gelu", l, gotAct, gelu)
				if !haveAMX() || c.bits != 8 || c.block%32 != 0 {
					return
				}
				forAMX.repack(true)
				same("AMX", &forAMX, got, nil)
				same("AMX with quick_gelu", &forAMX, gotAct, gelu)
			})
		}
	}
}

func TestExpf(t *testing.T) {
	for x := -87.0; x < 88; x += 0.01 {
		got, want := float64(expf(float32(x))), math.Exp(float64(float32(x)))
		if math.Abs(got-want) > 3e-7*want {
			t.Fatalf("expf(%v) = %v, want %v", x, got, want)
		}
	}
	if expf(-200) != 0 || !math.IsInf(float64(expf(200)), 1) {
		t.Error("expf does not saturate")
	}
}
