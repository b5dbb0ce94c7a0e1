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
// operands, and every SIMD kernel this CPU runs (AVX-512 VNNI, AVX-VNNI, AVX2, and AMX
// for 8-bit layers; NEON SDOT on arm64) against the portable one, bit for bit, over
// shapes with partial tiles, strips, panels and blocks, a zero block, a saturated row and
// extreme weights.
func TestKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct{ rows, out, in, bits, block int }{
		{1, 32, 32, 8, 32}, {5, 70, 100, 8, 32}, {9, 64, 768, 8, 32}, {4, 33, 64, 8, 64},
		{3, 32, 48, 8, 8}, {7, 96, 200, 4, 32}, {1, 40, 64, 4, 8}, {8, 64, 512, 4, 128},
		// blocks of 16k+8 inputs: NEON's 16-input steps, then one of 8
		{6, 48, 120, 8, 24}, {6, 48, 120, 4, 24},
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
				if len(cpuKernels()) == 0 {
					t.Skip("no SIMD kernel on this CPU")
				}
				for _, k := range cpuKernels() {
					kl := *l
					kl.q, kl.scale = append([]byte(nil), l.q...), append([]byte(nil), l.scale...)
					if !kl.repack(k, false) {
						t.Fatalf("%v: repack refused the layer", k)
					}
					same(k.String(), &kl, got, nil)
					same(k.String()+" with quick_gelu", &kl, gotAct, gelu)
				}
				if !haveAMX() || c.bits != 8 || c.block%32 != 0 {
					return
				}
				forAMX := *l
				forAMX.q, forAMX.scale = append([]byte(nil), l.q...), append([]byte(nil), l.scale...)
				forAMX.repack(avx512Kernel, true)
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

// TestKernelExtremes drives the integer products to their limits, where the AVX2
// kernel's 16-bit pair sums are closest to saturating: activations and weights all ±127
// with the same signs (every pair 2·127² = 32258) or opposite ones, and a weight of -128,
// which our quantizer never writes but a file may hold: kernels that cannot take it
// leave the layer to the portable kernel; the others must match it.
func TestKernelExtremes(t *testing.T) {
	const rows, out, in, block = 4, 64, 128, 32
	sign := func(n, k int) float32 { return float32(1 - 2*((n*7+k*k)%3%2)) }
	w := make([]float32, out*in)
	for n := range out {
		for k := range in {
			w[n*in+k] = sign(n, k)
		}
	}
	x := make([]float32, rows*in)
	for k := range in {
		x[k], x[in+k] = sign(0, k), -sign(0, k) // against output 0: all +127², all -127²
		x[2*in+k], x[3*in+k] = sign(5, k), float32(k%2)
	}
	for _, minus128 := range []bool{false, true} {
		qt, err := weights.QuantizeMatrix(w, out, in, 8, block)
		if err != nil {
			t.Fatal(err)
		}
		if minus128 {
			qt.Q.Data[3*in+5], qt.Q.Data[40*in+100] = 0x80, 0x80
		}
		l, err := newLinear(qt, make([]float32, out))
		if err != nil {
			t.Fatal(err)
		}
		m := &Model{workers: 1, bits: 8, block: block, qmax: 127}
		var a qact
		m.quantRows(x, rows, in, 8, &a)
		want := make([]float32, rows*out)
		m.matmul(l, &a, want, out, false, nil)
		deq := qt.Dequantize()
		for n := range out { // the portable kernel against float64 arithmetic
			var d float64
			for k := range in {
				d += float64(a.q[k]) * float64(a.scale[k/block]) * float64(deq[n*in+k])
			}
			if diff := math.Abs(float64(want[n]) - d); diff > 1e-4*(1+math.Abs(d)) {
				t.Fatalf("minus128=%v: portable [0,%d] = %v, want %v", minus128, n, want[n], d)
			}
		}
		for _, k := range cpuKernels() {
			kl := *l
			kl.q, kl.scale = append([]byte(nil), l.q...), append([]byte(nil), l.scale...)
			if ok := kl.repack(k, false); ok != !(minus128 && k.refusesMinus128()) {
				t.Fatalf("%v, minus128=%v: repack = %v", k, minus128, ok)
			}
			got := make([]float32, rows*out)
			m.matmul(&kl, &a, got, out, false, nil)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%v, minus128=%v: [%d] = %v, portable %v", k, minus128, i, got[i], want[i])
				}
			}
		}
	}
}
