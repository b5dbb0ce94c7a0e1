// Package splitmix is the splitmix64 generator, keyed: New(seed, keys...) gives a fresh
// stream for one purpose (a shard order, a sample's crop), so random choices can be
// recomputed from their keys alone, whatever the number of workers, and resumed runs see
// the same choices. Its arithmetic is fully specified here, so data do not change with the
// Go version (math/rand/v2 makes no such promise for its derived methods).
package splitmix

import "math/bits"

// golden is 2^64/φ, splitmix64's increment.
const golden = 0x9e3779b97f4a7c15

// RNG is one splitmix64 stream.
type RNG struct{ s uint64 }

// New returns the stream for seed and keys.
func New(seed uint64, keys ...uint64) *RNG {
	s := mix(seed)
	for _, k := range keys {
		s = mix(s ^ mix(k+golden))
	}
	return &RNG{s}
}

func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Uint64 is the next 64 random bits.
func (r *RNG) Uint64() uint64 {
	r.s += golden
	return mix(r.s)
}

// Float64 is uniform in [0, 1), 53 bits.
func (r *RNG) Float64() float64 { return float64(r.Uint64()>>11) / (1 << 53) }

// IntN is uniform in [0, n) for n > 0, without modulo bias (Lemire's method).
func (r *RNG) IntN(n int) int {
	if n <= 1 {
		return 0
	}
	un := uint64(n)
	hi, lo := bits.Mul64(r.Uint64(), un)
	if lo < un {
		thresh := -un % un
		for lo < thresh {
			hi, lo = bits.Mul64(r.Uint64(), un)
		}
	}
	return int(hi)
}
