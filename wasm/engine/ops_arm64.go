//go:build arm64 && !purego

package engine

import (
	"math"

	"golang.org/x/sys/cpu"
)

// The NEON float helpers (ops_arm64.s), with the NEON SDOT kernel: once the matmul runs
// in assembly, these helpers in Go (attention's products, quantizing activations,
// quick_gelu) take about half an image's time, as they did on AVX2.

// neonConsts holds expf's constants (and quick_gelu's, and the exponent bias) as float32
// bits, each repeated in 4 lanes so that the assembly loads 4 vector registers per VLD1:
// V16 log2e, V17 ln2hi, V18 ln2lo, V19..V24 the polynomial (1/720, 1/120, 1/24, 1/6,
// 1/2, 1), V25 the upper limit 88, V26 the lower limit -87.3, V27 +Inf, V28 int32 127,
// V29 -1.702 (quick GELU); V30, V31 unused. The values are expf's (ops.go) rounded to
// float32 as Go rounds them there, the same as expConsts on amd64.
var neonConsts = func() (t [16][4]float32) {
	c := [...]float32{expLog2e, expLn2hi, expLn2lo, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1,
		88, -87.3, float32(math.Inf(1)), math.Float32frombits(127), -1.702}
	for i, v := range c {
		t[i] = [4]float32{v, v, v, v}
	}
	return
}()

//go:noescape
func quickGELUNEON(x *float32, n int, c *[4]float32)

//go:noescape
func softmaxNEON(x *float32, n int, c *[4]float32)

//go:noescape
func attnScoresNEON(q *float32, dh int, kt *float32, ldk int, s *float32, n int, scale float32)

//go:noescape
func attnOutNEON(p *float32, n int, v *float32, ldv int, o *float32, dh int)

//go:noescape
func attnScores4NEON(q *float32, ldq int, dh int, kt *float32, ldk int, s *float32, lds int, n int, scale float32)

//go:noescape
func attnOut4NEON(p *float32, ldp int, n int, v *float32, ldv int, o *float32, ldo int, dh int)

//go:noescape
func layerNormNEON(dst, x *float32, n int, weight, bias *float32, eps float64)

//go:noescape
func quantBlocksNEON(x *float32, q *int8, scale *float32, init *int32, nb int, bs int, offset int, qmax int)

//go:noescape
func emitTileNEON(dst *float32, ldo int, src *float32, rows int, add bool)

// The wrappers check the bounds once (the assembly trusts them) and hand the Go twins
// what the assembly does not take: quick_gelu's last len(x)%16 values.
var neonOps = &vecOps{
	name: "neon",
	quickGELU: func(x []float32) {
		n := len(x) / 16 * 16
		if n > 0 {
			quickGELUNEON(&x[0], n, &neonConsts[0])
		}
		activations["quick_gelu"](x[n:])
	},
	softmax16: func(x []float32) { softmaxNEON(&x[0], len(x), &neonConsts[0]) },
	attnScores: func(q, kt []float32, ldk int, s []float32, scale float32) {
		_ = kt[(len(q)-1)*ldk+len(s)-1]
		attnScoresNEON(&q[0], len(q), &kt[0], ldk, &s[0], len(s), scale)
	},
	attnOut: func(p, v []float32, ldv int, o []float32) {
		_ = v[(len(p)-1)*ldv+len(o)-1]
		attnOutNEON(&p[0], len(p), &v[0], ldv, &o[0], len(o))
	},
	attnScores4: func(q []float32, ldq, dh int, kt []float32, ldk int, s []float32, lds, n int, scale float32) {
		_, _, _ = q[3*ldq+dh-1], kt[(dh-1)*ldk+n-1], s[3*lds+n-1]
		attnScores4NEON(&q[0], ldq, dh, &kt[0], ldk, &s[0], lds, n, scale)
	},
	attnOut4: func(p []float32, ldp, n int, v []float32, ldv int, o []float32, ldo, dh int) {
		_, _, _ = p[3*ldp+n-1], v[(n-1)*ldv+dh-1], o[3*ldo+dh-1]
		attnOut4NEON(&p[0], ldp, n, &v[0], ldv, &o[0], ldo, dh)
	},
	layerNorm: func(dst, x, weight, bias []float32, eps float64) {
		dst, weight, bias = dst[:len(x)], weight[:len(x)], bias[:len(x)]
		layerNormNEON(&dst[0], &x[0], len(x), &weight[0], &bias[0], eps)
	},
	quantRow: func(x []float32, q []int8, scale []float32, init []int32, bs int, offset, qmax int32) {
		nb := len(scale)
		_, _, _ = x[nb*bs-1], q[nb*bs-1], init[nb-1]
		quantBlocksNEON(&x[0], &q[0], &scale[0], &init[0], nb, bs, int(offset), int(qmax))
	},
	emitTile: func(dst []float32, ldo int, src []float32, rows int, add bool) {
		_, _ = dst[(rows-1)*ldo+tileCols-1], src[rows*tileCols-1]
		emitTileNEON(&dst[0], ldo, &src[0], rows, add)
	},
}

// haveNEONOps: the helpers need only Advanced SIMD, which every arm64 CPU that Go runs
// on has; the test says so rather than assuming it.
var haveNEONOps = cpu.ARM64.HasASIMD

// opsFor is the set of float helpers that goes with kernel k: NEON's with the NEON
// kernels (neon-dot, neon-i8mm); the portable kernel keeps the Go twins (a model forced
// to it stays all Go).
func opsFor(k kernel) *vecOps {
	if (k == neonDotKernel || k == neonI8MMKernel) && haveNEONOps {
		return neonOps
	}
	return nil
}

// cpuOps lists the float helper sets this CPU runs.
func cpuOps() []*vecOps {
	if haveNEONOps {
		return []*vecOps{neonOps}
	}
	return nil
}
