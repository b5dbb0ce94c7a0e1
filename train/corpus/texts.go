package corpus

import (
	"archive/tar"
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/clip-go/clip/train/data"
)

// TextsFile is the distillation text set a build writes beside its shards: one text per
// line, each once, most useful first (distillTexts). The text tower is distilled on it towards the teacher
// (train/teacher, issue 26), so it holds language, not pictures: every caption of the
// training pairs, and every CLDR name and keyword of every emoji in every locale of
// Locales, alone and in the captions' phrasing. That includes the names of the held-out
// concepts, as text only: a text encoder that knows a word is what zero-shot
// classification needs, as CLIP's knows "tortoise" without a tortoise picture; their
// pictures stay out of training. Clip art titles and icon names of held-out concepts
// come only from their CLDR entries.
const TextsFile = "texts.txt"

// maxTextBytes bounds one text of the set (a caption or a CLDR keyword is far shorter;
// the tokenizer truncates at the context length anyway).
const maxTextBytes = 300

// distillTexts is the text set of db's concepts and the training captions, most useful
// first, so that a distillation run that can afford only the first n texts (clip distill
// --max-texts) gets the names before their phrasings: every locale's CLDR names, then the
// names in the captions' phrasings, then the keywords, then the captions in an order
// shuffled by their hash (a caption is mostly a name in a phrasing already there).
func distillTexts(db *emojiDB, captions []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		s = strings.Join(strings.Fields(s), " ")
		if s == "" || len(s) > maxTextBytes || seen[s] {
			return
		}
		seen[s] = true
		out = append(out, s)
	}
	for _, c := range db.Concepts {
		for _, loc := range Locales {
			add(c.Names[loc])
		}
	}
	for _, c := range db.Concepts {
		for _, loc := range Locales {
			if c.Names[loc] != "" {
				for _, t := range textTemplates[loc] {
					add(strings.ReplaceAll(t, "{}", c.Names[loc]))
				}
			}
		}
	}
	for _, c := range db.Concepts {
		for _, loc := range Locales {
			for _, w := range c.Tags[loc] {
				add(w)
			}
		}
	}
	caps := slices.Clone(captions)
	hash := func(s string) uint64 { h := fnv.New64a(); h.Write([]byte(s)); return h.Sum64() }
	sort.SliceStable(caps, func(i, j int) bool { return hash(caps[i]) < hash(caps[j]) })
	for _, c := range caps {
		add(c)
	}
	return out
}

// textTemplates phrase a name as the training captions and the pictogram prompts do.
var textTemplates = map[string][]string{
	"en": {"an emoji of a {}", "an icon of a {}"},
	"ko": {"{} 이모지"},
	"de": {"ein Emoji: {}"},
	"fr": {"un emoji : {}"},
	"es": {"un emoji de {}"},
}

// writeTexts writes the build's distillation text set.
func (b *builder) writeTexts() error {
	var caps []string
	for _, s := range b.train {
		for _, c := range s.captions {
			caps = append(caps, c.Text)
		}
	}
	texts := distillTexts(b.db, caps)
	return b.writeFile(TextsFile, []byte(strings.Join(texts, "\n")+"\n"), len(texts))
}

// WriteTexts (re)writes out/texts.txt for a corpus built before the build wrote it:
// the captions come from its training shards, the names from emojibase in cache (fetched
// if missing). It returns the number of texts.
func WriteTexts(out, cache string) (int, error) {
	caps, err := ShardCaptions(filepath.Join(out, "shards", "*.tar"))
	if err != nil {
		return 0, fmt.Errorf("corpus: the training shards of %s: %w", out, err)
	}
	f := &Fetcher{Cache: cache}
	tgz, err := f.NPM(pkgEmojibase)
	if err != nil {
		return 0, err
	}
	files, err := readTGZFiles(tgz, emojibaseFiles()...)
	if err != nil {
		return 0, err
	}
	db, err := loadEmojibase(files)
	if err != nil {
		return 0, err
	}
	texts := distillTexts(db, caps)
	return len(texts), os.WriteFile(filepath.Join(out, TextsFile), []byte(strings.Join(texts, "\n")+"\n"), 0o644)
}

// ShardCaptions is every caption candidate of the training shards that spec names
// (package data's specs: globs, brace groups, "::") in the languages langs ("en", "ko":
// the captions' "lang"; none: all).
func ShardCaptions(spec string, langs ...string) ([]string, error) {
	samples, err := ShardCaptionSets(spec)
	var out []string
	for _, cs := range samples {
		for _, c := range cs {
			if len(langs) == 0 || slices.Contains(langs, c.Lang) {
				out = append(out, c.Text)
			}
		}
	}
	return out, err
}

// ShardCaptionSets is the caption candidates of each sample of the training shards that
// spec names, in shard order: a sample's captions are one picture's names in several
// languages, so they pair translations.
func ShardCaptionSets(spec string) ([][]Caption, error) {
	files, err := data.ExpandSpec(spec)
	if err != nil {
		return nil, err
	}
	var out [][]Caption
	for _, f := range files {
		cs, err := shardCaptionSets(f)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

// shardCaptionSets reads the caption candidates of each of a training shard's .json
// members.
func shardCaptionSets(path string) ([][]Caption, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][]Caption
	tr := tar.NewReader(bufio.NewReader(f))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if !strings.HasSuffix(h.Name, ".json") || h.Size > 1<<20 {
			continue
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		var m struct {
			Captions []Caption `json:"captions"`
		}
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, h.Name, err)
		}
		out = append(out, m.Captions)
	}
}

// ReadTexts reads a texts.txt: one text per line, empty lines skipped, at most max texts.
func ReadTexts(path string, max int) ([]string, error) {
	body, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range bytes.Split(body, []byte("\n")) {
		s := strings.TrimSpace(string(line))
		if s == "" {
			continue
		}
		if len(out) == max {
			return nil, fmt.Errorf("%s: more than %d texts", path, max)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no texts", path)
	}
	return out, nil
}
