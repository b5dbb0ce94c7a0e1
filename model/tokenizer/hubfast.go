package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The hub's tools read a tokenizer from more than vocab.json and merges.txt:
// tokenizer.json (the fast tokenizer of the `tokenizers` library, the only file
// transformers.js reads), tokenizer_config.json (the context length, the class and the
// special tokens) and special_tokens_map.json. WriteHubFast writes the three as
// transformers' CLIPTokenizerFast saves them for CLIP's vocabulary, so a folder we export
// loads without conversion and without warnings.

// splitRegex is the pre-tokenizer's split, CLIP's pattern without the special tokens
// (the `tokenizers` library matches added tokens before pre-tokenizing) and without
// (?i): the normalizer has lower-cased the text already.
const splitRegex = `'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`

type hubAddedToken struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

type hubPattern struct {
	Regex string `json:"Regex"`
}

type hubStep struct {
	Type         string      `json:"type"`
	Pattern      *hubPattern `json:"pattern,omitempty"`
	Content      *string     `json:"content,omitempty"`
	Behavior     string      `json:"behavior,omitempty"`
	Invert       *bool       `json:"invert,omitempty"`
	AddPrefix    *bool       `json:"add_prefix_space,omitempty"`
	TrimOffsets  *bool       `json:"trim_offsets,omitempty"`
	UseRegex     *bool       `json:"use_regex,omitempty"`
	Normalizers  []hubStep   `json:"normalizers,omitempty"`
	PreTokenizer []hubStep   `json:"pretokenizers,omitempty"`
}

type hubPost struct {
	Type         string `json:"type"`
	Sep          [2]any `json:"sep"`
	Cls          [2]any `json:"cls"`
	TrimOffsets  bool   `json:"trim_offsets"`
	AddPrefixSpc bool   `json:"add_prefix_space"`
}

type hubBPE struct {
	Type                    string          `json:"type"`
	Dropout                 *float64        `json:"dropout"`
	UnkToken                string          `json:"unk_token"`
	ContinuingSubwordPrefix string          `json:"continuing_subword_prefix"`
	EndOfWordSuffix         string          `json:"end_of_word_suffix"`
	FuseUnk                 bool            `json:"fuse_unk"`
	ByteFallback            bool            `json:"byte_fallback"`
	Vocab                   json.RawMessage `json:"vocab"`
	// Merges as "a b" strings: every version of `tokenizers` and transformers.js reads
	// them (newer ones also write [a, b] pairs, which ParseHubFast accepts too).
	Merges []string `json:"merges"`
}

type hubTokenizer struct {
	Version       string          `json:"version"`
	Truncation    any             `json:"truncation"`
	Padding       any             `json:"padding"`
	AddedTokens   []hubAddedToken `json:"added_tokens"`
	Normalizer    hubStep         `json:"normalizer"`
	PreTokenizer  hubStep         `json:"pre_tokenizer"`
	PostProcessor hubPost         `json:"post_processor"`
	Decoder       hubStep         `json:"decoder"`
	Model         hubBPE          `json:"model"`
}

func ptr[T any](v T) *T { return &v }

// vocabJSON is vocab.json: token → id, in id order (a Go map would marshal in key order).
func (t *Tokenizer) vocabJSON() ([]byte, error) {
	tokens := make([]string, len(t.encoder))
	for tok, id := range t.encoder {
		if id < 0 || id >= len(tokens) || tokens[id] != "" {
			return nil, fmt.Errorf("vocabulary ids are not 0..%d, each once", len(tokens)-1)
		}
		tokens[id] = tok
	}
	var v bytes.Buffer
	v.WriteByte('{')
	for id, tok := range tokens {
		if id > 0 {
			v.WriteByte(',')
		}
		k, err := json.Marshal(tok)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&v, "%s:%d", k, id)
	}
	v.WriteByte('}')
	return v.Bytes(), nil
}

