package model

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/model/tokenizer"
	"github.com/clip-go/clip/model/zeroshot"
	"github.com/clip-go/clip/weights"
	"github.com/gomlx/compute"
)

// Load opens a model folder in the hub layout for inference: weights and config, the
// tokenizer (vocab.json + merges.txt there, else the built-in original vocabulary) and the
// image preprocessing (preprocessor_config.json there, else CLIP's defaults).
// path may also name a .safetensors file; the files above are then looked up beside it.
// A quantized file (clip quantize's) loads too, dequantized to float32, with the config,
// tokenizer and preprocessing it carries.
func Load(path string, backend compute.Backend) (*Model, error) {
	if weights.IsQuantFile(path) { // clip quantize's file: dequantized (quantload.go)
		return loadQuant(path, backend)
	}
	cfg, params, err := LoadWeights(path)
	if err != nil {
		return nil, err
	}
	m, err := New(backend, cfg, params)
	if err != nil {
		return nil, err
	}
	dir := path
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		dir = filepath.Dir(path)
	}
	if m.Tokenizer, err = LoadTokenizer(dir); err != nil {
		return nil, err
	}
	if m.Tokenizer.VocabSize() > cfg.Text.VocabSize {
		return nil, fmt.Errorf("%s: tokenizer has %d tokens but the model's vocabulary has %d", dir, m.Tokenizer.VocabSize(), cfg.Text.VocabSize)
	}
	m.Image = imageproc.DefaultConfig(cfg.Vision.ImageSize)
	if p := filepath.Join(dir, "preprocessor_config.json"); exists(p) {
		if m.Image, err = imageproc.LoadConfig(p); err != nil {
			return nil, err
		}
		if m.Image.Size != cfg.Vision.ImageSize {
			return nil, fmt.Errorf("%s: crop size %d does not match the model's image_size %d", p, m.Image.Size, cfg.Vision.ImageSize)
		}
	}
	return m, nil
}

// LoadTokenizer returns the tokenizer of a model folder: vocab.json + merges.txt, else
// tokenizer.json (folders saved with only the fast tokenizer), else the original
// bpe_simple_vocab_16e6.txt.gz, or else the built-in original vocabulary.
func LoadTokenizer(dir string) (*tokenizer.Tokenizer, error) {
	vocab, merges := filepath.Join(dir, "vocab.json"), filepath.Join(dir, "merges.txt")
	if exists(vocab) && exists(merges) {
		return tokenizer.Load(vocab, merges)
	}
	if fast := filepath.Join(dir, "tokenizer.json"); exists(fast) {
		if st, err := os.Stat(fast); err == nil && st.Size() > 64<<20 {
			return nil, fmt.Errorf("%s: larger than 64 MiB, not a CLIP tokenizer", fast)
		}
		data, err := os.ReadFile(fast)
		if err != nil {
			return nil, err
		}
		t, err := tokenizer.ParseHubFast(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
		return t, nil
	}
	if gz := filepath.Join(dir, "bpe_simple_vocab_16e6.txt.gz"); exists(gz) {
		return tokenizer.LoadOriginal(gz)
	}
	return tokenizer.Default()
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// EncodeTexts tokenizes and encodes texts. A text longer than the context is an error
// unless truncate is set, in which case it is cut (keeping the end token) as the
// original does.
func (m *Model) EncodeTexts(texts []string, truncate bool) ([][]float32, error) {
	rows := make([][]int, len(texts))
	for i, text := range texts {
		ids, err := m.Tokenizer.Encode(text)
		if err != nil {
			return nil, fmt.Errorf("text %q: %w", text, err)
		}
		var cut bool
		rows[i], cut = m.Tokenizer.Pad(ids, m.Config.Text.MaxPositionEmbeddings)
		if cut && !truncate {
			return nil, fmt.Errorf("text %q is %d tokens, longer than the context of %d (start and end tokens included)", text, len(ids)+2, m.Config.Text.MaxPositionEmbeddings)
		}
	}
	return m.EncodeTokens(rows)
}

// EncodeImageFiles decodes, preprocesses and encodes image files. A file that cannot be
// read or decoded gets its error in errs and a nil feature; the others are still encoded.
func (m *Model) EncodeImageFiles(paths []string) (features [][]float32, errs []error, err error) {
	return imageproc.EncodeEach(len(paths), func(i int) ([]float32, error) { return m.Image.Load(paths[i]) }, m.EncodePixels)
}

// Classifier builds a zero-shot classifier for labels from prompt templates.
func (m *Model) Classifier(labels, templates []string, truncate bool) (*zeroshot.Classifier, error) {
	return zeroshot.Build(m, labels, templates, truncate)
}
