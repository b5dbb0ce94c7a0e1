package tokenizer

import (
	"bytes"
	"os"
	"path/filepath"
)

// WriteHub writes the vocabulary as a model hub folder has it: vocab.json (token → id)
// and merges.txt ("#version: 0.2", then one merge per line in rank order).
func (t *Tokenizer) WriteHub(dir string) error {
	v, m, err := t.HubBytes()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "vocab.json"), v, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "merges.txt"), m, 0o644)
}

// HubBytes returns what WriteHub writes: vocab.json and merges.txt.
func (t *Tokenizer) HubBytes() (vocabJSON, mergesTxt []byte, err error) {
	v, err := t.vocabJSON()
	if err != nil {
		return nil, nil, err
	}
	var m bytes.Buffer
	m.WriteString("#version: 0.2\n")
	for _, mg := range t.merges {
		m.WriteString(mg[0] + " " + mg[1] + "\n")
	}
	return v, m.Bytes(), nil
}
