package engine

import "math"

// workspace holds the activation buffers of a forward pass, reused across calls so that
// inference allocates little beyond its results: megabytes of garbage per image would
// let the heap grow toward twice the model before the collector runs, and memory must
// stay close to the file size.
type workspace struct {
	x, q, k, v, o, ff, tmp []float32
	patches                []float32 // the image patches, flattened
	qa                     qact
	// for the WebAssembly kernel: the activations widened, a panel's weight scales as
	// float32, a head's keys transposed and its attention scores, layer-normed rows
	a16                []int16
	sf, kt, scores, ln []float32
	cf                 []int32 // the relaxed int8 kernel's 64·Σw per output and block
}

// seq is one sequence (an image's tokens or a prompt's) inside the packed rows.
type seq struct{ start, len int }

// matmul computes out[r][n] (= or +=) act(b[n] + a[r]·W[n]) for the rows of a. Work items
// are (group of row tiles, panel), group-major: a worker sweeps the panels of one group
// of rows while those activations stay in its cache.
func (m *Model) matmul(l *linear, a *qact, out []float32, ldo int, add bool, act func([]float32)) {
	const groupTiles = 16
	tiles := a.rowsPad / tileRows
	groups := (tiles + groupTiles - 1) / groupTiles
	panels := l.panels()
	if a.offset != weightOffset(l.bits) {
		panic("engine: activations quantized for another bit width")
	}
	if m.js {
		m.matmulJS(l, a, out, ldo, add)
		switch {
		case act == nil || add:
		case ldo == l.out: // contiguous rows: one call
			act(out[:a.rows*ldo])
		default:
			for r := range a.rows {
				act(out[r*ldo : r*ldo+l.out])
			}
		}
		return
	}
	tile := l.tileGeneric
	if l.kern != portableKernel {
		tile = l.tileSIMD
	} else if !a.packed {
		a.pairs = grow(a.pairs, a.rowsPad/2*a.kpad)
		m.parallel(a.rowsPad/2, a.pack)
		a.packed = true
	}
	// On a layer repacked for AMX, a group's rows go in strips of amxRows (the last one
	// shorter), each strip against up to amxPanels consecutive panels in one call;
	// otherwise in tiles of tileRows against one panel.
	m.parallel(groups*panels, func(lo, hi int) {
		var scratch [2 * amxRows * 16]int32
		var c []float32
		if l.amx {
			c = make([]float32, amxPanels*amxPanel)
		} else {
			c = make([]float32, tileRows*tileCols)
		}
		// emit moves a tile's first rows rows (from row m0; rows tileCols floats apart
		// in c) for panel p to out, through the activation: one call per tile, which
		// the SIMD activation needs to be quick (per row of 32 values its set-up cost
		// as much as the work).
		emit := func(c []float32, m0, rows, p int) {
			n0 := p * tileCols
			nn := min(tileCols, l.out-n0)
			if act != nil && !add {
				act(c[:rows*tileCols]) // the padding columns too: they are not copied
			}
			if m.ops != nil && nn == tileCols {
				m.ops.emitTile(out[m0*ldo+n0:(m0+rows-1)*ldo+n0+tileCols], ldo, c[:rows*tileCols], rows, add)
				return
			}
			for r := range rows {
				src := c[r*tileCols : r*tileCols+nn]
				dst := out[(m0+r)*ldo+n0 : (m0+r)*ldo+n0+nn]
				if add {
					for i, v := range src {
						dst[i] += v
					}
					continue
				}
				copy(dst, src)
			}
		}
		for it := lo; it < hi; {
			g, p := it/panels, it%panels
			np := min(hi-it, panels-p) // this group's panels in [it, hi)
			if l.amx {
				np = min(np, amxPanels)
				for m0 := g * groupTiles * tileRows; m0 < min((g+1)*groupTiles*tileRows, a.rows); m0 += amxRows {
					rows := min(amxRows, a.rows-m0)
					l.tileAMX(a, m0, p, np, rows, c, &scratch)
					for j := range np {
						emit(c[j*amxPanel:(j+1)*amxPanel], m0, rows, p+j)
					}
				}
				it += np
				continue
			}
			for t := g * groupTiles; t < min((g+1)*groupTiles, tiles); t++ {
				m0 := t * tileRows
				tile(a, m0, p, (*[tileRows * tileCols]float32)(c))
				emit(c, m0, min(tileRows, a.rows-m0), p)
			}
			it++
		}
	})
}

