package tokenizer

import (
	"encoding/json"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fastCases are the fixture's texts and cases of our own: Korean, emoji, numbers,
// contractions, runs of spaces and punctuation.
func fastCases(t *testing.T) []string {
	cases := referenceCases(t)
	texts := []string{"an emoji of a 생일 케이크", "Hello, world!! It's   2024", "a 🐱 and a 🐶 ",
		"they'll say we'd've", "ÉCOLE élève", "x\ty\nz", "1234567890", ""}
	for _, c := range cases {
		texts = append(texts, c.Text)
	}
	return texts
}

// TestWriteHubFast: tokenizer.json written for the original vocabulary loads back to the
// same tokenizer, and the config files name the special tokens and the context length.
func TestWriteHubFast(t *testing.T) {
	orig := referenceTokenizers(t)["original"]
	dir := t.TempDir()
	if err := orig.WriteHubFast(dir, 77); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseHubFast(data)
	if err != nil {
		t.Fatal(err)
	}
	if back.VocabSize() != orig.VocabSize() || back.SOT != orig.SOT || back.EOT != orig.EOT {
		t.Fatalf("reloaded: vocab %d SOT %d EOT %d", back.VocabSize(), back.SOT, back.EOT)
	}
	for _, text := range fastCases(t) {
		a, _ := back.Encode(text)
		e, _ := orig.Encode(text)
		if !slices.Equal(a, e) {
			t.Errorf("Encode(%q) after tokenizer.json: %v, want %v", text, a, e)
		}
	}
	var cfg map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, "tokenizer_config.json"))
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg["model_max_length"] != 77.0 || cfg["bos_token"] != StartOfText || cfg["eos_token"] != EndOfText || cfg["tokenizer_class"] != "CLIPTokenizer" {
		t.Errorf("tokenizer_config.json: %v", cfg)
	}
	var sp map[string]any
	b, _ = os.ReadFile(filepath.Join(dir, "special_tokens_map.json"))
	if err := json.Unmarshal(b, &sp); err != nil || sp["pad_token"] != EndOfText {
		t.Errorf("special_tokens_map.json: %v (%v)", sp, err)
	}
}

func TestParseHubFastErrors(t *testing.T) {
	vocab := `{"a":0,"b":1,"ab</w>":2,"a</w>":3,"b</w>":4}`
	for _, tc := range []struct{ name, json, err string }{
		{"pairs", `{"model":{"type":"BPE","end_of_word_suffix":"</w>","vocab":` + vocab + `,"merges":[["a","b</w>"]]}}`, ""},
		{"strings", `{"model":{"type":"BPE","end_of_word_suffix":"</w>","vocab":` + vocab + `,"merges":["a b</w>"]}}`, ""},
		{"not BPE", `{"model":{"type":"WordPiece","vocab":{}}}`, "not CLIP's BPE"},
		{"no suffix", `{"model":{"type":"BPE","vocab":{}}}`, "not CLIP's BPE"},
		{"one-token merge", `{"model":{"type":"BPE","end_of_word_suffix":"</w>","vocab":` + vocab + `,"merges":["ab"]}}`, "merge 0"},
		{"number merge", `{"model":{"type":"BPE","end_of_word_suffix":"</w>","vocab":` + vocab + `,"merges":[3]}}`, "merge 0"},
		{"not JSON", `{"model":`, "tokenizer.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseHubFast([]byte(tc.json))
			if tc.err == "" {
				// A five-token vocabulary is no CLIP vocabulary: newTokenizer may refuse
				// it, but not for the merges' format.
				if err != nil && strings.Contains(err.Error(), "merge") {
					t.Fatalf("merges refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one with %q", err, tc.err)
			}
		})
	}
}

// TestHubTokenizersLibrary: the `tokenizers` library of the model hub reads our
// tokenizer.json and gives our ids. CLIP's own clean-up does two things the hub's fast
// tokenizer does not (ftfy's curly to straight quotes, and HTML unescaping): texts they
// change are left out, as the two tokenizers differ there by design. Runs with $CLIP_PYTHON, a Python with `tokenizers`
// (.ci/run makes one); skips without it, fails without it in CI.
func TestHubTokenizersLibrary(t *testing.T) {
	py := os.Getenv("CLIP_PYTHON")
	if py == "" || exec.Command(py, "-c", "import tokenizers").Run() != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI: CLIP_PYTHON=%q has no `tokenizers` (see .ci/run)", py)
		}
		t.Skip("set CLIP_PYTHON to a Python with the `tokenizers` package to compare with the hub's tokenizer")
	}
	orig := referenceTokenizers(t)["original"]
	dir := t.TempDir()
	if err := orig.WriteHubFast(dir, 77); err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, s := range fastCases(t) {
		if !strings.ContainsAny(s, "‘’“”") && html.UnescapeString(s) == s {
			texts = append(texts, s)
		}
	}
	in, _ := json.Marshal(texts)
	script := `import json, sys
from tokenizers import Tokenizer
t = Tokenizer.from_file(sys.argv[1])
print(json.dumps([e.ids for e in t.encode_batch(json.load(sys.stdin))]))`
	cmd := exec.Command(py, "-c", script, filepath.Join(dir, "tokenizer.json"))
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tokenizers: %v", err)
	}
	var got [][]int
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(texts) {
		t.Fatalf("tokenizers printed %q (%v)", out, err)
	}
	for i, text := range texts {
		ids, _ := orig.Encode(text)
		want := append(append([]int{orig.SOT}, ids...), orig.EOT)
		if !slices.Equal(got[i], want) {
			t.Errorf("%q: tokenizers %v, clip %v", text, got[i], want)
		}
	}
}
