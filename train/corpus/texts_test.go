package corpus

import (
	"archive/tar"
	"bytes"
	"github.com/clip-go/clip/evaluate"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDistillTexts: names of every locale first (held-out concepts too: the set is
// text only), then the names in the captions' phrasings, the keywords, and the captions;
// each text once, blanks and spaces tidied, over-long texts left out.
func TestDistillTexts(t *testing.T) {
	db := &emojiDB{Concepts: []*Concept{
		{Hex: "1F422", Names: map[string]string{"en": "turtle", "ko": "거북이"}, Tags: map[string][]string{"en": {"reptile", "turtle"}}},
		{Hex: "1F436", Names: map[string]string{"en": "dog face"}, Tags: map[string][]string{"en": {"pet"}}},
	}}
	caps := []string{"an emoji of a turtle", "  a   black icon of a cog ", "", strings.Repeat("x", maxTextBytes+1)}
	got := distillTexts(db, caps)
	want := []string{
		"turtle", "거북이", "dog face",
		"an emoji of a turtle", "an icon of a turtle", "거북이 이모지", "an emoji of a dog face", "an icon of a dog face",
		"reptile", "pet",
		"a black icon of a cog",
	}
	if !slices.Equal(got, want) {
		t.Errorf("distillTexts:\n got %q\nwant %q", got, want)
	}
}

// TestReadTexts: one text per line, blank lines skipped; an empty file or one over the
// limit is an error.
func TestReadTexts(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "texts.txt")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	got, err := ReadTexts(write("a cat\n\n  a dog \n"), 10)
	if err != nil || !slices.Equal(got, []string{"a cat", "a dog"}) {
		t.Errorf("ReadTexts: %q, %v", got, err)
	}
	if _, err := ReadTexts(write("\n\n"), 10); err == nil {
		t.Error("no texts: no error")
	}
	if _, err := ReadTexts(write("a\nb\nc\n"), 2); err == nil {
		t.Error("more texts than the limit: no error")
	}
	if _, err := ReadTexts(filepath.Join(dir, "missing.txt"), 2); err == nil {
		t.Error("a missing file: no error")
	}
}

// TestShardCaptions: every caption candidate of a shard's .json members, or those of the
// languages asked for; a shard that is not there is an error.
func TestShardCaptions(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, body := range map[string]string{
		"a.json": `{"captions":[{"text":"an emoji of a turtle","lang":"en"},{"text":"거북이 이모지","lang":"ko"}]}`,
		"a.png":  "not read",
		"b.json": `{"captions":[{"text":"a dog","lang":"en"}]}`,
	} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	if err := os.WriteFile(filepath.Join(dir, "train-000000.tar"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(dir, "*.tar")
	for _, c := range []struct {
		langs []string
		want  []string
	}{
		{nil, []string{"an emoji of a turtle", "거북이 이모지", "a dog"}},
		{[]string{"en"}, []string{"an emoji of a turtle", "a dog"}},
		{[]string{"ko"}, []string{"거북이 이모지"}},
	} {
		got, err := ShardCaptions(spec, c.langs...)
		slices.Sort(got)
		slices.Sort(c.want)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ShardCaptions(%v): %q, %v; want %q", c.langs, got, err, c.want)
		}
	}
	if _, err := ShardCaptions(filepath.Join(dir, "missing-*.tar")); err == nil {
		t.Error("no shards: no error")
	}
}

// TestSmallBuildTexts: a build writes texts.txt with every training caption and the CLDR
// names of held-out concepts too (text only), names first; WriteTexts, for a corpus built
// before builds wrote it, reproduces the file from the shards.
func TestSmallBuildTexts(t *testing.T) {
	out := smallBuild(t)
	path := filepath.Join(out, TextsFile)
	texts, err := ReadTexts(path, 10_000_000)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, s := range texts {
		have[s] = true
	}
	caps, err := ShardCaptions(filepath.Join(out, "shards", "*.tar"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range caps {
		if !have[strings.Join(strings.Fields(c), " ")] {
			t.Errorf("training caption %q is not in %s", c, TextsFile)
			break
		}
	}
	heldOut, err := evaluate.Load(filepath.Join(out, "eval", SetUnseenClasses))
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "ko"} {
		if err := heldOut.Rename("", lang); err != nil {
			t.Fatal(err)
		}
		if name := heldOut.Classes[0]; !have[name] {
			t.Errorf("the held-out class name %q (%s) is not in %s", name, lang, TextsFile)
		}
	}
	if texts[0] != "grinning face" {
		t.Errorf("%s starts with %q, want the first CLDR name", TextsFile, texts[0])
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	cache, _ := filepath.Rel(wd, repoCache(t))
	if _, err := WriteTexts(out, cache); err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("WriteTexts rewrote %s differently (%v)", TextsFile, err)
	}
}
