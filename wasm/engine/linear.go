package engine

import (
	"fmt"

	"github.com/clip-go/clip/weights"
)

// The matmul works on tiles of tileRows activation rows × tileCols outputs: small
// enough for the accumulators to live in registers, wide enough (two 16-lane vectors)
// to amortise each broadcast activation over many outputs.
const (
	tileRows = 4
	tileCols = 32
)

// linear is y = x·Wᵀ + b with W quantized ([out, in], blockwise, see weights.QTensor).
// The weights stay quantized in memory; the matmul runs on their integer blocks.
type linear struct {
	out, in  int
	bits, bs int
	nb, kpad int
	rowBytes int // bytes of one weight row in the file layout
	// q and scale are the file's rows ([out][rowBytes] and [out][nb] float16) for the
	// portable kernel, or, when tiled, the same bytes rearranged in place into panels of
	// tileCols outputs for the SIMD kernel (see repack).
	q, scale []byte
	kern     kernel    // the kernel it is tiled for (portableKernel: the file layout)
	amx      bool      // tiled for the AMX kernel (8-bit weights kept signed)
	bias     []float32 // nil when the layer has none
	biasPad  []float32 // the bias (or zeros) padded to whole panels: the tiles start from it
}

// panels is the number of tileCols-wide output panels.
func (l *linear) panels() int { return (l.out + tileCols - 1) / tileCols }

func newLinear(qt *weights.QTensor, bias []float32) (*linear, error) {
	l := &linear{out: qt.Rows, in: qt.Cols, bits: qt.Bits, bs: qt.Block, nb: qt.Blocks(), kpad: qt.PaddedCols(),
		rowBytes: qt.RowBytes(), q: qt.Q.Data, scale: qt.Scale.Data, bias: bias}
	if bias != nil && len(bias) != l.out {
		return nil, fmt.Errorf("bias has %d values for %d outputs", len(bias), l.out)
	}
	l.biasPad = make([]float32, l.panels()*tileCols)
	copy(l.biasPad, bias)
	return l, nil
}

// weightOffset is what the SIMD kernel adds to each weight to make it unsigned (its
// multiply takes unsigned × signed bytes); the activation side subtracts offset·Σq to
// undo it exactly.
func weightOffset(bits int) int32 {
	if bits == 4 {
		return 8
	}
	return 128
}

// tileGeneric computes one tile in portable Go on the file layout: for the tileRows rows
// from m0 and the outputs of panel p, c[r][j] = bias[j] + Σ_b float32(dot_b) · (sₐ · s_w),
// added in block order. The SIMD kernel computes exactly the same expression (same
// integer dot products, same float32 operations in the same order), so both give
// identical bits. The activations must be packed (qact.pack).
func (l *linear) tileGeneric(a *qact, m0, p int, c *[tileRows * tileCols]float32) {
	f16 := f16Table()
	nb, bs, kp := l.nb, l.bs, a.kpad
	p0 := a.pairs[(m0/2)*kp : (m0/2+1)*kp]
	p1 := a.pairs[(m0/2+1)*kp : (m0/2+2)*kp]
	var s [tileRows][]float32
	for r := range s {
		s[r] = a.scale[(m0+r)*nb : (m0+r+1)*nb]
	}
	for j := 0; j < tileCols; j += 2 {
		n0 := p*tileCols + j
		if n0 >= l.out {
			for r := range tileRows {
				c[r*tileCols+j], c[r*tileCols+j+1] = 0, 0
			}
			continue
		}
		n1 := min(n0+1, l.out-1) // an odd last output computes a duplicate, zeroed below
		w0 := l.q[n0*l.rowBytes : (n0+1)*l.rowBytes]
		w1 := l.q[n1*l.rowBytes : (n1+1)*l.rowBytes]
		ws0 := l.scale[2*n0*nb : 2*(n0+1)*nb]
		ws1 := l.scale[2*n1*nb : 2*(n1+1)*nb]
		var acc [tileRows][2]float32
		for r := range acc {
			acc[r] = [2]float32{l.biasPad[n0], l.biasPad[n0+1]}
		}
		for b := range nb {
			pa, pb := p0[b*bs:(b+1)*bs], p1[b*bs:(b+1)*bs]
			var t00, t01, t10, t11 int64
			if l.bits == 8 {
				wa, wb := w0[b*bs:(b+1)*bs], w1[b*bs:(b+1)*bs]
				t00, t01 = dotPacked8(pa, wa, wb)
				t10, t11 = dotPacked8(pb, wa, wb)
			} else {
				wa, wb := w0[b*bs/2:(b+1)*bs/2], w1[b*bs/2:(b+1)*bs/2]
				t00, t01 = dotPacked4(pa, wa, wb)
				t10, t11 = dotPacked4(pb, wa, wb)
			}
			d0, d1 := unpair(t00) // rows 0 and 1, output 0
			d2, d3 := unpair(t10) // rows 2 and 3, output 0
			e0, e1 := unpair(t01) // output 1
			e2, e3 := unpair(t11)
			sw0, sw1 := halfAt(f16, ws0, b), halfAt(f16, ws1, b)
			for r, d := range [tileRows][2]int32{{d0, e0}, {d1, e1}, {d2, e2}, {d3, e3}} {
				sa := s[r][b]
				acc[r][0] += float32(float32(d[0]) * float32(sa*sw0))
				acc[r][1] += float32(float32(d[1]) * float32(sa*sw1))
			}
		}
		for r := range tileRows {
			if n0+1 >= l.out {
				acc[r][1] = 0
			}
			c[r*tileCols+j], c[r*tileCols+j+1] = acc[r][0], acc[r][1]
		}
	}
}

// unpair splits a sum of packed pairs, lo + hi·2³², into its two int32 halves. Each half
// is a block's dot product, far inside int32, so the int64 sum is exact and the borrow
// of a negative low half is undone by subtracting it first.
func unpair(t int64) (lo, hi int32) {
	lo = int32(t)
	return lo, int32((t - int64(lo)) >> 32)
}

// dotPacked8 is the portable kernel's inner loop: a packed row pair against two int8
// weight rows, one block. One 64-bit multiply does two multiply-adds (the rows of the
// pair); in WebAssembly too, where i64.mul is native. (Two weight rows and one pair keep
// every value in a register; more spill on amd64.)
func dotPacked8(p []int64, w0, w1 []byte) (t0, t1 int64) {
	w0, w1 = w0[:len(p)], w1[:len(p)]
	for k, x := range p {
		t0 += x * int64(int8(w0[k]))
		t1 += x * int64(int8(w1[k]))
	}
	return
}

// dotPacked4 is dotPacked8 for 4-bit weights, two per byte (even input in the low
// nibble, each stored as q+8).
func dotPacked4(p []int64, w0, w1 []byte) (t0, t1 int64) {
	p, w1 = p[:2*len(w0)], w1[:len(w0)]
	for i, b0 := range w0 {
		b1 := w1[i]
		x, xh := p[2*i], p[2*i+1]
		t0 += x*(int64(b0&15)-8) + xh*(int64(b0>>4)-8)
		t1 += x*(int64(b1&15)-8) + xh*(int64(b1>>4)-8)
	}
	return
}