// amxPanels is how many panels one AMX call sweeps: the tile configuration is loaded
// once per call, and the call's output (amxPanels × 2 KB) stays in the first-level cache.
const amxPanels = 8

// quantRows quantizes rows×k values of x (row stride k) into a, for weights of bits.
func (m *Model) quantRows(x []float32, rows, k, bits int, a *qact) {
	a.reset(rows, k, m.block, weightOffset(bits), m.qmax, m.ops)
	if m.js && k == a.kpad {
		quantJS(x, rows, k, a)
		return
	}
	m.parallel(rows, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			a.setRow(r, x[r*k:(r+1)*k])
		}
	})
}

// lnQuant layer-normalises the rows of x into a, quantized, leaving x as it is.
func (m *Model) lnQuant(x []float32, rows, d int, w, b []float32, eps float64, bits int, a *qact) {
	a.reset(rows, d, m.block, weightOffset(bits), m.qmax, m.ops)
	if m.js && d == a.kpad {
		ws := &m.ws
		ws.ln = grow(ws.ln, rows*d)
		for r := range rows {
			m.layerNorm(ws.ln[r*d:(r+1)*d], x[r*d:(r+1)*d], w, b, eps)
		}
		quantJS(ws.ln, rows, d, a)
		return
	}
	m.parallel(rows, func(lo, hi int) {
		buf := make([]float32, d)
		for r := lo; r < hi; r++ {
			m.layerNorm(buf, x[r*d:(r+1)*d], w, b, eps)
			a.setRow(r, buf)
		}
	})
}

// layer is one pre-norm residual block.
type layer struct {
	ln1w, ln1b, ln2w, ln2b []float32
	q, k, v, o, fc1, fc2   *linear
}

// layerForward runs x ← x + attn(ln1(x)); x ← x + mlp(ln2(x)) over rows packed from seqs.
func (m *Model) layerForward(x []float32, rows, d, heads int, seqs []seq, causal bool, L *layer, act func([]float32), eps float64) {
	ws := &m.ws
	ff := L.fc1.out
	ws.q, ws.k, ws.v, ws.o = grow(ws.q, rows*d), grow(ws.k, rows*d), grow(ws.v, rows*d), grow(ws.o, rows*d)
	ws.ff = grow(ws.ff, rows*ff)
	m.lnQuant(x, rows, d, L.ln1w, L.ln1b, eps, L.q.bits, &ws.qa)
	m.matmul(L.q, &ws.qa, ws.q, d, false, nil)
	m.matmul(L.k, &ws.qa, ws.k, d, false, nil)
	m.matmul(L.v, &ws.qa, ws.v, d, false, nil)
	m.attention(ws.q, ws.k, ws.v, ws.o, d, heads, seqs, causal)
	m.quantRows(ws.o, rows, d, L.o.bits, &ws.qa)
	m.matmul(L.o, &ws.qa, x, d, true, nil)
	m.lnQuant(x, rows, d, L.ln2w, L.ln2b, eps, L.fc1.bits, &ws.qa)
	m.matmul(L.fc1, &ws.qa, ws.ff, ff, false, act)
	m.quantRows(ws.ff, rows, ff, L.fc2.bits, &ws.qa)
	m.matmul(L.fc2, &ws.qa, x, d, true, nil)
}

