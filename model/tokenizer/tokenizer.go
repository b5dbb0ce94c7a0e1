// Package tokenizer is CLIP's byte-level BPE tokenizer, exact to the original
// (openai/CLIP simple_tokenizer.py): text clean-up, the split pattern, the byte-to-unicode
// table, BPE by merge rank, and the 77-token context with start and end tokens.
package tokenizer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
)

// Special token strings.
const (
	StartOfText = "<|startoftext|>"
	EndOfText   = "<|endoftext|>"
)

// ContextLength is the sequence length of the original CLIP text encoder.
const ContextLength = 77

// numMerges is how many merges of bpe_simple_vocab_16e6.txt the original uses
// (49152 - 256 - 2): with the 512 byte tokens and the two special tokens, 49408 ids.
const numMerges = 49152 - 256 - 2

// splitPattern is the reference pattern. Go's \s is ASCII-only where Python's is Unicode,
// but clean() has already turned every Unicode whitespace run into one ' ', so they agree.
var splitPattern = regexp.MustCompile(`(?i)<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+`)

// Tokenizer maps text to CLIP token ids. It is safe for concurrent use.
type Tokenizer struct {
	encoder  map[string]int
	merges   [][2]string
	ranks    map[[2]string]int
	byteEnc  [256]string
	SOT, EOT int

	mu    sync.Mutex
	cache map[string][]int
}

// maxCache bounds the per-word cache: inputs are user text, so it must not grow without end.
const maxCache = 1 << 16

// bytesToUnicode is the reference table mapping each byte to a printable rune, in the
// reference order (printable Latin-1 bytes first, then the rest mapped from 256 upwards).
// The order matters: it is the order of the first 256 vocabulary entries.
func bytesToUnicode() (order []byte, table [256]string) {
	var seen [256]bool
	add := func(lo, hi int) {
		for b := lo; b <= hi; b++ {
			order = append(order, byte(b))
			seen[b] = true
			table[b] = string(rune(b))
		}
	}
	add('!', '~')
	add(0xA1, 0xAC)
	add(0xAE, 0xFF)
	n := 0
	for b := 0; b < 256; b++ {
		if !seen[b] {
			order = append(order, byte(b))
			table[b] = string(rune(256 + n))
			n++
		}
	}
	return order, table
}

func newTokenizer(encoder map[string]int, merges [][2]string) (*Tokenizer, error) {
	_, table := bytesToUnicode()
	t := &Tokenizer{encoder: encoder, merges: merges, ranks: make(map[[2]string]int, len(merges)), byteEnc: table, cache: map[string][]int{}}
	for i, m := range merges {
		if _, dup := t.ranks[m]; !dup {
			t.ranks[m] = i
		}
	}
	var ok1, ok2 bool
	t.SOT, ok1 = encoder[StartOfText]
	t.EOT, ok2 = encoder[EndOfText]
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("vocabulary has no %s or %s token", StartOfText, EndOfText)
	}
	return t, nil
}

// FromMerges builds the tokenizer the way the original does from its merges list alone:
// the 256 byte tokens, the same with "</w>", one token per merge, then the two specials.
func FromMerges(merges [][2]string) (*Tokenizer, error) {
	order, table := bytesToUnicode()
	vocab := make([]string, 0, 512+len(merges)+2)
	for _, b := range order {
		vocab = append(vocab, table[b])
	}
	for _, b := range order {
		vocab = append(vocab, table[b]+"</w>")
	}
	for _, m := range merges {
		vocab = append(vocab, m[0]+m[1])
	}
	vocab = append(vocab, StartOfText, EndOfText)
	enc := make(map[string]int, len(vocab))
	for i, v := range vocab {
		enc[v] = i
	}
	return newTokenizer(enc, merges)
}

