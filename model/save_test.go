package model

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/clip-go/clip/internal/fixtures"
	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/model/tokenizer"
)

// TestSaveFolderRoundTrip: a saved folder loads back to a model with the same outputs.
func TestSaveFolderRoundTrip(t *testing.T) {
	ref := loadReference(t)
	m := loadTiny(t, "openai.safetensors")
	tok, err := tokenizer.LoadOriginal(fixtures.Path(t, "clip-bpe", "bpe_simple_vocab_16e6.txt.gz"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "exported")
	if err := m.SaveFolder(dir, tok, nil); err != nil {
		t.Fatal(err)
	}
	back, err := Load(dir, m.Backend)
	if err != nil {
		t.Fatal(err)
	}
	txt, err := back.EncodeTokens(ref.ids)
	if err != nil {
		t.Fatal(err)
	}
	if e := relErr(txt, ref.textFeats); e > 1e-6 {
		t.Errorf("reloaded text features: relative error %.2e", e)
	}
	if back.Image != imageproc.DefaultConfig(m.Config.Vision.ImageSize) {
		t.Errorf("preprocessing config %+v", back.Image)
	}
	texts, err := back.EncodeTexts([]string{"a photo of a dog."}, false)
	if err != nil {
		t.Fatal(err)
	}
	if e := relErr(texts, ref.textFeats[:1]); e > 1e-4 {
		t.Errorf("text through the saved tokenizer: relative error %.2e", e)
	}
	// The hub's tokenizer files are there, and a folder with only tokenizer.json (as some
	// tools save it) loads the same tokenizer.
	for _, f := range []string{"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"} {
		if !exists(filepath.Join(dir, f)) {
			t.Errorf("no %s in the saved folder", f)
		}
	}
	for _, f := range []string{"vocab.json", "merges.txt"} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	fast, err := LoadTokenizer(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := fast.Encode("a photo of 2 dogs, it's 🐶")
	e, _ := tok.Encode("a photo of 2 dogs, it's 🐶")
	if !slices.Equal(a, e) {
		t.Errorf("tokenizer.json alone: %v, want %v", a, e)
	}
}
