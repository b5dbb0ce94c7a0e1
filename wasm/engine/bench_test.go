package engine

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkTile measures one matmul tile (4 rows × 32 outputs) over 768 inputs (ViT-B/32's
// width), operands in cache, in every kernel this CPU runs: the kernel's own speed, in
// GMAC/s on one core.
func BenchmarkTile(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, bits := range []int{8, 4} {
		for _, k := range append(cpuKernels(), portableKernel) {
			b.Run(fmt.Sprintf("int%d/%v", bits, k), func(b *testing.B) {
				const n = 768
				l, _ := randLinear(b, rng, 32, n, bits, 32)
				if k != portableKernel {
					l.repack(k, false)
				}
				var a qact
				m := &Model{workers: 1, bits: bits, block: 32, kern: k, ops: opsFor(k)}
				m.quantRows(randVec(rng, 4*n, 1), 4, n, bits, &a)
				a.pairs = make([]int64, a.rowsPad/2*a.kpad)
				a.pack(0, a.rowsPad/2)
				var c [tileRows * tileCols]float32
				tile := l.tileGeneric
				if k != portableKernel {
					tile = l.tileSIMD
				}
				for b.Loop() {
					tile(&a, 0, 0, &c)
				}
				b.ReportMetric(float64(4*32*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		}
	}
}

// BenchmarkMatmul measures a whole layer of ViT-B/32's shape (50 or 400 rows, 768 inputs,
// 3072 outputs: the first MLP layer at batch 1 and 8) on one core, in every SIMD kernel
// this CPU runs, and AMX where it has it, in blocks of 32 and 128.
func BenchmarkMatmul(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const k, n = 768, 3072
	type variant struct {
		kern kernel
		amx  bool
	}
	var variants []variant
	for _, kern := range cpuKernels() {
		variants = append(variants, variant{kern, false})
	}
	if haveAMX() {
		variants = append(variants, variant{avx512Kernel, true})
	}
	for _, rows := range []int{50, 400} {
		for _, block := range []int{32, 128} {
			for _, v := range variants {
				name := v.kern.String()
				if v.amx {
					name = "amx"
				}
				b.Run(fmt.Sprintf("rows%d/block%d/%s", rows, block, name), func(b *testing.B) {
					l, _ := randLinear(b, rng, n, k, 8, block)
					l.repack(v.kern, v.amx)
					m := &Model{workers: 1, bits: 8, block: block, kern: v.kern, ops: opsFor(v.kern), amx: v.amx}
					var a qact
					m.quantRows(randVec(rng, rows*k, 1), rows, k, 8, &a)
					out := make([]float32, rows*n)
					for b.Loop() {
						m.matmul(l, &a, out, n, false, nil)
					}
					b.ReportMetric(float64(rows*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
				})
			}
		}
	}
}
