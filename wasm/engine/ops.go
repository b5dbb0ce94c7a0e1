package engine

import "math"

// Element-wise operations in float32. They are plain Go so that native and WebAssembly
// builds compute bit-identical results (no FMA fusion: explicit float32 conversions stop
// the compiler from fusing a multiply and an add where it would: on arm64 it does, and
// without them arm64's embeddings differed from amd64's in their last bits;
// TestSameBitsEverywhere).

// expf is e^x in float32 to about 2 ulp: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a
// degree-6 polynomial, 2^n put into the exponent bits. math.Exp works in float64 and is
// several times slower; the activations call this tens of millions of times per image.
func expf(x float32) float32 {
	switch {
	case x > 88:
		return float32(math.Inf(1))
	case x < -87.3:
		return 0
	case x != x:
		return x
	}
	n := roundf(x * expLog2e)
	r := x - float32(n*expLn2hi)
	r = r - float32(n*expLn2lo)
	// Taylor coefficients of e^r (Horner), enough for |r| ≤ 0.35 in float32.
	p := float32(1.0 / 720)
	p = float32(p*r) + 1.0/120
	p = float32(p*r) + 1.0/24
	p = float32(p*r) + 1.0/6
	p = float32(p*r) + 0.5
	p = float32(p*r) + 1
	p = float32(p*r) + 1
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// roundf rounds to the nearest integer, ties to even, for |x| < 2^22: adding and
// subtracting 1.5·2^23 pushes the fraction bits out of a float32. float32(x) rounds a
// product the caller passed (roundf(v*inv)), which Go would otherwise fuse with the add
// once inlined (FMADD on arm64).
func roundf(x float32) float32 {
	return float32(float32(x)+roundMagic) - roundMagic
}

// expf's and roundf's constants, which the assembly's tables (expConsts, neonConsts)
// take too: ln 2 split in a high part with few bits (n·ln2hi is exact) and the rest.
const (
	expLog2e   = 1.44269504088896341
	expLn2hi   = 0.693359375
	expLn2lo   = -2.12194440e-4
	roundMagic = 12582912.0 // 1.5·2^23
)

// activations are the hub's hidden_act values, applied in place.
var activations = map[string]func([]float32){
	"quick_gelu": func(x []float32) {
		for i, v := range x {
			x[i] = v / (1 + expf(-1.702*v))
		}
	},
	"gelu": func(x []float32) { // exact GELU, 0.5·x·(1 + erf(x/√2))
		for i, v := range x {
			x[i] = float32(0.5 * float64(v) * (1 + math.Erf(float64(v)/math.Sqrt2)))
		}
	},
	"gelu_new":          geluTanh,
	"gelu_pytorch_tanh": geluTanh,
	"relu": func(x []float32) {
		for i, v := range x {
			x[i] = max(v, 0)
		}
	},
}

// geluTanh is GELU's tanh approximation, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))),
// with tanh(u) = 1 - 2/(e^{2u} + 1).
func geluTanh(x []float32) {
	const c = 0.7978845608028654
	for i, v := range x {
		u := float32(c * float32(v+float32(0.044715*v*v*v)))
		t := 1 - 2/(expf(2*u)+1)
		x[i] = 0.5 * v * (1 + t)
	}
}

// layerNorm normalises x over its values and applies weight and bias, into dst (which
// may be x). Mean and variance are summed in float64 (a row is at most a few thousand
// values, and float64 keeps the result all but independent of the order), in 16 lanes:
// value i goes to lane i%16 and the lanes are added in a fixed tree (lanes16), the order
// in which the AVX-512 version (layerNorm16, ops_amd64.s) sums, so both give the same
// bits. The SIMD versions run where the model's SIMD kernels do.
func (m *Model) layerNorm(dst, x, weight, bias []float32, eps float64) {
	dst, weight, bias = dst[:len(x)], weight[:len(x)], bias[:len(x)]
	if m.ops != nil && len(x)%16 == 0 && len(x) > 0 {
		m.ops.layerNorm(dst, x, weight, bias, eps)
		return
	}
	layerNormGo(dst, x, weight, bias, eps)
}

// layerNormGo is layerNorm in portable Go.
func layerNormGo(dst, x, weight, bias []float32, eps float64) {
	var lanes [16]float64
	for i, v := range x {
		lanes[i%16] += float64(v)
	}
	mean := lanes16(&lanes) / float64(len(x))
	lanes = [16]float64{}
	for i, v := range x {
		d := float64(v) - mean
		lanes[i%16] += float64(d * d)
	}
	inv := 1 / math.Sqrt(lanes16(&lanes)/float64(len(x))+eps)
	m, s := float32(mean), float32(inv)
	dst, weight, bias = dst[:len(x)], weight[:len(x)], bias[:len(x)]
	for i, v := range x {
		dst[i] = float32(float32((v-m)*s)*weight[i]) + bias[i]
	}
}

// lanes16 adds 16 lane sums in layerNorm's fixed order: lane j to lane j+8, then j+4,
// j+2 and j+1, as a vector register is folded in halves.
func lanes16(l *[16]float64) float64 {
	for w := 8; w >= 1; w /= 2 {
		for j := range w {
			l[j] += l[j+w]
		}
	}
	return l[0]
}

// The attention helpers below work on rows padded to whole groups of 16 values, with a
// fixed order of operations per value, so that the AVX-512 versions (ops_amd64.s) give
// exactly the same bits: sums over d or j run in increasing order per lane, and the one
// horizontal sum (softmax's) is a fixed tree over 16 lane sums.

// softmax16 turns scores into probabilities in place; len(x) is a multiple of 16 and
// padding holds -Inf (which becomes 0).
func softmax16(x []float32) {
	m := float32(math.Inf(-1))
	for _, v := range x {
		m = max(m, v)
	}
	var l [16]float32
	for i, v := range x {
		e := expf(v - m)
		x[i] = e
		l[i%16] += e
	}
	for w := 8; w >= 1; w /= 2 {
		for i := range w {
			l[i] += l[i+w]
		}
	}
	inv := 1 / l[0]
	for i := range x {
		x[i] *= inv
	}
}

// attnScores sets s[j] = (Σ_d q[d]·kt[d·ldk+j]) · scale for every j < len(s) (a multiple
// of 16), the keys transposed so that 16 of them are side by side.
func attnScores(q, kt []float32, ldk int, s []float32, scale float32) {
	for j := range s {
		var acc float32
		for d, qd := range q {
			acc += float32(qd * kt[d*ldk+j])
		}
		s[j] = acc * scale
	}
}

// attnOut sets o = Σ_j p[j]·v[j·ldv : j·ldv+len(o)].
func attnOut(p, v []float32, ldv int, o []float32) {
	for i := range o {
		var acc float32
		for j, pj := range p {
			acc += float32(pj * v[j*ldv+i])
		}
		o[i] = acc
	}
}
