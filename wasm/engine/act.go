package engine

// qact is a matrix of activations quantized for the integer matmul: each row cut into
// the weights' blocks, each block with a float32 scale s = max|x|/qmax and int8 values
// q = round(x/s) (qmax 127; 63 for a file quantized with 7-bit activations, which the
// browser's relaxed-SIMD int8 kernel multiplies in one instruction per 16 inputs). Quantizing activations per block (not per row) keeps the outlier
// channels of a transformer's hidden states from flattening the rest of the row.
type qact struct {
	rows, rowsPad int // rows in use, and padded to a whole number of kernel tiles
	kpad, nb, bs  int // padded row length, blocks per row, block size
	q             []int8
	scale         []float32 // [rowsPad][nb]
	init          []int32   // [rowsPad][nb]: -offset·Σq, see weightOffset
	offset        int32
	qmax          int32   // 127, or 63 (7-bit activations)
	ops           *vecOps // the native quantizer for rows of whole 16-value groups, or nil
	// pairs holds rows 2i and 2i+1 packed into one int64 per input, row 2i+1 in the high
	// half, for the portable kernel (see dotPacked8); built on demand by pack.
	pairs  []int64
	packed bool
}

// reset sizes a for rows×k activations in blocks of bs, reusing its buffers.
func (a *qact) reset(rows, k, bs int, offset, qmax int32, ops *vecOps) {
	if qmax == 0 { // a Model's zero value: 8-bit activations
		qmax = 127
	}
	a.rows, a.bs, a.offset, a.qmax, a.ops = rows, bs, offset, qmax, ops
	a.nb = (k + bs - 1) / bs
	a.kpad = a.nb * bs
	a.rowsPad = (rows + tileRows - 1) / tileRows * tileRows
	a.packed = false
	a.q = grow(a.q, a.rowsPad*a.kpad)
	a.scale = grow(a.scale, a.rowsPad*a.nb)
	a.init = grow(a.init, a.rowsPad*a.nb)
	// Padding rows and columns must hold zeros: they enter the integer dot products.
	clear(a.q[rows*a.kpad:])
	clear(a.scale[rows*a.nb:])
	clear(a.init[rows*a.nb:])
}

// setRow quantizes x (k values) into row r.
func (a *qact) setRow(r int, x []float32) {
	q := a.q[r*a.kpad : (r+1)*a.kpad]
	scale := a.scale[r*a.nb : (r+1)*a.nb]
	init := a.init[r*a.nb : (r+1)*a.nb]
	if a.ops != nil && len(x) == a.kpad && a.bs%16 == 0 {
		a.ops.quantRow(x, q, scale, init, a.bs, a.offset, a.qmax)
		return
	}
	for b := range a.nb {
		lo := b * a.bs
		blk := x[min(lo, len(x)):min(lo+a.bs, len(x))]
		qb := q[lo : lo+a.bs]
		var amax float32
		for _, v := range blk {
			amax = max(amax, v, -v)
		}
		if amax == 0 || amax != amax {
			clear(qb)
			scale[b], init[b] = 0, 0
			continue
		}
		qm := float32(a.qmax)
		inv := qm / amax
		var sum int32
		for i, v := range blk {
			iv := int32(roundf(v * inv))
			iv = max(-a.qmax, min(a.qmax, iv))
			qb[i] = int8(iv)
			sum += iv
		}
		clear(qb[len(blk):])
		scale[b] = amax / qm
		init[b] = -a.offset * sum
	}
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// pack fills pairs from q, rows lo/2.. of the row pairs [lo, hi).
func (a *qact) pack(lo, hi int) {
	for p := lo; p < hi; p++ {
		r0, r1 := a.q[2*p*a.kpad:(2*p+1)*a.kpad], a.q[(2*p+1)*a.kpad:(2*p+2)*a.kpad]
		dst := a.pairs[p*a.kpad : (p+1)*a.kpad]
		for k := range dst {
			dst[k] = int64(r0[k]) + int64(r1[k])<<32
		}
	}
}
