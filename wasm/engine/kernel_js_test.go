//go:build js && wasm

package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

// TestJSKernel checks each function of the WebAssembly SIMD module (wasm/simd/kernel.wat)
// against its Go twin, bit for bit, on ragged shapes and edge values. It runs only where
// the module is loaded: wasm/wasmtest runs it in Node through testdata/exec-simd.js.
func TestJSKernel(t *testing.T) {
	if !findJSKernel() {
		t.Skip("the SIMD module is not loaded (run by wasm/wasmtest through testdata/exec-simd.js)")
	}
	rng := rand.New(rand.NewPCG(5, 6))

	t.Run("mm", func(t *testing.T) {
		for _, c := range []struct{ rows, out, in, bits, block int }{
			{0, 3, 32, 8, 16}, {1, 1, 16, 8, 16}, {3, 5, 40, 8, 16}, {7, 70, 100, 4, 32}, {50, 96, 768, 8, 32},
			{9, 33, 128, 4, 64}, {4, 32, 96, 4, 48}, {13, 130, 64, 8, 64},
		} {
			name := fmt.Sprintf("%dx%d·%d/int%d/block%d", c.rows, c.out, c.in, c.bits, c.block)
			l, _ := randLinear(t, rng, c.out, c.in, c.bits, c.block)
			x := randVec(rng, c.rows*c.in, 1)
			clear(x[:min(c.block, len(x))]) // a zero block: scale 0
			for _, add := range []bool{false, true} {
				var a qact
				m := &Model{workers: 1, block: c.block}
				m.quantRows(x, c.rows, c.in, c.bits, &a)
				base := randVec(rng, c.rows*c.out, 1)
				want, got := append([]float32(nil), base...), append([]float32(nil), base...)
				m.matmul(l, &a, want, c.out, add, nil)
				m.js = true
				m.matmul(l, &a, got, c.out, add, nil)
				sameBits(t, name, got, want)
			}
		}
	})

	// The relaxed-SIMD int4 matmul (wasm/simd/kernel_relaxed.wat) against the Go twin:
	// ragged shapes (outputs not a multiple of 4 or 32, odd rows), zero blocks, and the
	// extremes where an inexact dot would show: activations of ±127 against nibbles 0
	// and 15 (weights -8 and 7), whose pairwise int16 sums are the largest.
	t.Run("mm4-relaxed", func(t *testing.T) {
		needRelaxed(t)
		for _, c := range []struct {
			rows, out, in, block int
			extreme              bool
		}{
			{1, 1, 32, 32, false}, {3, 5, 40, 32, false}, {7, 70, 100, 32, false}, {9, 33, 128, 64, false},
			{50, 96, 768, 32, false}, {2, 4, 64, 32, true}, {5, 37, 96, 32, true}, {4, 8, 128, 64, true},
		} {
			name := fmt.Sprintf("%dx%d·%d/block%d/extreme=%v", c.rows, c.out, c.in, c.block, c.extreme)
			l, _ := randLinear(t, rng, c.out, c.in, 4, c.block)
			x := randVec(rng, c.rows*c.in, 1)
			if c.extreme {
				for i := range l.q { // nibbles 0 and 15 by rows and halves
					l.q[i] = []byte{0x00, 0xff, 0x0f, 0xf0}[(i/l.rowBytes+i%3)%4]
				}
				for i := range x { // every block's values ±1: each quantizes to ±127
					x[i] = float32(1 - 2*((i/7)%2))
				}
			}
			clear(x[:min(c.block, len(x))]) // a zero block: scale 0
			threeKernels(t, rng, name, l, x, c.rows, 127)
		}
	})

	// The relaxed-SIMD int8 matmul for 7-bit activations (mm8) against the Go twin:
	// ragged shapes, blocks of 16 to 64, zero blocks, and the extremes: weights of ±127
	// and -128 against activations of ±63 (plus 64: 1 and 127), the largest pairwise
	// int16 sums.
	t.Run("mm8-relaxed", func(t *testing.T) {
		needRelaxed(t)
		for _, c := range []struct {
			rows, out, in, block int
			extreme              bool
		}{
			{1, 1, 16, 16, false}, {3, 5, 40, 16, false}, {7, 70, 100, 32, false}, {9, 33, 128, 64, false},
			{50, 96, 768, 32, false}, {2, 4, 64, 32, true}, {5, 37, 96, 16, true}, {4, 8, 128, 64, true},
		} {
			name := fmt.Sprintf("%dx%d·%d/block%d/extreme=%v", c.rows, c.out, c.in, c.block, c.extreme)
			l, _ := randLinear(t, rng, c.out, c.in, 8, c.block)
			x := randVec(rng, c.rows*c.in, 1)
			if c.extreme {
				for i := range l.q { // -128, 127, -127 by rows and inputs
					l.q[i] = []byte{0x80, 0x7f, 0x81}[(i/l.rowBytes+i%5)%3]
				}
				for i := range x { // every block's values ±1: each quantizes to ±63
					x[i] = float32(1 - 2*((i/7)%2))
				}
			}
			clear(x[:min(c.block, len(x))]) // a zero block: scale 0
			threeKernels(t, rng, name, l, x, c.rows, 63)
		}
	})

	t.Run("quant", func(t *testing.T) {
		for _, bs := range []int{16, 32, 64} {
			const rows = 3
			k := 4 * bs
			x := randVec(rng, rows*k, 2)
			clear(x[bs : 2*bs])             // an all-zero block
			x[2*bs+1] = float32(math.NaN()) // a NaN block
			x[3*bs] = 50                    // a large value
			x[k+5] = float32(math.Inf(1))   // an infinite one
			x[2*k+7] = -math.SmallestNonzeroFloat32
			for _, qmax := range []int32{127, 63} {
				var a, b qact
				m := &Model{workers: 1, block: bs, qmax: qmax}
				m.quantRows(x, rows, k, 8, &a)
				m.js = true
				m.quantRows(x, rows, k, 8, &b)
				sameQuant(t, fmt.Sprintf("block %d, ±%d", bs, qmax), &b, &a)
			}
		}
	})

	t.Run("qgelu", func(t *testing.T) {
		x := randVec(rng, 4099, 4)
		edges := []float32{0, float32(math.Copysign(0, -1)), 80, -80, 51.7, -51.3, 51.8, -51.2,
			float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-30, -1e-30,
			math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32}
		copy(x, edges)
		want := append([]float32(nil), x...)
		activations["quick_gelu"](want)
		quickGELUJS(x)
		for i := range want {
			if math.Float32bits(x[i]) != math.Float32bits(want[i]) && !(want[i] != want[i] && x[i] != x[i]) {
				t.Fatalf("quick_gelu[%d] (%v): %v, Go %v", i, edges[min(i, len(edges)-1)], x[i], want[i])
			}
		}
	})

	t.Run("attention", func(t *testing.T) {
		for _, c := range []struct {
			d, heads int
			lens     []int
			causal   bool
		}{{128, 2, []int{17, 0, 5}, false}, {72, 2, []int{9, 1, 30}, true}, {96, 3, []int{50}, false}} {
			rows := 0
			var seqs []seq
			for _, n := range c.lens {
				seqs = append(seqs, seq{rows, n})
				rows += n
			}
			q, k, v := randVec(rng, rows*c.d, 1), randVec(rng, rows*c.d, 1), randVec(rng, rows*c.d, 1)
			want, got := make([]float32, rows*c.d), make([]float32, rows*c.d)
			m := &Model{workers: 1}
			m.attention(q, k, v, want, c.d, c.heads, seqs, c.causal)
			m.js = true
			m.attention(q, k, v, got, c.d, c.heads, seqs, c.causal)
			sameBits(t, fmt.Sprintf("attention d=%d heads=%d causal=%v", c.d, c.heads, c.causal), got, want)
		}
	})
}

