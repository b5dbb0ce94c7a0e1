package main

import (
	"fmt"

	"github.com/clip-go/clip/train/corpus"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDistillUsage: clip distill's command-line mistakes are usage errors (exit 2) that
// name the flag, found before the teacher is installed or anything is trained; a texts
// file with no texts is an error that names it.
func TestDistillUsage(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "texts.txt")
	if err := os.WriteFile(empty, []byte("\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "run")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"distill", "--out", out}, 2, "--texts"},
		{[]string{"distill", "--texts", empty}, 2, "--out"},
		{[]string{"distill", "--texts", empty, "--out", out, "--max-texts", "-1"}, 2, "--max-texts"},
		{[]string{"distill", "--texts", empty, "--out", out, "--anchor", "1"}, 2, "--anchor-data"},
		{[]string{"distill", "--texts", empty, "--out", out, "--anchor-data", "x/*.tar"}, 2, "--anchor"},
		{[]string{"distill", "--texts", empty, "--out", out, "--translations"}, 2, "--anchor-lang"},
		{[]string{"distill", "--texts", empty, "--out", out, "--batch", "1"}, 2, "batch"},
		{[]string{"distill", "--texts", empty, "--out", out, "extra"}, 2, "extra"},
		{[]string{"distill", "--texts", empty, "--out", out}, 1, "no texts"},
		{[]string{"distill", "--texts", filepath.Join(dir, "missing.txt"), "--out", out}, 1, "missing.txt"},
	} {
		_, stderr, code := clip(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("clip %s: exit %d, %q; want exit %d naming %q", strings.Join(c.args, " "), code, stderr, c.code, c.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed distill made its run folder")
	}
}

// TestAnchorsFor: captions in the anchor languages are anchored to themselves; with
// translations, a caption in another language to its pictures' captions in those
// languages (gathered over every picture it names); any other text is free.
func TestAnchorsFor(t *testing.T) {
	sets := [][]corpus.Caption{
		{{Text: "an emoji of a turtle", Lang: "en"}, {Text: "turtle", Lang: "en"}, {Text: "거북이 이모지", Lang: "ko"}},
		{{Text: "a turtle icon", Lang: "en"}, {Text: "거북이 이모지", Lang: "ko"}},
		{{Text: "  a  dog ", Lang: "en"}, {Text: "Hund", Lang: "de"}},
	}
	texts := []string{"an emoji of a turtle", "거북이 이모지", "a dog", "Hund", "tortoise"}
	for _, c := range []struct {
		langs        string
		translations bool
		want         [][]string
	}{
		{"", false, [][]string{{"an emoji of a turtle"}, {"거북이 이모지"}, {"a dog"}, {"Hund"}, nil}},
		{"en", false, [][]string{{"an emoji of a turtle"}, nil, {"a dog"}, nil, nil}},
		{"en", true, [][]string{{"an emoji of a turtle"}, {"an emoji of a turtle", "turtle", "a turtle icon"}, {"a dog"}, {"a dog"}, nil}},
		{"en,de", true, [][]string{{"an emoji of a turtle"}, {"an emoji of a turtle", "turtle", "a turtle icon"}, {"a dog"}, {"Hund"}, nil}},
	} {
		got := anchorsFor(texts, sets, c.langs, c.translations)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("anchorsFor(%q, %v):\n got %q\nwant %q", c.langs, c.translations, got, c.want)
		}
	}
}
