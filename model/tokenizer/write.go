package tokenizer

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
)

// WriteHub writes the vocabulary as a model hub folder has it: vocab.json (token → id)
// and merges.txt ("#version: 0.2", then one merge per line in rank order).
func (t *Tokenizer) WriteHub(dir string) error {
	tokens := make([]string, 0, len(t.encoder))
	for tok := range t.encoder {
		tokens = append(tokens, tok)
	}
	sort.Slice(tokens, func(a, b int) bool { return t.encoder[tokens[a]] < t.encoder[tokens[b]] })
	// Written by hand to keep id order (a Go map marshals in key order).
	var v bytes.Buffer
	v.WriteByte('{')
	for i, tok := range tokens {
		if i > 0 {
			v.WriteByte(',')
		}
		k, err := json.Marshal(tok)
		if err != nil {
			return err
		}
		v.Write(k)
		v.WriteByte(':')
		id, _ := json.Marshal(t.encoder[tok])
		v.Write(id)
	}
	v.WriteByte('}')
	var m bytes.Buffer
	m.WriteString("#version: 0.2\n")
	for _, mg := range t.merges {
		m.WriteString(mg[0] + " " + mg[1] + "\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "vocab.json"), v.Bytes(), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "merges.txt"), m.Bytes(), 0o644)
}
