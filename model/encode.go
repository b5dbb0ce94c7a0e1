package model

import (
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"
)

// Batch sizes for inference: large enough to amortise per-call overhead, small enough that
// a ViT-L activation batch stays within a few hundred MB.
const (
	textBatch  = 64
	imageBatch = 16
)

// EncodeTokens returns projected text features for rows of token ids (start token, ids,
// end token, padding; see tokenizer.Pad).
func (m *Model) EncodeTokens(rows [][]int) ([][]float32, error) {
	var out [][]float32
	for start := 0; start < len(rows); start += textBatch {
		feats, err := m.encodeTokenBatch(rows[start:min(start+textBatch, len(rows))])
		if err != nil {
			return nil, err
		}
		out = append(out, feats...)
	}
	return out, nil
}

func (m *Model) encodeTokenBatch(rows [][]int) ([][]float32, error) {
	ids, eot, err := PackTokens(m.Config, rows)
	if err != nil {
		return nil, err
	}
	var res []*tensors.Tensor
	err = catch(func() error {
		var err error
		res, err = m.textExec.Call(ids, eot)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("text encoder: %w", err)
	}
	return rowsOf(res[0])
}

// PackTokens turns rows of token ids into the text encoder's inputs: ids [B, T] and the
// end-token positions [B], both int32. Positions after the end token cannot influence it
// (causal mask), so T is only as long as the longest sequence needs, rounded up to a
// multiple of 8 to limit the number of distinct graph shapes.
func PackTokens(c Config, rows [][]int) (ids, eot *tensors.Tensor, err error) {
	ctx := c.Text.MaxPositionEmbeddings
	pos := c.EOTPositions(rows)
	seq := 1
	for r, row := range rows {
		if len(row) > ctx {
			return nil, nil, fmt.Errorf("text %d has %d tokens, more than the context length %d", r, len(row), ctx)
		}
		seq = max(seq, pos[r]+1)
	}
	seq = min(ctx, (seq+7)/8*8)
	flat := make([]int32, len(rows)*seq)
	eot32 := make([]int32, len(rows))
	for r, row := range rows {
		for i := 0; i < seq && i < len(row); i++ {
			if row[i] < 0 || row[i] >= c.Text.VocabSize {
				return nil, nil, fmt.Errorf("token id %d is outside the vocabulary (size %d)", row[i], c.Text.VocabSize)
			}
			flat[r*seq+i] = int32(row[i])
		}
		eot32[r] = int32(pos[r])
	}
	return tensors.FromFlatDataAndDimensions(flat, len(rows), seq), tensors.FromFlatDataAndDimensions(eot32, len(rows)), nil
}

// EncodePixels returns projected image features for n preprocessed images, laid out
// [n, C, H, W] in one flat slice.
func (m *Model) EncodePixels(pixels []float32, n int) ([][]float32, error) {
	v := m.Config.Vision
	per := v.NumChannels * v.ImageSize * v.ImageSize
	if len(pixels) != n*per {
		return nil, fmt.Errorf("got %d pixel values for %d images of %dx%dx%d", len(pixels), n, v.NumChannels, v.ImageSize, v.ImageSize)
	}
	var out [][]float32
	for start := 0; start < n; start += imageBatch {
		b := min(imageBatch, n-start)
		var res []*tensors.Tensor
		err := catch(func() error {
			var err error
			t := tensors.FromFlatDataAndDimensions(pixels[start*per:(start+b)*per], b, v.NumChannels, v.ImageSize, v.ImageSize)
			res, err = m.imageExec.Call(t)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("image encoder: %w", err)
		}
		feats, err := rowsOf(res[0])
		if err != nil {
			return nil, err
		}
		out = append(out, feats...)
	}
	return out, nil
}

// LogitScaleValue is exp(logit_scale) clamped at MaxLogitScale, as the model applies it.
func (m *Model) LogitScaleValue() (float64, error) {
	v := m.Store.GetVariable(VarPath("logit_scale"))
	t, err := v.Value()
	if err != nil {
		return 0, err
	}
	return LogitScaleFrom(float64(tensors.MustCopyFlatData[float32](t)[0])), nil
}

func rowsOf(t *tensors.Tensor) ([][]float32, error) {
	flat, err := tensors.CopyFlatData[float32](t)
	if err != nil {
		return nil, err
	}
	dims := t.Shape().Dimensions
	rows := make([][]float32, dims[0])
	for i := range rows {
		rows[i] = flat[i*dims[1] : (i+1)*dims[1] : (i+1)*dims[1]]
	}
	return rows, nil
}