// needRelaxed skips a test where the relaxed SIMD module is not loaded, and fails it where
// CLIP_RELAXED_WASM says it should be.
func needRelaxed(t *testing.T) {
	t.Helper()
	if !findRelaxedKernel() {
		if os.Getenv("CLIP_RELAXED_WASM") != "" {
			t.Fatal("CLIP_RELAXED_WASM is set but the relaxed module is not loaded")
		}
		t.Skip("the relaxed SIMD module is not loaded (CLIP_RELAXED_WASM)")
	}
}

// threeKernels runs the matmul of l over rows rows of x (activations to ±qmax), set and
// added to random outputs, on the portable kernel, the SIMD128 module and the relaxed
// one, and requires the same bits from all three.
func threeKernels(t *testing.T, rng *rand.Rand, name string, l *linear, x []float32, rows int, qmax int32) {
	t.Helper()
	for _, add := range []bool{false, true} {
		var a qact
		m := &Model{workers: 1, block: l.bs, qmax: qmax}
		m.quantRows(x, rows, l.in, l.bits, &a)
		base := randVec(rng, rows*l.out, 1)
		want, simd, got := append([]float32(nil), base...), append([]float32(nil), base...), append([]float32(nil), base...)
		m.matmul(l, &a, want, l.out, add, nil)
		m.js = true
		m.matmul(l, &a, simd, l.out, add, nil)
		m.relaxed = true
		m.matmul(l, &a, got, l.out, add, nil)
		sameBits(t, name+" relaxed", got, want)
		sameBits(t, name+" simd128", simd, want)
	}
}

// BenchmarkJSMatmul times one matmul of ViT-B/32's MLP (50 rows, 768 inputs, 3072
// outputs, block 32) through the SIMD128 module and through the relaxed one (int4
// weights, and int8 weights with 7-bit activations): MAC/s per kernel. It runs where the modules are loaded: in Chromium
// through wasm/wasmtest's BenchmarkBrowserMatmul.
func BenchmarkJSMatmul(b *testing.B) {
	if !findJSKernel() {
		b.Skip("the SIMD module is not loaded")
	}
	relaxed := findRelaxedKernel()
	const rows, in, out, block = 50, 768, 3072, 32
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range []struct {
		bits    int
		relaxed bool
		qmax    int32
	}{{8, false, 127}, {8, false, 63}, {8, true, 63}, {4, false, 127}, {4, true, 127}} {
		if c.relaxed && !relaxed {
			continue
		}
		kernel := map[bool]string{false: "simd128", true: "relaxed"}[c.relaxed]
		b.Run(fmt.Sprintf("int%d/act%d/%s", c.bits, map[int32]int{127: 8, 63: 7}[c.qmax], kernel), func(b *testing.B) {
			l, _ := randLinear(b, rng, out, in, c.bits, block)
			m := &Model{workers: 1, block: block, js: true, relaxed: c.relaxed, qmax: c.qmax}
			var a qact
			m.quantRows(randVec(rng, rows*in, 1), rows, in, c.bits, &a)
			dst := make([]float32, rows*out)
			b.ResetTimer()
			for range b.N {
				m.matmul(l, &a, dst, out, false, nil)
			}
			b.ReportMetric(float64(rows*in*out)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
	}
}
