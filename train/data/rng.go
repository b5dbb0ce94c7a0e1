package data

import (
	"github.com/clip-go/clip/internal/splitmix"
	"image"
	"math"
)

// Every random choice of the loader draws from a fresh splitmix stream keyed by what the
// choice is about (the seed, a purpose tag, the epoch, the sample's position), never from
// a shared stream, so the choices do not depend on the number of workers or on timing,
// and a resumed loader can recompute them.
type rng = splitmix.RNG

// Purpose tags, one per kind of random choice.
const (
	tagShards uint64 = iota + 1
	tagBuffer
	tagCrop
	tagCaption
	tagStyle
)

func newRNG(seed uint64, keys ...uint64) *rng { return splitmix.New(seed, keys...) }

// shuffle is Fisher–Yates.
func shuffle[T any](xs []T, r *rng) {
	for i := len(xs) - 1; i > 0; i-- {
		j := r.IntN(i + 1)
		xs[i], xs[j] = xs[j], xs[i]
	}
}

// uniform32 is torch.empty(1).uniform_(lo, hi) on a float32 tensor: lo + (hi-lo)*u
// rounded to float32.
func uniform32(r *rng, lo, hi float32) float32 {
	return lo + (hi-lo)*float32(r.Float64())
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
		target := area * float64(uniform32(r, float32(scaleLo), float32(scaleHi)))
		ratio := float64(float32(math.Exp(float64(uniform32(r, logLo, logHi)))))
		cw := int(math.RoundToEven(math.Sqrt(target * ratio)))
		ch := int(math.RoundToEven(math.Sqrt(target / ratio)))
		if 0 < cw && cw <= w && 0 < ch && ch <= h {
			i := r.IntN(h - ch + 1)
			j := r.IntN(w - cw + 1)
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
