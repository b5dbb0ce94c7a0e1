package data

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/train/data/synth"
)

// BenchmarkLoader measures throughput (samples/s) over 64 px PNG shards, preprocessed to
// 64 or 224 px, with and without augmentation, with all CPUs decoding.
func BenchmarkLoader(b *testing.B) {
	dir := b.TempDir()
	if _, err := synth.Write(dir, synth.Options{Shards: 4, PerShard: 256, Size: 64, Seed: 1, Captions: 3}); err != nil {
		b.Fatal(err)
	}
	spec := filepath.Join(dir, "*.tar")
	for _, size := range []int{64, 224} {
		for _, augment := range []bool{false, true} {
			b.Run(fmt.Sprintf("size=%d/augment=%v", size, augment), func(b *testing.B) {
				l, err := Open(spec, Options{Image: imageproc.DefaultConfig(size), Augment: augment, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				defer l.Close()
				if _, err := l.Batch(64); err != nil { // warm up: fill the pipeline
					b.Fatal(err)
				}
				start := time.Now()
				n := 0
				for b.Loop() {
					if _, err := l.Next(); err != nil {
						b.Fatal(err)
					}
					n++
				}
				b.ReportMetric(float64(n)/time.Since(start).Seconds(), "samples/s")
			})
		}
	}
}

// BenchmarkResume measures OpenAt until the first sample, for a position of 2000
// samples into an epoch of 64 px PNG shards: the replay cost.
func BenchmarkResume(b *testing.B) {
	dir := b.TempDir()
	if _, err := synth.Write(dir, synth.Options{Shards: 4, PerShard: 1000, Size: 64, Seed: 1, Captions: 3}); err != nil {
		b.Fatal(err)
	}
	spec := filepath.Join(dir, "*.tar")
	opt := Options{Image: imageproc.DefaultConfig(64), Seed: 1}
	l, err := Open(spec, opt)
	if err != nil {
		b.Fatal(err)
	}
	l.Close()
	st := l.State()
	st.Pos, st.Delivered = 2000, 2000
	for b.Loop() {
		r, err := OpenAt(spec, opt, st)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Next(); err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}
