//go:build !amd64 || purego

package engine

// No SIMD kernel on this platform (WebAssembly, arm64, or a purego build): the portable
// kernel runs everywhere.
const haveAVX512 = false

func cpuKernels() []kernel { return nil }

func (l *linear) tileSIMD(a *qact, m0, p int, c *[tileRows * tileCols]float32) {
	panic("engine: no SIMD kernel in this build")
}

func quickGELUSIMD(x []float32)                                           { panic("engine: no SIMD") }
func softmax16SIMD(x []float32)                                           { panic("engine: no SIMD") }
func attnScoresSIMD(q, kt []float32, ldk int, s []float32, scale float32) { panic("engine: no SIMD") }
func attnOutSIMD(p, v []float32, ldv int, o []float32)                    { panic("engine: no SIMD") }
func emitTileSIMD(dst []float32, ldo int, src []float32, rows int, add bool) {
	panic("engine: no SIMD")
}
func attnScores4SIMD(q []float32, ldq, dh int, kt []float32, ldk int, s []float32, lds, n int, scale float32) {
	panic("engine: no SIMD")
}
func attnOut4SIMD(p []float32, ldp, n int, v []float32, ldv int, o []float32, ldo, dh int) {
	panic("engine: no SIMD")
}
func layerNorm16(dst, x *float32, n int, weight, bias *float32, eps float64) {
	panic("engine: no SIMD")
}
func quantRowSIMD(x []float32, q []int8, scale []float32, init []int32, bs int, offset, qmax int32) {
	panic("engine: no SIMD")
}

func haveAMX() bool { return false }

const amxRows, amxPanel = 16, amxRows * tileCols

func (l *linear) tileAMX(a *qact, m0, p, np, rows int, c []float32, scratch *[2 * amxRows * 16]int32) {
	panic("engine: no AMX kernel in this build")
}
