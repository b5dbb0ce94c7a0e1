//go:build amd64 && !purego

package engine

import (
	"golang.org/x/sys/cpu"
)

// haveSIMD: the AVX-512 VNNI kernel (kernel_amd64.s) runs on this CPU. VPDPBUSD does
// 64 byte multiplies with their sums into 16 int32 lanes in one instruction, four times
// the multiply-adds of a float32 FMA. Go's simd/archsimd has no VNNI operation (as of
// Go 1.26), hence a few lines of assembly.
var haveSIMD = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VNNI

const simdName = "avx512-vnni"

//go:noescape
func tileVNNI8(a *int8, lda int, init *int32, scale *float32, lds int, w *byte, ws *byte, nb int, groups int, c *float32, bias *float32)

//go:noescape
func tileVNNI4(a *int8, lda int, init *int32, scale *float32, lds int, w *byte, ws *byte, nb int, groups int, c *float32, bias *float32)

// tileSIMD is tileGeneric on a repacked layer, in assembly.
func (l *linear) tileSIMD(a *qact, m0, p int, c *[tileRows * tileCols]float32) {
	w := &l.q[p*tileCols*l.rowBytes]
	ws := &l.scale[p*tileCols*l.nb*2]
	ap, ip, sp := &a.q[m0*a.kpad], &a.init[m0*a.nb], &a.scale[m0*a.nb]
	if l.bits == 8 {
		tileVNNI8(ap, a.kpad, ip, sp, a.nb*4, w, ws, l.nb, l.bs/4, &c[0], &l.biasPad[p*tileCols])
	} else {
		tileVNNI4(ap, a.kpad, ip, sp, a.nb*4, w, ws, l.nb, l.bs/8, &c[0], &l.biasPad[p*tileCols])
	}
}
