package model

import (
	"fmt"
	"testing"

	"github.com/clip-go/clip/model/arch"
)

// Benchmarks of the GoMLX float32 model on the pure-Go backend, ViT-B/32 shape with random
// weights: `go test ./model -run '^$' -bench ViTB32`. Reported per image / per prompt.
func BenchmarkViTB32(b *testing.B) {
	cfg, _ := arch.Preset("ViT-B/32")
	be, err := NewBackend("")
	if err != nil {
		b.Fatal(err)
	}
	m, err := New(be, cfg, randomParams(cfg, 1))
	if err != nil {
		b.Fatal(err)
	}
	for _, batch := range []int{1, 8} {
		pixels := make([]float32, batch*3*224*224)
		b.Run(fmt.Sprintf("image/batch=%d", batch), func(b *testing.B) {
			m.EncodePixels(pixels, batch) // compile outside the timing
			b.ResetTimer()
			for b.Loop() {
				if _, err := m.EncodePixels(pixels, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*batch), "ms/image")
		})
		rows := make([][]int, batch)
		for i := range rows {
			rows[i] = []int{49406, 320, 1125, 539, 320, 1929, 269, 49407}
		}
		b.Run(fmt.Sprintf("text/batch=%d", batch), func(b *testing.B) {
			m.EncodeTokens(rows)
			b.ResetTimer()
			for b.Loop() {
				if _, err := m.EncodeTokens(rows); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*batch), "ms/prompt")
		})
	}
}
