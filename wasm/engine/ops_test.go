package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func randVec(rng *rand.Rand, n int, std float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64() * std)
	}
	return v
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] = %v, portable %v", what, i, got[i], want[i])
		}
	}
}

// TestSIMDOpsMatchPortable: every vectorized element-wise op gives the portable op's
// bits, including at the edges (exp overflow and underflow, -Inf padding, zero blocks).
func TestSIMDOpsMatchPortable(t *testing.T) {
	if !haveSIMD {
		t.Skip("no SIMD kernels on this CPU")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{16, 37, 3072} {
		x := randVec(rng, n, 4)
		x[0], x[n-1] = 80, -80 // exp saturates on both sides of quick_gelu
		want := append([]float32(nil), x...)
		activations["quick_gelu"](want)
		quickGELUSIMD(x)
		sameBits(t, "quick_gelu", x, want)
	}
	for _, n := range []int{16, 64, 80} {
		x := randVec(rng, n, 3)
		for i := n - 5; i < n; i++ {
			x[i] = float32(math.Inf(-1))
		}
		want := append([]float32(nil), x...)
		softmax16(want)
		softmax16SIMD(x)
		sameBits(t, "softmax", x, want)
	}
	for _, c := range []struct{ dh, keys, ldk int }{{64, 16, 16}, {64, 48, 64}, {32, 80, 80}} {
		q, kt := randVec(rng, c.dh, 1), randVec(rng, c.dh*c.ldk, 1)
		got, want := make([]float32, c.keys), make([]float32, c.keys)
		attnScores(q, kt, c.ldk, want, 0.125)
		attnScoresSIMD(q, kt, c.ldk, got, 0.125)
		sameBits(t, "scores", got, want)
		p, v := randVec(rng, c.keys, 1), randVec(rng, c.keys*2*c.dh, 1)
		o1, o2 := make([]float32, c.dh), make([]float32, c.dh)
		attnOut(p, v, 2*c.dh, o1)
		attnOutSIMD(p, v, 2*c.dh, o2)
		sameBits(t, "attention output", o2, o1)
	}
	for _, bs := range []int{16, 32, 64} {
		x := randVec(rng, 4*bs, 2)
		clear(x[bs : 2*bs]) // an all-zero block
		x[3] = 50
		var a, b qact
		a.reset(1, len(x), bs, 128, false)
		b.reset(1, len(x), bs, 128, true)
		a.setRow(0, x)
		b.setRow(0, x)
		sameQuant(t, fmt.Sprintf("block %d", bs), &b, &a)
	}
}

// sameQuant requires got's quantized activations, scales and corrections to equal want's.
func sameQuant(t *testing.T, what string, got, want *qact) {
	t.Helper()
	for i := range want.q {
		if got.q[i] != want.q[i] {
			t.Fatalf("%s: q[%d] = %d, portable %d", what, i, got.q[i], want.q[i])
		}
	}
	sameBits(t, what+": activation scales", got.scale, want.scale)
	for i := range want.init {
		if got.init[i] != want.init[i] {
			t.Fatalf("%s: init[%d] = %d, portable %d", what, i, got.init[i], want.init[i])
		}
	}
}