// attention is multi-head scaled dot-product attention in float32, one work item per
// (sequence, head); causal masks each token from the ones after it.
func (m *Model) attention(q, k, v, o []float32, d, heads int, seqs []seq, causal bool) {
	dh, scale, ldk := attnShape(d, heads, seqs)
	if m.js && dh%4 == 0 {
		m.attentionJS(q, k, v, o, d, heads, seqs, causal)
		return
	}
	ops := m.ops
	if dh%16 != 0 {
		ops = nil
	}
	m.parallel(len(seqs)*heads, func(lo, hi int) {
		scores, scores4 := make([]float32, ldk), make([]float32, 4*ldk)
		kt := make([]float32, dh*ldk)
		for it := lo; it < hi; it++ {
			s, h := seqs[it/heads], it%heads
			transposeKeys(kt, k, s, h, d, dh, ldk)
			vh := v[s.start*d+h*dh:]
			i0 := 0
			if ops != nil && !causal {
				// Four queries at a time (they see the same keys), the rest one by one.
				n, nn := s.len, (s.len+15)/16*16
				for ; i0+4 <= s.len; i0 += 4 {
					row := (s.start + i0) * d
					ops.attnScores4(q[row+h*dh:], d, dh, kt, ldk, scores4, ldk, nn, scale)
					for r := range 4 {
						sc := scores4[r*ldk : r*ldk+nn]
						maskFrom(sc, n)
						ops.softmax16(sc)
					}
					ops.attnOut4(scores4, ldk, n, vh, d, o[row+h*dh:], d, dh)
				}
			}
			for i := i0; i < s.len; i++ {
				row := (s.start + i) * d
				qi := q[row+h*dh : row+(h+1)*dh]
				n := visible(i, s.len, causal)
				sc := scores[:(n+15)/16*16]
				oi := o[row+h*dh : row+(h+1)*dh]
				if ops != nil {
					ops.attnScores(qi, kt, ldk, sc, scale)
				} else {
					attnScores(qi, kt, ldk, sc, scale)
				}
				maskFrom(sc, n)
				if ops != nil {
					ops.softmax16(sc)
					ops.attnOut(sc[:n], vh, d, oi)
				} else {
					softmax16(sc)
					attnOut(sc[:n], vh, d, oi)
				}
			}
		}
	})
}

// attnShape is what both attention paths derive from the sequences: the head size, the
// scores' scale 1/√dh and the key stride ldk, the longest sequence rounded up to 16.
func attnShape(d, heads int, seqs []seq) (dh int, scale float32, ldk int) {
	dh = d / heads
	maxLen := 0
	for _, s := range seqs {
		maxLen = max(maxLen, s.len)
	}
	return dh, float32(1 / math.Sqrt(float64(dh))), (maxLen + 15) / 16 * 16
}

// transposeKeys writes head h's keys of sequence s into kt[e][j] (row stride ldk), so
// that keys sit side by side; the padding stays zero.
func transposeKeys(kt, k []float32, s seq, h, d, dh, ldk int) {
	clear(kt)
	for j := range s.len {
		kr := k[(s.start+j)*d+h*dh:]
		for e := range dh {
			kt[e*ldk+j] = kr[e]
		}
	}
}

// visible is the number of keys query i of a sequence of n tokens attends to.
func visible(i, n int, causal bool) int {
	if causal {
		return i + 1
	}
	return n
}

// maskFrom sets the scores from n on to -Inf (which softmax turns into 0).
func maskFrom(sc []float32, n int) {
	for j := n; j < len(sc); j++ {
		sc[j] = float32(math.Inf(-1))
	}
}

// activation returns the named activation, vectorized where there is a SIMD version.
func (m *Model) activation(name string) func([]float32) {
	switch {
	case m.ops != nil && name == "quick_gelu":
		return m.ops.quickGELU
	case m.js && name == "quick_gelu":
		return quickGELUJS
	}
	return activations[name]
}
