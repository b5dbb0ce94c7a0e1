//go:build arm64 && !purego

package engine

import "golang.org/x/sys/cpu"

// cpuKernels lists the SIMD matmul kernels this CPU runs: the NEON kernel wherever the
// CPU has the ARMv8.2 dot product (SDOT: 16 byte multiplies with their sums into 4 int32
// lanes in one instruction). x/sys/cpu calls that feature ASIMDDP ("SIMD dot product";
// its comment there says otherwise). Cores without it (Cortex-A53/A72, Raspberry Pi 4)
// keep the portable kernel. Where the CPU also has the ARMv8.6 int8 matrix multiply
// (I8MM: SMMLA, 32 byte multiplies per instruction, twice SDOT's), the neon-i8mm kernel
// (kernel_i8mm_arm64.s) comes first.
func cpuKernels() []kernel {
	var ks []kernel
	if cpu.ARM64.HasI8MM && cpu.ARM64.HasASIMDDP {
		ks = append(ks, neonI8MMKernel)
	}
	if cpu.ARM64.HasASIMDDP {
		ks = append(ks, neonDotKernel)
	}
	return ks
}

//go:noescape
func tileDot8(a *int8, lda int, init *int32, scale *float32, lds int, w *byte, ws *byte, nb int, bs int, c *float32, bias *float32)

//go:noescape
func tileDot4(a *int8, lda int, init *int32, scale *float32, lds int, w *byte, ws *byte, nb int, bs int, c *float32, bias *float32)

//go:noescape
func tileMM8(a *int8, lda int, init *int32, scale *float32, lds int, w *byte, ws *byte, nb int, bs int, c *float32, bias *float32)

//go:noescape
func tileMM4(a *int8, lda int, init *int32, scale *float32, lds int, w *byte, ws *byte, nb int, bs int, c *float32, bias *float32)

// tileSIMD is tileGeneric on a layer repacked for a NEON kernel, in assembly
// (kernel_arm64.s, kernel_i8mm_arm64.s): a tile in two halves of 16 outputs, as 32 vector
// registers hold the int32 sums of 4 rows × 16 outputs but not of 4 × 32 next to the
// weights and activations.
func (l *linear) tileSIMD(a *qact, m0, p int, c *[tileRows * tileCols]float32) {
	w := p * tileCols * l.rowBytes
	ws := p * tileCols * l.nb * 2
	ap, ip, sp := &a.q[m0*a.kpad], &a.init[m0*a.nb], &a.scale[m0*a.nb]
	if l.kern == neonI8MMKernel {
		// A group of 8 inputs is 256 bytes (8 bits) or 128 (4 bits), half a panel's
		// outputs in each half of it (see repack).
		tile, hw := tileMM8, 128
		if l.bits == 4 {
			tile, hw = tileMM4, 64
		}
		for h := range 2 {
			tile(ap, a.kpad, ip, sp, a.nb*4, &l.q[w+hw*h], &l.scale[ws+32*h], l.nb, l.bs, &c[16*h], &l.biasPad[p*tileCols+16*h])
		}
		return
	}
	tile := tileDot8
	if l.bits == 4 {
		tile = tileDot4
	}
	for h := range 2 { // outputs 0-15, then 16-31: 64 weight bytes and 16 scales further
		tile(ap, a.kpad, ip, sp, a.nb*4, &l.q[w+64*h], &l.scale[ws+32*h], l.nb, l.bs, &c[16*h], &l.biasPad[p*tileCols+16*h])
	}
}

// No AMX on arm64: the model never asks for it (haveAMX is false).
func haveAMX() bool { return false }

const amxRows, amxPanel = 16, amxRows * tileCols

func (l *linear) tileAMX(a *qact, m0, p, np, rows int, c []float32, scratch *[2 * amxRows * 16]int32) {
	panic("engine: no AMX kernel in this build")
}
