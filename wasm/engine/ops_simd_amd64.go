//go:build amd64 && !purego

package engine

import "math"

// expConsts holds expf's constants as float32 bits, for the assembly (see ops_amd64.s).
var expConsts = func() [17]float32 {
	return [17]float32{expLog2e, roundMagic, expLn2hi, expLn2lo, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1,
		88, -87.3, -1.702, float32(math.Inf(1)), math.Float32frombits(127), 127, math.Float32frombits(0x7FFFFFFF)}
}()

//go:noescape
func quickGELU16(x *float32, n int, c *float32)

//go:noescape
func softmax16asm(x *float32, n int, c *float32)

//go:noescape
func attnScores16(q *float32, dh int, kt *float32, ldk int, s *float32, n int, scale float32)

//go:noescape
func attnOut16(p *float32, n int, v *float32, ldv int, o *float32, dh int)

//go:noescape
func emitTile(dst *float32, ldo int, src *float32, rows int, add bool)

// emitTileSIMD copies (or, with add, adds) rows rows of tileCols floats from src (rows
// tileCols apart) to dst (rows ldo apart): the matmul's tile to its output, where a
// copy or a Go loop per row of 32 floats cost as much as a tenth of an image's time.
func emitTileSIMD(dst []float32, ldo int, src []float32, rows int, add bool) {
	_, _ = dst[(rows-1)*ldo+tileCols-1], src[rows*tileCols-1]
	emitTile(&dst[0], ldo, &src[0], rows, add)
}

//go:noescape
func attnScores4(q *float32, ldq int, dh int, kt *float32, ldk int, s *float32, lds int, n int, scale float32)

//go:noescape
func attnOut4(p *float32, ldp int, n int, v *float32, ldv int, o *float32, ldo int, dh int)

// attnScores4SIMD is attnScoresSIMD for 4 query rows (q's ldq apart) into 4 rows of s
// (lds apart), n scores each.
func attnScores4SIMD(q []float32, ldq, dh int, kt []float32, ldk int, s []float32, lds, n int, scale float32) {
	_, _, _ = q[3*ldq+dh-1], kt[(dh-1)*ldk+n-1], s[3*lds+n-1]
	attnScores4(&q[0], ldq, dh, &kt[0], ldk, &s[0], lds, n, scale)
}

// attnOut4SIMD is attnOutSIMD for 4 rows of n probabilities (p's ldp apart) into 4 rows
// of o (ldo apart), dh values each.
func attnOut4SIMD(p []float32, ldp, n int, v []float32, ldv int, o []float32, ldo, dh int) {
	_, _, _ = p[3*ldp+n-1], v[(n-1)*ldv+dh-1], o[3*ldo+dh-1]
	attnOut4(&p[0], ldp, n, &v[0], ldv, &o[0], ldo, dh)
}

//go:noescape
func layerNorm16(dst, x *float32, n int, weight, bias *float32, eps float64)

//go:noescape
func quantBlocks16(x *float32, q *int8, scale *float32, init *int32, nb int, bs int, offset int, c *float32, qmax int)

// quickGELUSIMD is the quick_gelu activation, 16 values at a time.
func quickGELUSIMD(x []float32) {
	n := len(x) / 16 * 16
	if n > 0 {
		quickGELU16(&x[0], n, &expConsts[0])
	}
	activations["quick_gelu"](x[n:])
}

func softmax16SIMD(x []float32) { softmax16asm(&x[0], len(x), &expConsts[0]) }

func attnScoresSIMD(q, kt []float32, ldk int, s []float32, scale float32) {
	_ = kt[(len(q)-1)*ldk+len(s)-1] // bounds, once
	attnScores16(&q[0], len(q), &kt[0], ldk, &s[0], len(s), scale)
}

func attnOutSIMD(p, v []float32, ldv int, o []float32) {
	_ = v[(len(p)-1)*ldv+len(o)-1]
	attnOut16(&p[0], len(p), &v[0], ldv, &o[0], len(o))
}

// quantRowSIMD quantizes a row of whole blocks (len(x) = nb·bs, bs a multiple of 16).
func quantRowSIMD(x []float32, q []int8, scale []float32, init []int32, bs int, offset, qmax int32) {
	nb := len(scale)
	_, _, _ = x[nb*bs-1], q[nb*bs-1], init[nb-1]
	quantBlocks16(&x[0], &q[0], &scale[0], &init[0], nb, bs, int(offset), &expConsts[0], int(qmax))
}

// layerNormSIMD is layerNormGo for a length that is a multiple of 16.
func layerNormSIMD(dst, x, weight, bias []float32, eps float64) {
	dst, weight, bias = dst[:len(x)], weight[:len(x)], bias[:len(x)]
	layerNorm16(&dst[0], &x[0], len(x), &weight[0], &bias[0], eps)
}

// avx512Ops are the AVX-512 helpers (ops_amd64.s), with the AVX-512 VNNI kernel.
var avx512Ops = &vecOps{name: "avx512", quickGELU: quickGELUSIMD, softmax16: softmax16SIMD,
	attnScores: attnScoresSIMD, attnOut: attnOutSIMD, attnScores4: attnScores4SIMD, attnOut4: attnOut4SIMD,
	layerNorm: layerNormSIMD, quantRow: quantRowSIMD, emitTile: emitTileSIMD}