// parseMerges reads "a b" lines; skip is the number of header lines to drop and max
// the number of merges to keep (0 for all).
func parseMerges(r io.Reader, skip, max int) ([][2]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	var merges [][2]string
	line := 0
	for sc.Scan() {
		line++
		if line <= skip {
			continue
		}
		s := sc.Text()
		if s == "" {
			continue
		}
		a, b, ok := strings.Cut(s, " ")
		if !ok || strings.Contains(b, " ") {
			return nil, fmt.Errorf("line %d: not a merge (want two tokens separated by a space): %q", line, s)
		}
		merges = append(merges, [2]string{a, b})
		if max > 0 && len(merges) == max {
			break
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(merges) == 0 {
		return nil, fmt.Errorf("no merges found")
	}
	return merges, nil
}

// LoadOriginal reads the original gzipped merges file (bpe_simple_vocab_16e6.txt.gz).
func LoadOriginal(path string) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := ParseOriginal(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// ParseOriginal parses the bytes of bpe_simple_vocab_16e6.txt.gz.
func ParseOriginal(gz []byte) (*Tokenizer, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("not a gzip file: %v", err)
	}
	merges, err := parseMerges(io.LimitReader(zr, 64<<20), 1, numMerges)
	if err != nil {
		return nil, err
	}
	return FromMerges(merges)
}

// Load reads a model-hub tokenizer: vocab.json (token → id) and merges.txt.
func Load(vocabPath, mergesPath string) (*Tokenizer, error) {
	vb, err := os.ReadFile(vocabPath)
	if err != nil {
		return nil, err
	}
	var enc map[string]int
	if err := json.Unmarshal(vb, &enc); err != nil {
		return nil, fmt.Errorf("%s: corrupt vocabulary: %v", vocabPath, err)
	}
	mf, err := os.Open(mergesPath)
	if err != nil {
		return nil, err
	}
	defer mf.Close()
	// merges.txt starts with a "#version" line; parseMerges skips it only if present.
	br := bufio.NewReader(mf)
	skip := 0
	if head, _ := br.Peek(8); bytes.HasPrefix(head, []byte("#version")) {
		skip = 1
	}
	merges, err := parseMerges(br, skip, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", mergesPath, err)
	}
	t, err := newTokenizer(enc, merges)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", vocabPath, err)
	}
	return t, nil
}

// Encode returns the token ids of text, without start and end tokens.
func (t *Tokenizer) Encode(text string) ([]int, error) {
	var ids []int
	for _, word := range splitPattern.FindAllString(clean(text), -1) {
		wordIDs, err := t.encodeWord(word)
		if err != nil {
			return nil, err
		}
		ids = append(ids, wordIDs...)
	}
	return ids, nil
}

func (t *Tokenizer) encodeWord(word string) ([]int, error) {
	switch word {
	case StartOfText:
		return []int{t.SOT}, nil
	case EndOfText:
		return []int{t.EOT}, nil
	}
	t.mu.Lock()
	ids, ok := t.cache[word]
	t.mu.Unlock()
	if ok {
		return ids, nil
	}
	var sb strings.Builder
	for i := 0; i < len(word); i++ {
		sb.WriteString(t.byteEnc[word[i]])
	}
	for _, piece := range t.bpe(sb.String()) {
		id, ok := t.encoder[piece]
		if !ok {
			return nil, fmt.Errorf("token %q is not in the vocabulary (vocabulary and merges do not match)", piece)
		}
		ids = append(ids, id)
	}
	t.mu.Lock()
	if len(t.cache) >= maxCache {
		clear(t.cache)
	}
	t.cache[word] = ids
	t.mu.Unlock()
	return ids, nil
}

// bpe merges the symbols of one byte-encoded word, lowest merge rank first, exactly as the
// reference loop does (including its handling of repeated symbols).
func (t *Tokenizer) bpe(token string) []string {
	runes := []rune(token)
	word := make([]string, len(runes))
	for i, r := range runes {
		word[i] = string(r)
	}
	word[len(word)-1] += "</w>"
	for len(word) > 1 {
		best, bestRank := [2]string{}, -1
		for i := 0; i+1 < len(word); i++ {
			p := [2]string{word[i], word[i+1]}
			if r, ok := t.ranks[p]; ok && (bestRank < 0 || r < bestRank) {
				best, bestRank = p, r
			}
		}
		if bestRank < 0 {
			break
		}
		merged := make([]string, 0, len(word))
		for i := 0; i < len(word); {
			if i+1 < len(word) && word[i] == best[0] && word[i+1] == best[1] {
				merged = append(merged, best[0]+best[1])
				i += 2
			} else {
				merged = append(merged, word[i])
				i++
			}
		}
		word = merged
	}
	return word
}

// Pad returns the model input for ids: start token, ids, end token, truncated to length
// with the end token kept last, then zero-padded. truncated reports whether ids were cut.
func (t *Tokenizer) Pad(ids []int, length int) (padded []int, truncated bool) {
	padded = make([]int, length)
	seq := append(append([]int{t.SOT}, ids...), t.EOT)
	if len(seq) > length {
		seq = seq[:length]
		seq[length-1] = t.EOT
		truncated = true
	}
	copy(padded, seq)
	return padded, truncated
}

// VocabSize is the number of ids.
func (t *Tokenizer) VocabSize() int { return len(t.encoder) }
