package tokenizer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
)

// ParseHub builds a tokenizer from the bytes of a model-hub vocab.json and merges.txt,
// for callers without files (the WebAssembly engine reads them from its model file).
func ParseHub(vocabJSON, mergesTxt []byte) (*Tokenizer, error) {
	var enc map[string]int
	if err := json.Unmarshal(vocabJSON, &enc); err != nil {
		return nil, fmt.Errorf("corrupt vocabulary: %v", err)
	}
	skip := 0
	if bytes.HasPrefix(mergesTxt, []byte("#version")) {
		skip = 1
	}
	merges, err := parseMerges(bufio.NewReader(bytes.NewReader(mergesTxt)), skip, 0)
	if err != nil {
		return nil, fmt.Errorf("merges: %w", err)
	}
	return newTokenizer(enc, merges)
}
