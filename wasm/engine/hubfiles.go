package engine

import (
	"fmt"

	"github.com/clip-go/clip/model/arch"
	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/model/tokenizer"
)

// HubFiles are the small files of a model-hub folder, as bytes (nil: absent), for
// quantizing a model that is not on disk (the page downloads them, or the user picks
// them).
type HubFiles struct {
	Config        []byte // config.json (required)
	Vocab, Merges []byte // vocab.json and merges.txt
	TokenizerJSON []byte // tokenizer.json, used without vocab.json and merges.txt
	Preprocessor  []byte // preprocessor_config.json
}

// maxTokenizerFile bounds a tokenizer file (CLIP's are 1-4 MB), as `clip` does.
const maxTokenizerFile = 64 << 20

// Prepare reads the files as `clip quantize` reads a folder (model.LoadWeights,
// model.LoadTokenizer, imageproc.LoadConfig) and returns what the quantizer stores:
// config.json re-encoded with the hub's defaults filled in, the tokenizer as vocab.json
// and merges.txt (from those files, else tokenizer.json, else the built-in vocabulary),
// and the image preprocessing (CLIP's default for the image size without a file).
func (h HubFiles) Prepare() (configJSON, vocab, merges []byte, pre Preprocessor, err error) {
	if h.Config == nil {
		return nil, nil, nil, pre, fmt.Errorf("%w: no config.json", ErrNotCLIP)
	}
	cfg, err := arch.Parse(h.Config)
	if err != nil {
		return nil, nil, nil, pre, fmt.Errorf("%w: config.json: %v", ErrNotCLIP, err)
	}
	if configJSON, err = cfg.Marshal(); err != nil {
		return nil, nil, nil, pre, err
	}
	var tok *tokenizer.Tokenizer
	switch {
	case len(h.Vocab) > maxTokenizerFile || len(h.Merges) > maxTokenizerFile || len(h.TokenizerJSON) > maxTokenizerFile:
		return nil, nil, nil, pre, fmt.Errorf("a tokenizer file larger than 64 MiB, not a CLIP tokenizer")
	case h.Vocab != nil && h.Merges != nil:
		tok, err = tokenizer.ParseHub(h.Vocab, h.Merges)
	case h.TokenizerJSON != nil:
		tok, err = tokenizer.ParseHubFast(h.TokenizerJSON)
	default:
		tok, err = tokenizer.Default()
	}
	if err != nil {
		return nil, nil, nil, pre, fmt.Errorf("tokenizer: %w", err)
	}
	if vocab, merges, err = tok.HubBytes(); err != nil {
		return nil, nil, nil, pre, err
	}
	img := imageproc.DefaultConfig(cfg.Vision.ImageSize)
	if h.Preprocessor != nil {
		if img, err = imageproc.ParseConfig(h.Preprocessor); err != nil {
			return nil, nil, nil, pre, fmt.Errorf("preprocessor_config.json: %w", err)
		}
	}
	return configJSON, vocab, merges, img.Record(), nil
}
