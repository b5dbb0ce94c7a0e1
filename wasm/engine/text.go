package engine

import "fmt"

// textBatch bounds the prompts of one forward pass.
const textBatch = 64

// EncodeTokens returns projected text features for rows of token ids (start token, ids,
// end token, padding; see tokenizer.Pad), uncached.
func (m *Model) EncodeTokens(rows [][]int) ([][]float32, error) {
	t := m.cfg.Text
	for r, row := range rows {
		if len(row) == 0 || len(row) > t.MaxPositionEmbeddings {
			return nil, fmt.Errorf("text %d has %d tokens, want 1 to %d", r, len(row), t.MaxPositionEmbeddings)
		}
		for _, id := range row {
			if id < 0 || id >= t.VocabSize {
				return nil, fmt.Errorf("token id %d is outside the vocabulary (size %d)", id, t.VocabSize)
			}
		}
	}
	out := make([][]float32, 0, len(rows))
	m.mu.Lock()
	defer m.mu.Unlock()
	m.encodedTexts += len(rows)
	for start := 0; start < len(rows); start += textBatch {
		out = append(out, m.textForward(rows[start:min(start+textBatch, len(rows))])...)
	}
	return out, nil
}

// textForward runs the text tower. Each prompt is cut after its end token (the causal
// mask makes the later positions irrelevant to it) and the prompts are packed row after
// row with no padding: the matmuls see only real tokens.
func (m *Model) textForward(rows [][]int) [][]float32 {
	t, tt, ws := m.cfg.Text, &m.text, &m.ws
	d := t.HiddenSize
	eot := m.cfg.EOTPositions(rows)
	seqs := make([]seq, len(rows))
	total := 0
	for i := range rows {
		seqs[i] = seq{total, eot[i] + 1}
		total += eot[i] + 1
	}
	ws.x = grow(ws.x, total*d)
	x := ws.x
	m.parallel(len(rows), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			for p := range seqs[i].len {
				dst := x[(seqs[i].start+p)*d : (seqs[i].start+p+1)*d]
				tt.tokEmb.DequantizeRow(rows[i][p], dst)
				pos := tt.pos[p*d : (p+1)*d]
				for k := range dst {
					dst[k] += pos[k]
				}
			}
		}
	})
	act := m.activation(t.HiddenAct)
	for i := range tt.layers {
		m.layerForward(x, total, d, t.NumAttentionHeads, seqs, true, &tt.layers[i], act, t.LayerNormEps)
	}
	return m.pool(x, d, seqs, func(s seq) int { return s.start + s.len - 1 }, tt.finalW, tt.finalB, t.LayerNormEps, tt.proj)
}
