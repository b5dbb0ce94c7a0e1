package tokenizer

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/fixtures"
)

type tokCase struct {
	Text string `json:"text"`
	IDs  []int  `json:"ids"`
}

// referenceTokenizers returns the tokenizer from both layouts of the shared vocabulary,
// and the built-in one when this build has it.
func referenceTokenizers(t *testing.T) map[string]*Tokenizer {
	dir := fixtures.Path(t, "clip-bpe")
	orig, err := LoadOriginal(dir + "/bpe_simple_vocab_16e6.txt.gz")
	if err != nil {
		t.Fatal(err)
	}
	hub, err := Load(dir+"/vocab.json", dir+"/merges.txt")
	if err != nil {
		t.Fatal(err)
	}
	toks := map[string]*Tokenizer{"original": orig, "hub": hub}
	if def, err := Default(); err == nil {
		toks["built-in"] = def
	} else if os.Getenv("CI") == "true" {
		t.Fatalf("CI build has no built-in vocabulary: %v", err)
	}
	return toks
}

// referenceCases are the fixture's texts with the original tokenizer's ids.
func referenceCases(t *testing.T) []tokCase {
	t.Helper()
	data, err := os.ReadFile(fixtures.Path(t, "tokenizer-cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []tokCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	return cases
}

func TestReferenceCases(t *testing.T) {
	cases := referenceCases(t)
	for name, tok := range referenceTokenizers(t) {
		if tok.VocabSize() != 49408 || tok.SOT != 49406 || tok.EOT != 49407 {
			t.Errorf("%s: vocab %d, SOT %d, EOT %d", name, tok.VocabSize(), tok.SOT, tok.EOT)
		}
		for _, c := range cases {
			got, err := tok.Encode(c.Text)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.IDs) {
				t.Errorf("%s: Encode(%q) = %v, want %v", name, c.Text, got, c.IDs)
			}
		}
	}
}

// TestEquivalences checks cases beyond the fixture through properties of the reference
// pipeline: inputs that the clean-up must map to the same text get the same ids.
func TestEquivalences(t *testing.T) {
	tok := referenceTokenizers(t)["original"]
	tests := []struct{ a, b string }{
		{"A Photo OF a Dog", "a photo of a dog"},                           // lower-case
		{"  tab\t\t and \n\n  newline\u00a0\u2003x ", "tab and newline x"}, // whitespace runs, Unicode spaces
		{"&amp;amp; &lt;b&gt;", "& <b>"},                                   // HTML unescaped twice
		{"&eacute;t&eacute;", "été"},                                       // named entities
		{"caf\u0065\u0301", "café"},                                        // NFC
		{"it’s", "it's"},                                                   // curly quote as in ftfy
		{"ﬁne", "fine"},                                                    // ligature
		{"ＡＢＣ１２", "abc12"},                                                 // full-width ASCII
		{"ΟΔΟΣ", "οδος"},                                                   // final sigma as Python lowers it
		{"<|endoftext|>", "<|endoftext|>"},
	}
	for _, tc := range tests {
		a, _ := tok.Encode(tc.a)
		b, _ := tok.Encode(tc.b)
		if !slices.Equal(a, b) || len(a) == 0 {
			t.Errorf("Encode(%q) = %v, Encode(%q) = %v: want equal and non-empty", tc.a, a, tc.b, b)
		}
	}
}

func TestPieces(t *testing.T) {
	tok := referenceTokenizers(t)["original"]
	decode := map[int]string{}
	for s, id := range tok.encoder {
		decode[id] = s
	}
	pieces := func(text string) []string {
		ids, err := tok.Encode(text)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, id := range ids {
			out = append(out, decode[id])
		}
		return out
	}
	tests := []struct {
		text string
		want []string
	}{
		{"they'll", []string{"they</w>", "'ll</w>"}},
		{"2024", []string{"2</w>", "0</w>", "2</w>", "4</w>"}}, // digits one at a time
		{"<|endoftext|>", []string{"<|endoftext|>"}},
		{"über", []string{"Ã¼", "ber</w>"}}, // byte-level: ü is two bytes
		{"1st!!", []string{"1</w>", "st</w>", "!!</w>"}},
	}
	for _, tc := range tests {
		if got := pieces(tc.text); !slices.Equal(got, tc.want) {
			t.Errorf("pieces(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
	// An emoji is one word of four bytes; every byte sequence must encode.
	if got := pieces("🐢"); len(got) == 0 || !strings.HasSuffix(got[len(got)-1], "</w>") {
		t.Errorf("emoji pieces = %q", got)
	}
	for _, text := range []string{"\x00\x01\xff invalid utf8 \xc3", "한국어 텍스트", "日本語", "مرحبا"} {
		if _, err := tok.Encode(text); err != nil {
			t.Errorf("Encode(%q): %v", text, err)
		}
	}
}

func TestPad(t *testing.T) {
	tok := referenceTokenizers(t)["original"]
	ids, _ := tok.Encode("a photo of a dog.")
	got, truncated := tok.Pad(ids, ContextLength)
	want := append(append([]int{49406}, ids...), 49407)
	if truncated || !slices.Equal(got[:len(want)], want) || got[len(want)] != 0 || len(got) != 77 {
		t.Errorf("Pad = %v, truncated %v", got, truncated)
	}
	long, _ := tok.Encode(strings.Repeat("dog ", 100))
	got, truncated = tok.Pad(long, ContextLength)
	if !truncated || len(got) != 77 || got[0] != 49406 || got[76] != 49407 || got[75] != long[74] {
		t.Errorf("long Pad = %v, truncated %v", got, truncated)
	}
	// Exactly 75 ids fit without truncation.
	got, truncated = tok.Pad(long[:75], ContextLength)
	if truncated || got[76] != 49407 {
		t.Errorf("75 ids: truncated %v, last %d", truncated, got[76])
	}
}

func TestBadVocabulary(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(dir+"/vocab.json", []byte(`{"a": 0`), 0o644)
	os.WriteFile(dir+"/merges.txt", []byte("#version: 0.2\na b\n"), 0o644)
	if _, err := Load(dir+"/vocab.json", dir+"/merges.txt"); err == nil || !strings.Contains(err.Error(), "vocab.json") {
		t.Errorf("corrupt vocab.json: err = %v", err)
	}
	os.WriteFile(dir+"/vocab.json", []byte(`{"a": 0}`), 0o644)
	if _, err := Load(dir+"/vocab.json", dir+"/merges.txt"); err == nil || !strings.Contains(err.Error(), "endoftext") {
		t.Errorf("vocab without specials: err = %v", err)
	}
	os.WriteFile(dir+"/bpe.txt.gz", []byte("not gzip"), 0o644)
	if _, err := LoadOriginal(dir + "/bpe.txt.gz"); err == nil || !strings.Contains(err.Error(), "gzip") {
		t.Errorf("not gzip: err = %v", err)
	}
}

func BenchmarkEncode(b *testing.B) {
	tok, err := Default()
	if err != nil {
		b.Skip(err)
	}
	for i := 0; b.Loop(); i++ {
		tok.mu.Lock()
		clear(tok.cache)
		tok.mu.Unlock()
		tok.Encode("a photo of a dog, a cat and a turtle on the beach at sunset")
	}
}

// FuzzEncode: any text, valid UTF-8 or not, encodes without error into ids of the vocabulary.
func FuzzEncode(f *testing.F) {
	tok, err := Default()
	if err != nil {
		f.Skip(err)
	}
	for _, s := range []string{"a photo of a dog.", "&amp;&#x1F600;", "\xff\xfe", "ＡＢＣ ΟΔΟΣ İ", "<|startoftext|>x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids, err := tok.Encode(s)
		if err != nil {
			t.Fatalf("Encode(%q): %v", s, err)
		}
		for _, id := range ids {
			if id < 0 || id >= tok.VocabSize() {
				t.Fatalf("Encode(%q): id %d out of range", s, id)
			}
		}
	})
}

// TestWriteHub: the original vocabulary written in the hub layout is byte-identical to the
// hub's own files, and loads back to the same tokenizer.
func TestWriteHub(t *testing.T) {
	toks := referenceTokenizers(t)
	dir := t.TempDir()
	if err := toks["original"].WriteHub(dir); err != nil {
		t.Fatal(err)
	}
	ref := fixtures.Path(t, "clip-bpe")
	wantMerges, _ := os.ReadFile(ref + "/merges.txt")
	gotMerges, _ := os.ReadFile(dir + "/merges.txt")
	if strings.TrimSpace(string(gotMerges)) != strings.TrimSpace(string(wantMerges)) {
		t.Errorf("merges.txt differs from the hub's")
	}
	var want, got map[string]int
	b, _ := os.ReadFile(ref + "/vocab.json")
	json.Unmarshal(b, &want)
	b, _ = os.ReadFile(dir + "/vocab.json")
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("vocab.json: %d tokens, hub has %d", len(got), len(want))
	}
	for tok, id := range want {
		if got[tok] != id {
			t.Fatalf("vocab.json: %q = %d, hub has %d", tok, got[tok], id)
		}
	}
	back, err := Load(dir+"/vocab.json", dir+"/merges.txt")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := back.Encode("it's a photo of 2 cats 🐱")
	e, _ := toks["original"].Encode("it's a photo of 2 cats 🐱")
	if !slices.Equal(a, e) {
		t.Errorf("reloaded tokenizer: %v, want %v", a, e)
	}
}
