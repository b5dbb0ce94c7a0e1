package data

import (
	"image"
	"math"
	"math/bits"
)

// rng is splitmix64. Every random choice of the loader draws from a fresh rng keyed by
// what the choice is about (the seed, a purpose tag, the epoch, the sample's position),
// never from a shared stream, so the choices do not depend on the number of workers or
// on timing, and a resumed loader can recompute them. Its arithmetic is fully specified
// here, so the data order does not change with the Go version either.
type rng struct{ s uint64 }

// Purpose tags, one per kind of random choice.
const (
	tagShards uint64 = iota + 1
	tagBuffer
	tagCrop
	tagCaption
)

func newRNG(seed uint64, keys ...uint64) *rng {
	s := mix(seed)
	for _, k := range keys {
		s = mix(s ^ mix(k+0x9e3779b97f4a7c15))
	}
	return &rng{s}
}

func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix(r.s)
}

// float is uniform in [0, 1), 53 bits.
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// intn is uniform in [0, n) for n > 0, without modulo bias (Lemire's method).
func (r *rng) intn(n int) int {
	if n <= 1 {
		return 0
	}
	un := uint64(n)
	hi, lo := bits.Mul64(r.next(), un)
	if lo < un {
		thresh := -un % un
		for lo < thresh {
			hi, lo = bits.Mul64(r.next(), un)
		}
	}
	return int(hi)
}

// shuffle is Fisher–Yates.
func shuffle[T any](xs []T, r *rng) {
	for i := len(xs) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		xs[i], xs[j] = xs[j], xs[i]
	}
}

// uniform32 is torch.empty(1).uniform_(lo, hi) on a float32 tensor: lo + (hi-lo)*u
// rounded to float32.
func (r *rng) uniform32(lo, hi float32) float32 {
	return lo + (hi-lo)*float32(r.float())
}

// The aspect-ratio range of RandomResizedCrop, torchvision's default (3/4, 4/3).
const minRatio, maxRatio = 3.0 / 4.0, 4.0 / 3.0

// randomResizedCrop is torchvision's RandomResizedCrop.get_params for a w×h image, the
// area scale in [scaleLo, scaleHi] and the ratio in [3/4, 4/3]: up to ten tries of a
// random area and a log-uniform aspect ratio, the box placed uniformly at random when it
// fits; else the fallback, a centred crop clamped to the ratio range. Python's round
// (half to even) and the float32 of torch's random draws are kept; the random numbers
// themselves come from r, not from torch's generator. The box is in 0-based image
// coordinates.
func randomResizedCrop(r *rng, w, h int, scaleLo, scaleHi float64) image.Rectangle {
	area := float64(w) * float64(h)
	// torch.log(torch.tensor(ratio)): float32 ratios, float32 logs.
	logLo := float32(math.Log(float64(float32(minRatio))))
	logHi := float32(math.Log(float64(float32(maxRatio))))
	for range 10 {
		target := area * float64(r.uniform32(float32(scaleLo), float32(scaleHi)))
		ratio := float64(float32(math.Exp(float64(r.uniform32(logLo, logHi)))))
		cw := int(math.RoundToEven(math.Sqrt(target * ratio)))
		ch := int(math.RoundToEven(math.Sqrt(target / ratio)))
		if 0 < cw && cw <= w && 0 < ch && ch <= h {
			i := r.intn(h - ch + 1)
			j := r.intn(w - cw + 1)
			return image.Rect(j, i, j+cw, i+ch)
		}
	}
	cw, ch := w, h
	switch in := float64(w) / float64(h); {
	case in < minRatio:
		ch = int(math.RoundToEven(float64(cw) / minRatio))
	case in > maxRatio:
		cw = int(math.RoundToEven(float64(ch) * maxRatio))
	}
	i, j := (h-ch)/2, (w-cw)/2
	return image.Rect(j, i, j+cw, i+ch)
}
