//go:build amd64 && !purego

package engine

import (
	"sync"

	"golang.org/x/sys/cpu"
)

// haveAVX512 reports whether the AVX-512 VNNI kernel (kernel_amd64.s) and the AVX-512
// float helpers (ops_amd64.s) run on this CPU. VPDPBUSD does 64 byte multiplies with their
// sums into 16 int32 lanes in one instruction, four times the multiply-adds of a float32
// FMA. Go's simd/archsimd has no VNNI operation (as of Go 1.26), hence a few lines of
// assembly.
var haveAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VNNI

// cpuKernels lists the SIMD matmul kernels this CPU runs, best first. AVX2 CPUs all have
// F16C (the weight scales' conversion); HasAVX includes the operating system's support
// for the YMM registers.
func cpuKernels() []kernel {
	var ks []kernel
	if haveAVX512 {
		ks = append(ks, avx512Kernel)
	}
	if avx2 := cpu.X86.HasAVX && cpu.X86.HasAVX2 && cpu.X86.HasF16C; avx2 && cpu.X86.HasAVXVNNI {
		ks = append(ks, avxVNNIKernel, avx2Kernel)
	} else if avx2 {
		ks = append(ks, avx2Kernel)
	}
	return ks
}

//go:noescape
func tileVNNI8(a *int8, lda int, init *int32, scale *float32, lds int, w *byte, ws *byte, nb int, groups int, c *float32, bias *float32)

//go:noescape
func tileVNNI4(a *int8, lda int, init *int32, scale *float32, lds int, w *byte, ws *byte, nb int, groups int, c *float32, bias *float32)

//go:noescape
func tileAVX2x8(a *int8, lda int, init *int32, scale *float32, lds int, w *byte, ws *byte, nb int, groups int, c *float32, bias *float32)

//go:noescape
func tileAVX2x4(a *int8, lda int, init *int32, scale *float32, lds int, w *byte, ws *byte, nb int, groups int, c *float32, bias *float32)

//go:noescape
func tileAVXVNNI8(a *int8, lda int, init *int32, scale *float32, lds int, w *byte, ws *byte, nb int, groups int, c *float32, bias *float32)

//go:noescape
func tileAVXVNNI4(a *int8, lda int, init *int32, scale *float32, lds int, w *byte, ws *byte, nb int, groups int, c *float32, bias *float32)

// tileSIMD is tileGeneric on a layer repacked for its kernel, in assembly. The 256-bit
// kernels compute a tile in two halves of 16 outputs (kernel_avx2_amd64.s).
func (l *linear) tileSIMD(a *qact, m0, p int, c *[tileRows * tileCols]float32) {
	w := p * tileCols * l.rowBytes
	ws := p * tileCols * l.nb * 2
	ap, ip, sp := &a.q[m0*a.kpad], &a.init[m0*a.nb], &a.scale[m0*a.nb]
	groups := l.bs / 4
	if l.bits == 4 {
		groups = l.bs / 8
	}
	if l.kern == avx512Kernel {
		tile := tileVNNI8
		if l.bits == 4 {
			tile = tileVNNI4
		}
		tile(ap, a.kpad, ip, sp, a.nb*4, &l.q[w], &l.scale[ws], l.nb, groups, &c[0], &l.biasPad[p*tileCols])
		return
	}
	var tile func(a *int8, lda int, init *int32, scale *float32, lds int, w *byte, ws *byte, nb int, groups int, c *float32, bias *float32)
	switch {
	case l.kern == avxVNNIKernel && l.bits == 8:
		tile = tileAVXVNNI8
	case l.kern == avxVNNIKernel:
		tile = tileAVXVNNI4
	case l.bits == 8:
		tile = tileAVX2x8
	default:
		tile = tileAVX2x4
	}
	for h := range 2 { // outputs 0-15, then 16-31: 64 weight bytes and 16 scales further
		tile(ap, a.kpad, ip, sp, a.nb*4, &l.q[w+64*h], &l.scale[ws+32*h], l.nb, groups, &c[16*h], &l.biasPad[p*tileCols+16*h])
	}
}

// haveAMX reports whether the AMX int8 kernel (kernel_amx_amd64.s) runs here, for 8-bit
// layers with blocks a multiple of 32: the CPU has AMX (Sapphire Rapids and later Xeons)
// and Linux lets this process use its tile registers (arch_prctl ARCH_REQ_XCOMP_PERM,
// which a process must ask for before its first tile instruction). It asks once, when
// the first model loads, not at start-up.
var haveAMX = sync.OnceValue(func() bool {
	return haveAVX512 && cpu.X86.HasAMXTile && cpu.X86.HasAMXInt8 && requestAMX()
})

//go:noescape
func tileAMX8(a *int8, lda int, scale *float32, lds int, w *byte, ws *byte, nb int, steps int, c *float32, bias *float32, scratch *int32, cfg *byte, kstep int, rows int, halves int, wstep int, sstep int)

// amxRows is the AMX kernel's tile height: up to 16 activation rows; amxPanel is the
// floats of one panel's tile.
const amxRows, amxPanel = 16, amxRows * tileCols

// amxConfigs are the tile configurations (palette 1), by step (32 or 64 inputs) and
// rows (1 to 16): tmm0 and tmm3 the int32 sums of two blocks (rows × 16 outputs), tmm1
// the activations (rows × kstep inputs), tmm2 the weights (kstep/4 groups of 4 inputs ×
// 16 outputs). One instruction takes up to 64 inputs; blocks of 32 take steps of 32.
var amxConfigs = func() (cfgs [2][amxRows + 1][64]byte) {
	for i, kstep := range []int{32, 64} {
		for rows := 1; rows <= amxRows; rows++ {
			cfg := &cfgs[i][rows]
			cfg[0] = 1
			for t, shape := range [][2]int{{rows, 64}, {rows, kstep}, {kstep / 4, 64}, {rows, 64}} {
				cfg[16+2*t] = byte(shape[1]) // bytes per row, little-endian uint16
				cfg[48+t] = byte(shape[0])   // rows
			}
		}
	}
	return
}()

// tileAMX is tileSIMD for up to amxRows rows on a layer repacked for AMX (8-bit, blocks
// a multiple of 32), over np panels from p in one call (the kernel sweeps their half
// panels of 16 outputs): panel j's tile is c[j*amxPanel:], rows tileCols floats apart,
// and its rows past rows are left undefined.
func (l *linear) tileAMX(a *qact, m0, p, np, rows int, c []float32, scratch *[2 * amxRows * 16]int32) {
	kstep, cfg := 32, &amxConfigs[0][rows]
	if l.bs%64 == 0 {
		kstep, cfg = 64, &amxConfigs[1][rows]
	}
	_ = c[np*amxPanel-1]
	_, _ = l.q[(p+np)*tileCols*l.rowBytes-1], l.biasPad[(p+np)*tileCols-1]
	ap, sp := &a.q[m0*a.kpad], &a.scale[m0*a.nb]
	w := &l.q[p*tileCols*l.rowBytes]
	ws := &l.scale[p*tileCols*l.nb*2]
	tileAMX8(ap, a.kpad, sp, a.nb*4, w, ws, l.nb, l.bs/kstep, &c[0], &l.biasPad[p*tileCols], &scratch[0], &cfg[0], kstep, rows,
		2*np, tileCols*l.rowBytes, tileCols*l.nb*2)
}
