//go:build amd64 && !purego

package engine

import "golang.org/x/sys/cpu"

// The AVX2 twins of the AVX-512 float helpers (ops_avx2_amd64.s), with the AVX2 and
// AVX-VNNI kernels: on a CPU without AVX-512, half an image's time went to these helpers
// in Go (attention's products, quantizing activations, quick_gelu) once the matmul ran
// in AVX2.

// expConsts8 is expConsts with each constant repeated 8 times, for YMM memory operands.
var expConsts8 = func() (t [17][8]float32) {
	for i, c := range expConsts {
		for j := range t[i] {
			t[i][j] = c
		}
	}
	return
}()

//go:noescape
func quickGELU8(x *float32, n int, c *[8]float32)

//go:noescape
func softmax8(x *float32, n int, c *[8]float32)

//go:noescape
func attnScores8(q *float32, dh int, kt *float32, ldk int, s *float32, n int, scale float32)

//go:noescape
func attnOut8(p *float32, n int, v *float32, ldv int, o *float32, dh int)

//go:noescape
func attnScores4x8(q *float32, ldq int, dh int, kt *float32, ldk int, s *float32, lds int, n int, scale float32)

//go:noescape
func attnOut4x8(p *float32, ldp int, n int, v *float32, ldv int, o *float32, ldo int, dh int)

//go:noescape
func layerNorm8(dst, x *float32, n int, weight, bias *float32, eps float64)

//go:noescape
func quantBlocks8(x *float32, q *int8, scale *float32, init *int32, nb int, bs int, offset int, c *[8]float32, qmax int)

//go:noescape
func emitTile8(dst *float32, ldo int, src *float32, rows int, add bool)

var avx2Ops = &vecOps{
	name: "avx2",
	quickGELU: func(x []float32) {
		n := len(x) / 8 * 8
		if n > 0 {
			quickGELU8(&x[0], n, &expConsts8[0])
		}
		activations["quick_gelu"](x[n:])
	},
	softmax16: func(x []float32) { softmax8(&x[0], len(x), &expConsts8[0]) },
	attnScores: func(q, kt []float32, ldk int, s []float32, scale float32) {
		_ = kt[(len(q)-1)*ldk+len(s)-1] // bounds, once
		attnScores8(&q[0], len(q), &kt[0], ldk, &s[0], len(s), scale)
	},
	attnOut: func(p, v []float32, ldv int, o []float32) {
		_ = v[(len(p)-1)*ldv+len(o)-1]
		attnOut8(&p[0], len(p), &v[0], ldv, &o[0], len(o))
	},
	attnScores4: func(q []float32, ldq, dh int, kt []float32, ldk int, s []float32, lds, n int, scale float32) {
		_, _, _ = q[3*ldq+dh-1], kt[(dh-1)*ldk+n-1], s[3*lds+n-1]
		attnScores4x8(&q[0], ldq, dh, &kt[0], ldk, &s[0], lds, n, scale)
	},
	attnOut4: func(p []float32, ldp, n int, v []float32, ldv int, o []float32, ldo, dh int) {
		_, _, _ = p[3*ldp+n-1], v[(n-1)*ldv+dh-1], o[3*ldo+dh-1]
		attnOut4x8(&p[0], ldp, n, &v[0], ldv, &o[0], ldo, dh)
	},
	layerNorm: func(dst, x, weight, bias []float32, eps float64) {
		dst, weight, bias = dst[:len(x)], weight[:len(x)], bias[:len(x)]
		layerNorm8(&dst[0], &x[0], len(x), &weight[0], &bias[0], eps)
	},
	quantRow: func(x []float32, q []int8, scale []float32, init []int32, bs int, offset, qmax int32) {
		nb := len(scale)
		_, _, _ = x[nb*bs-1], q[nb*bs-1], init[nb-1]
		quantBlocks8(&x[0], &q[0], &scale[0], &init[0], nb, bs, int(offset), &expConsts8[0], int(qmax))
	},
	emitTile: func(dst []float32, ldo int, src []float32, rows int, add bool) {
		_, _ = dst[(rows-1)*ldo+tileCols-1], src[rows*tileCols-1]
		emitTile8(&dst[0], ldo, &src[0], rows, add)
	},
}

// haveAVX2Ops: the AVX2 helpers need AVX2 (and the OS's YMM support, in HasAVX).
var haveAVX2Ops = cpu.X86.HasAVX && cpu.X86.HasAVX2

// opsFor is the set of float helpers that goes with kernel k.
func opsFor(k kernel) *vecOps {
	switch {
	case k == avx512Kernel:
		return avx512Ops
	case (k == avx2Kernel || k == avxVNNIKernel) && haveAVX2Ops:
		return avx2Ops
	}
	return nil
}

// cpuOps lists the float helper sets this CPU runs.
func cpuOps() []*vecOps {
	var ops []*vecOps
	if haveAVX512 {
		ops = append(ops, avx512Ops)
	}
	if haveAVX2Ops {
		ops = append(ops, avx2Ops)
	}
	return ops
}
