//go:build (!amd64 && !arm64) || purego

package engine

// No SIMD matmul kernel on this platform (WebAssembly, architectures other than amd64 and
// arm64, or a purego build): the portable kernel runs everywhere.
func cpuKernels() []kernel { return nil }

func (l *linear) tileSIMD(a *qact, m0, p int, c *[tileRows * tileCols]float32) {
	panic("engine: no SIMD kernel in this build")
}

func haveAMX() bool { return false }

const amxRows, amxPanel = 16, amxRows * tileCols

func (l *linear) tileAMX(a *qact, m0, p, np, rows int, c []float32, scratch *[2 * amxRows * 16]int32) {
	panic("engine: no AMX kernel in this build")
}