// fastJSON is tokenizer.json for this vocabulary.
func (t *Tokenizer) fastJSON() ([]byte, error) {
	vocab, err := t.vocabJSON()
	if err != nil {
		return nil, err
	}
	merges := make([]string, len(t.merges))
	for i, m := range t.merges {
		merges[i] = m[0] + " " + m[1]
	}
	special := func(id int, s string) hubAddedToken {
		return hubAddedToken{ID: id, Content: s, Normalized: true, Special: true}
	}
	doc := hubTokenizer{
		Version:     "1.0",
		AddedTokens: []hubAddedToken{special(t.SOT, StartOfText), special(t.EOT, EndOfText)},
		Normalizer: hubStep{Type: "Sequence", Normalizers: []hubStep{
			{Type: "NFC"},
			{Type: "Replace", Pattern: &hubPattern{`\s+`}, Content: ptr(" ")},
			{Type: "Lowercase"},
		}},
		PreTokenizer: hubStep{Type: "Sequence", PreTokenizer: []hubStep{
			{Type: "Split", Pattern: &hubPattern{splitRegex}, Behavior: "Removed", Invert: ptr(true)},
			{Type: "ByteLevel", AddPrefix: ptr(false), TrimOffsets: ptr(true), UseRegex: ptr(true)},
		}},
		PostProcessor: hubPost{Type: "RobertaProcessing", Sep: [2]any{EndOfText, t.EOT}, Cls: [2]any{StartOfText, t.SOT}},
		Decoder:       hubStep{Type: "ByteLevel", AddPrefix: ptr(true), TrimOffsets: ptr(true), UseRegex: ptr(true)},
		Model: hubBPE{Type: "BPE", UnkToken: EndOfText, EndOfWordSuffix: "</w>",
			Vocab: vocab, Merges: merges},
	}
	return json.MarshalIndent(doc, "", "  ")
}

// WriteHubFast writes tokenizer.json, tokenizer_config.json and special_tokens_map.json
// into dir; contextLength is the model's (tokenizer_config's model_max_length).
func (t *Tokenizer) WriteHubFast(dir string, contextLength int) error {
	fast, err := t.fastJSON()
	if err != nil {
		return err
	}
	tok := func(s string) map[string]any {
		return map[string]any{"content": s, "lstrip": false, "normalized": true, "rstrip": false, "single_word": false}
	}
	specials := map[string]any{"bos_token": tok(StartOfText), "eos_token": tok(EndOfText),
		"unk_token": tok(EndOfText), "pad_token": EndOfText}
	cfg := map[string]any{
		"tokenizer_class":  "CLIPTokenizer",
		"model_max_length": contextLength,
		"bos_token":        StartOfText, "eos_token": EndOfText, "unk_token": EndOfText, "pad_token": EndOfText,
		"added_tokens_decoder": map[string]any{
			fmt.Sprint(t.SOT): withSpecial(tok(StartOfText)),
			fmt.Sprint(t.EOT): withSpecial(tok(EndOfText)),
		},
		"clean_up_tokenization_spaces": false,
		"do_lower_case":                true,
		"errors":                       "replace",
	}
	files := map[string]any{"tokenizer_config.json": cfg, "special_tokens_map.json": specials}
	for name, v := range files {
		js, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), append(js, '\n'), 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, "tokenizer.json"), append(fast, '\n'), 0o644)
}

func withSpecial(m map[string]any) map[string]any {
	m["special"] = true
	return m
}

// maxTokenizerJSON bounds tokenizer.json (CLIP's is 2.2 MB; a file from elsewhere is
// untrusted input).
const maxTokenizerJSON = 64 << 20

// ParseHubFast builds a tokenizer from a tokenizer.json holding a CLIP-style BPE model
// (end-of-word suffix "</w>", byte-level): the vocabulary and the merges, which is all
// CLIP's tokenization needs besides its fixed rules.
func ParseHubFast(data []byte) (*Tokenizer, error) {
	if len(data) > maxTokenizerJSON {
		return nil, fmt.Errorf("tokenizer.json is larger than %d MiB", maxTokenizerJSON>>20)
	}
	var doc struct {
		Model struct {
			Type            string            `json:"type"`
			EndOfWordSuffix string            `json:"end_of_word_suffix"`
			Vocab           map[string]int    `json:"vocab"`
			Merges          []json.RawMessage `json:"merges"`
		} `json:"model"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("tokenizer.json: %v", err)
	}
	m := doc.Model
	if m.Type != "BPE" || m.EndOfWordSuffix != "</w>" {
		return nil, fmt.Errorf("tokenizer.json: a %q model with end-of-word suffix %q is not CLIP's BPE", m.Type, m.EndOfWordSuffix)
	}
	merges := make([][2]string, 0, len(m.Merges))
	for i, raw := range m.Merges {
		var pair [2]string
		var s string
		if json.Unmarshal(raw, &s) == nil {
			a, b, ok := strings.Cut(s, " ")
			if !ok || a == "" || b == "" {
				return nil, fmt.Errorf("tokenizer.json: merge %d %q is not two tokens", i, s)
			}
			pair = [2]string{a, b}
		} else if err := json.Unmarshal(raw, &pair); err != nil || pair[0] == "" || pair[1] == "" {
			return nil, fmt.Errorf("tokenizer.json: merge %d is neither \"a b\" nor [a, b]", i)
		}
		merges = append(merges, pair)
	}
	return newTokenizer(m.Vocab, merges)
}
