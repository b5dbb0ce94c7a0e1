package engine

import "fmt"

// imageBatch bounds the images of one forward pass: the workspace grows with it (about
// 2.5 MB per ViT-B/32 image), and beyond a few images the matmuls gain nothing more.
const imageBatch = 16

// EncodePixels returns projected image features for n preprocessed images laid out
// [n, C, H, W] in one flat slice (see imageproc.Config.Preprocess).
func (m *Model) EncodePixels(pixels []float32, n int) ([][]float32, error) {
	v := m.cfg.Vision
	per := v.NumChannels * v.ImageSize * v.ImageSize
	if n < 0 || len(pixels) != n*per {
		return nil, fmt.Errorf("got %d pixel values for %d images of %dx%dx%d", len(pixels), n, v.NumChannels, v.ImageSize, v.ImageSize)
	}
	out := make([][]float32, 0, n)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.encodedImages += n
	for start := 0; start < n; start += imageBatch {
		b := min(imageBatch, n-start)
		out = append(out, m.vit(pixels[start*per:(start+b)*per], b)...)
	}
	return out, nil
}

// vit is the image tower on a batch: patches → matmul → class token and position
// embeddings → pre-norm → layers → post-norm of the class token → projection.
func (m *Model) vit(pixels []float32, n int) [][]float32 {
	v, vt, ws := m.cfg.Vision, &m.vision, &m.ws
	d, p, g, ch := v.HiddenSize, v.PatchSize, m.cfg.Grid(), v.NumChannels
	np, tokens := m.cfg.NumPatches(), m.cfg.NumPatches()+1
	rows := n * tokens
	act := m.activation(v.HiddenAct)

	// Patch embedding: each patch flattened in the convolution weight's (C, p, p) order.
	pk := ch * p * p
	ws.patches = grow(ws.patches, n*np*pk)
	m.parallel(n*np, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			img, gy, gx := r/np, r%np/g, r%g
			src := pixels[img*ch*v.ImageSize*v.ImageSize:]
			buf := ws.patches[r*pk : (r+1)*pk]
			for c := range ch {
				for y := range p {
					row := src[(c*v.ImageSize+gy*p+y)*v.ImageSize+gx*p:]
					copy(buf[(c*p+y)*p:(c*p+y+1)*p], row[:p])
				}
			}
		}
	})
	m.quantRows(ws.patches, n*np, pk, vt.patch.bits, &ws.qa)
	ws.tmp = grow(ws.tmp, n*np*d)
	m.matmul(vt.patch, &ws.qa, ws.tmp, d, false, nil)

	ws.x = grow(ws.x, rows*d)
	x := ws.x
	seqs := make([]seq, n)
	for img := range n {
		seqs[img] = seq{img * tokens, tokens}
		for t := range tokens {
			dst := x[(img*tokens+t)*d : (img*tokens+t+1)*d]
			src := vt.cls
			if t > 0 {
				src = ws.tmp[(img*np+t-1)*d:]
			}
			pos := vt.pos[t*d:]
			for i := range dst {
				dst[i] = src[i] + pos[i]
			}
		}
	}
	m.parallel(rows, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			m.layerNorm(x[r*d:(r+1)*d], x[r*d:(r+1)*d], vt.preW, vt.preB, v.LayerNormEps)
		}
	})
	for i := range vt.layers {
		m.layerForward(x, rows, d, v.NumAttentionHeads, seqs, false, &vt.layers[i], act, v.LayerNormEps)
	}
	return m.pool(x, d, seqs, func(s seq) int { return s.start }, vt.postW, vt.postB, v.LayerNormEps, vt.proj)
}

// pool layer-normalises one row per sequence (pick chooses it) and projects it.
func (m *Model) pool(x []float32, d int, seqs []seq, pick func(seq) int, w, b []float32, eps float64, proj *linear) [][]float32 {
	ws := &m.ws
	ws.qa.reset(len(seqs), d, m.block, weightOffset(proj.bits), m.qmax, m.ops)
	buf := make([]float32, d)
	for i, s := range seqs {
		r := pick(s)
		m.layerNorm(buf, x[r*d:(r+1)*d], w, b, eps)
		ws.qa.setRow(i, buf)
	}
	e := proj.out
	flat := make([]float32, len(seqs)*e)
	m.matmul(proj, &ws.qa, flat, e, false, nil)
	out := make([][]float32, len(seqs))
	for i := range out {
		out[i] = flat[i*e : (i+1)*e : (i+1)*e]
	}
	return out
}
