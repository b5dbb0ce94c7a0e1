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
// TestLayerNorm checks the portable layer norm (its sums in 16 lanes) against the
// textbook formula in float64, on lengths with and without a partial group of 16.
func TestLayerNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 7, 16, 37, 768} {
		x, w, b := randVec(rng, n, 3), randVec(rng, n, 1), randVec(rng, n, 1)
		for i := range x {
			x[i] += 30
		}
		got := make([]float32, n)
		layerNormGo(got, x, w, b, 1e-5)
		var mean, ss float64
		for _, v := range x {
			mean += float64(v)
		}
		mean /= float64(n)
		for _, v := range x {
			ss += (float64(v) - mean) * (float64(v) - mean)
		}
		inv := 1 / math.Sqrt(ss/float64(n)+1e-5)
		for i, v := range x {
			want := (float64(v)-mean)*inv*float64(w[i]) + float64(b[i])
			if d := math.Abs(float64(got[i]) - want); d > 1e-5*(1+math.Abs(want)) {
				t.Fatalf("n=%d: [%d] = %v, want %v", n, i, got[i], want)
			}
		}
	}
}

func TestSIMDOpsMatchPortable(t *testing.T) {
	if len(cpuOps()) == 0 {
		t.Skip("no SIMD float helpers on this CPU")
	}
	for _, ops := range cpuOps() {
		t.Run(ops.name, func(t *testing.T) { opsMatchPortable(t, ops) })
	}
}

func opsMatchPortable(t *testing.T, ops *vecOps) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{8, 16, 37, 3072} {
		x := randVec(rng, n, 4)
		x[0], x[n-1] = 80, -80 // exp saturates on both sides of quick_gelu
		want := append([]float32(nil), x...)
		activations["quick_gelu"](want)
		ops.quickGELU(x)
		sameBits(t, "quick_gelu", x, want)
	}
	for i := range 60 { // the sum's order shows in its last bits on some of them
		n := 16 * (1 + i%13)
		x := randVec(rng, n, 6)
		for i := n - 5; i < n; i++ {
			x[i] = float32(math.Inf(-1))
		}
		if i == 0 {
			x[1] = 100 // the rest underflow exp's range
		}
		want := append([]float32(nil), x...)
		softmax16(want)
		ops.softmax16(x)
		sameBits(t, fmt.Sprintf("softmax of %d", n), x, want)
	}
	for _, c := range []struct{ dh, keys, ldk int }{{64, 16, 16}, {64, 48, 64}, {32, 80, 80}} {
		q, kt := randVec(rng, c.dh, 1), randVec(rng, c.dh*c.ldk, 1)
		got, want := make([]float32, c.keys), make([]float32, c.keys)
		attnScores(q, kt, c.ldk, want, 0.125)
		ops.attnScores(q, kt, c.ldk, got, 0.125)
		sameBits(t, "scores", got, want)
		p, v := randVec(rng, c.keys, 1), randVec(rng, c.keys*2*c.dh, 1)
		o1, o2 := make([]float32, c.dh), make([]float32, c.dh)
		attnOut(p, v, 2*c.dh, o1)
		ops.attnOut(p, v, 2*c.dh, o2)
		sameBits(t, "attention output", o2, o1)
	}
	for _, c := range []struct{ dh, keys, ldk int }{{64, 50, 64}, {32, 16, 16}, {16, 33, 48}} {
		// Four rows at once against four single rows.
		const ldq = 200
		q, kt := randVec(rng, 3*ldq+c.dh, 1), randVec(rng, c.dh*c.ldk, 1)
		nn := (c.keys + 15) / 16 * 16
		got, want := make([]float32, 3*c.ldk+nn), make([]float32, 3*c.ldk+nn)
		ops.attnScores4(q, ldq, c.dh, kt, c.ldk, got, c.ldk, nn, 0.125)
		for r := range 4 {
			attnScores(q[r*ldq:r*ldq+c.dh], kt, c.ldk, want[r*c.ldk:r*c.ldk+nn], 0.125)
		}
		sameBits(t, "scores of 4 rows", got, want)
		p, v := randVec(rng, 3*c.ldk+c.keys, 1), randVec(rng, c.keys*ldq, 1)
		o4, o1 := make([]float32, 3*ldq+c.dh), make([]float32, 3*ldq+c.dh)
		ops.attnOut4(p, c.ldk, c.keys, v, ldq, o4, ldq, c.dh)
		for r := range 4 {
			attnOut(p[r*c.ldk:r*c.ldk+c.keys], v, ldq, o1[r*ldq:r*ldq+c.dh])
		}
		sameBits(t, "attention output of 4 rows", o4, o1)
	}
	for i := range 40 {
		n := []int{16, 48, 768, 1024}[i%4]
		x := randVec(rng, n, 2)
		for i := range x {
			x[i] += 30 // an offset: the variance is then a small difference of large sums
		}
		x[n/2] = 900 // an outlier
		w, b := randVec(rng, n, 1), randVec(rng, n, 1)
		got, want := make([]float32, n), make([]float32, n)
		ops.layerNorm(got, x, w, b, 1e-5)
		layerNormGo(want, x, w, b, 1e-5)
		sameBits(t, fmt.Sprintf("layer norm of %d", n), got, want)
	}
	for _, bs := range []int{16, 32, 64} {
		for _, qmax := range []int32{127, 63} {
			x := randVec(rng, 4*bs, 2)
			clear(x[bs : 2*bs]) // an all-zero block
			x[3] = 50
			x[3*bs+1] = -x[3*bs+1] * 1e3 // a negative extreme
			var a, b qact
			a.reset(1, len(x), bs, 128, qmax, nil)
			b.reset(1, len(x), bs, 128, qmax, ops)
			a.setRow(0, x)
			b.setRow(0, x)
			sameQuant(t, fmt.Sprintf("block %d, ±%d", bs, qmax), &b, &a)
			for i, q := range a.q {
				if q > int8(qmax) || q < -int8(qmax) {
					t.Fatalf("block %d: q[%d] = %d, beyond ±%d", bs, i, q, qmax)
				}
			}
		}
	}
	for _, rows := range []int{1, 3, 4} {
		src := randVec(rng, rows*tileCols, 1)
		const ldo = 100
		for _, add := range []bool{false, true} {
			got, want := randVec(rng, rows*ldo, 1), make([]float32, rows*ldo)
			copy(want, got)
			ops.emitTile(got, ldo, src, rows, add)
			for r := range rows {
				for j := range tileCols {
					if add {
						want[r*ldo+j] += src[r*tileCols+j]
					} else {
						want[r*ldo+j] = src[r*tileCols+j]
					}
				}
			}
			sameBits(t, fmt.Sprintf("emitTile of %d rows, add=%v", rows, add), got, want)
		}
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
