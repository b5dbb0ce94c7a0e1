package engine

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkTile measures one matmul tile (4 rows × 32 outputs) over 768 inputs (ViT-B/32's
// width), operands in cache: the kernel's own speed, in GMAC/s on one core.
func BenchmarkTile(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, bits := range []int{8, 4} {
		for _, simd := range []bool{true, false} {
			if simd && !haveSIMD {
				continue
			}
			b.Run(fmt.Sprintf("int%d/simd=%v", bits, simd), func(b *testing.B) {
				const k = 768
				l, _ := randLinear(b, rng, 32, k, bits, 32)
				if simd {
					l.repack(false)
				}
				var a qact
				m := &Model{workers: 1, bits: bits, block: 32, simd: simd}
				m.quantRows(randVec(rng, 4*k, 1), 4, k, bits, &a)
				a.pairs = make([]int64, a.rowsPad/2*a.kpad)
				a.pack(0, a.rowsPad/2)
				var c [tileRows * tileCols]float32
				tile := l.tileGeneric
				if simd {
					tile = l.tileSIMD
				}
				for b.Loop() {
					tile(&a, 0, 0, &c)
				}
				b.ReportMetric(float64(4*32*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		}
	}
}

// BenchmarkMatmul measures a whole layer of ViT-B/32's shape (50 or 400 rows, 768 inputs,
// 3072 outputs: the first MLP layer at batch 1 and 8) on one core, in the engine's
// kernels: VNNI, and AMX where the CPU has it, in blocks of 32 and 128.
func BenchmarkMatmul(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const k, n = 768, 3072
	for _, rows := range []int{50, 400} {
		for _, block := range []int{32, 128} {
			for _, amx := range []bool{false, true} {
				if !haveSIMD || amx && !haveAMX() {
					continue
				}
				b.Run(fmt.Sprintf("rows%d/block%d/amx=%v", rows, block, amx), func(b *testing.B) {
					l, _ := randLinear(b, rng, n, k, 8, block)
					l.repack(amx)
					m := &Model{workers: 1, bits: 8, block: block, simd: true, amx: amx}
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
