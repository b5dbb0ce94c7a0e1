package corpus

import (
	"regexp"
	"strings"
	"unicode"
)

// Caption is one caption of a sample and its language (BCP 47: "en", "ko").
type Caption struct {
	Text string `json:"text"`
	Lang string `json:"lang"`
}

// Captions are several per image, natural sentences built from what the sources say:
// the CLDR name and keywords and the group for emoji, the name and category for icons,
// the title and keywords for clip art. Words about the picture's style come only from
// the style's own description (Style.Kinds), so they are true of the picture. The
// trainer samples one caption per step.

// naturalName turns a CLDR name into a noun phrase without article: "flag: Germany" →
// "flag of Germany", "man: red hair" → "man with red hair", "kiss: woman, man" →
// "kiss (woman, man)". Names without a colon are unchanged.
func naturalName(label string) string {
	head, tail, ok := strings.Cut(label, ": ")
	if !ok {
		return label
	}
	switch {
	case head == "flag":
		return "flag of " + tail
	case head == "keycap":
		return "keycap " + tail
	case tail == "beard":
		return head + " with a beard"
	case tail == "bald":
		return "bald " + head
	case strings.HasSuffix(tail, " hair"):
		return head + " with " + tail
	case strings.HasPrefix(tail, "facing "):
		return head + " " + tail
	}
	return head + " (" + tail + ")"
}

// withArticle puts "a", "an" or "the" before a noun phrase where English wants one:
// "a turtle", "an octopus", "the flag of Germany"; plurals ("fireworks") and names that
// start with a digit or symbol stay bare.
func withArticle(np string) string {
	if np == "" {
		return np
	}
	lower := strings.ToLower(np)
	if strings.HasPrefix(lower, "flag of ") || strings.HasPrefix(lower, "keycap ") {
		return "the " + np
	}
	first, _ := firstRune(np)
	if !unicode.IsLetter(first) {
		return np
	}
	head := lower
	if i := strings.IndexAny(head, "(,:"); i > 0 {
		head = strings.TrimSpace(head[:i])
	}
	if w := strings.Fields(head); len(w) > 0 {
		last := w[len(w)-1]
		if len(last) > 3 && strings.HasSuffix(last, "s") && !strings.HasSuffix(last, "ss") &&
			!strings.HasSuffix(last, "us") && !strings.HasSuffix(last, "is") {
			return np // a plural: "fireworks", "sparkles"
		}
	}
	if anSound(lower) {
		return "an " + np
	}
	return "a " + np
}

func firstRune(s string) (rune, int) {
	for i, r := range s {
		return r, i
	}
	return 0, 0
}

// anSound guesses whether a word starts with a vowel sound.
func anSound(lower string) bool {
	for _, p := range []string{"uni", "use", "usu", "uk", "eu", "one", "once", "ufo", "ura"} {
		if strings.HasPrefix(lower, p) {
			return false
		}
	}
	for _, p := range []string{"hour", "honest", "honour", "heir"} {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	if len(lower) > 1 && strings.ContainsRune("aefhilmnorsx", rune(lower[0])) && !unicode.IsLetter(rune(lower[1])) {
		return true // a letter name: "an A button", "an X-ray"
	}
	return strings.ContainsRune("aeiou", rune(lower[0]))
}

// localTemplates are the captions of an emoji in the other locales; {} is the CLDR
// name, {tags} its keywords.
var localTemplates = map[string][]string{
	"ko": {"{} 이모지", "{}: {tags}"},
	"de": {"Emoji: {}"},
	"fr": {"émoji : {}"},
	"es": {"emoji de {}"},
}

// emojiCaptions returns the captions of a concept drawn in a style. banned holds, per
// locale, the names of held-out concepts: a keyword containing one is dropped, and so
// is a locale whose own name for this concept contains one, so no training caption
// names a held-out concept.
func emojiCaptions(c *Concept, st *Style, groupName string, banned map[string]*phraseSet) []Caption {
	name := naturalName(c.Names["en"])
	np := withArticle(name)
	k := st.Kinds
	out := []Caption{
		{k[0] + " of " + np, "en"},
		{k[1%len(k)] + " of " + np, "en"},
		{k[2%len(k)] + " of " + np, "en"},
		{name, "en"},
	}
	if tags := keepTags(c.Tags["en"], c.Names["en"], banned["en"], 4); len(tags) > 0 {
		out = append(out, Caption{k[0] + " of " + np + ": " + strings.Join(tags, ", "), "en"})
	}
	if groupName != "" {
		out = append(out, Caption{k[0] + " of " + np + ", from the " + groupName + " category", "en"})
	}
	templates := localTemplates
	if st.Kind == "flag" {
		templates = flagTemplates
	}
	for _, loc := range Locales[1:] {
		local := c.Names[loc]
		if local == "" || banned[loc].contains(local) {
			continue
		}
		tags := keepTags(c.Tags[loc], local, banned[loc], 4)
		for _, t := range templates[loc] {
			if strings.Contains(t, "{tags}") {
				if len(tags) == 0 {
					continue
				}
				t = strings.ReplaceAll(t, "{tags}", strings.Join(tags, ", "))
			}
			out = append(out, Caption{strings.ReplaceAll(t, "{}", local), loc})
		}
	}
	return dedupeCaptions(out)
}

// keepTags returns up to n keywords, in CLDR order, that are not the name itself and
// name no held-out concept.
func keepTags(tags []string, name string, banned *phraseSet, n int) []string {
	var out []string
	for _, t := range tags {
		if strings.EqualFold(t, name) || banned.contains(t) {
			continue
		}
		out = append(out, t)
		if len(out) == n {
			break
		}
	}
	return out
}

// iconCaptions returns the captions of a named icon.
func iconCaptions(j iconJob, st *Style) []Caption {
	np := withArticle(j.words)
	k := st.Kinds
	out := []Caption{
		{k[0] + " of " + np, "en"},
		{k[1%len(k)] + " of " + np, "en"},
		{j.words, "en"},
		{np + " " + st.Noun, "en"},
	}
	if j.variant != "" {
		out = append(out, Caption{withArticle(j.variant+" "+st.Noun) + " of " + np, "en"})
	}
	if j.category != "" {
		out = append(out, Caption{k[0] + " of " + np + ", from the " + categoryWords(j.category) + " category", "en"})
	}
	return dedupeCaptions(out)
}

// categoryWords makes a set's category readable in a sentence: "Account / User" →
// "account or user".
func categoryWords(cat string) string {
	return strings.ToLower(strings.ReplaceAll(cat, " / ", " or "))
}

var langCode = regexp.MustCompile(`^[a-z]{2}$`)

// clipartCaptions returns the captions of a clip art picture: its title, with the
// style's words, its keywords and its folder. The language is the metadata's when it
// gives a two-letter code, else English (most titles are).
func clipartCaptions(j clipartJob, st *Style) []Caption {
	lang := strings.ToLower(strings.TrimSpace(j.meta.Language))
	if !langCode.MatchString(lang) {
		lang = "en"
	}
	title := j.meta.usableTitle()
	k := st.Kinds
	out := []Caption{
		{title, lang},
		{k[0] + " of " + title, lang},
		{k[1%len(k)] + ": " + title, lang},
	}
	if kw := j.meta.keywords(); len(kw) > 0 {
		if len(kw) > 5 {
			kw = kw[:5]
		}
		out = append(out, Caption{title + ", " + k[0] + ": " + strings.Join(kw, ", "), lang})
	}
	if cat := strings.ReplaceAll(j.category, "/", ", "); cat != "" && cat != "." {
		out = append(out, Caption{k[0] + " of " + title + ", from the " + strings.ReplaceAll(cat, "_", " ") + " category", lang})
	}
	return dedupeCaptions(out)
}

func dedupeCaptions(cs []Caption) []Caption {
	seen := map[string]bool{}
	out := cs[:0]
	for _, c := range cs {
		c.Text = strings.Join(strings.Fields(c.Text), " ")
		if c.Text == "" || seen[c.Lang+"\x00"+c.Text] {
			continue
		}
		seen[c.Lang+"\x00"+c.Text] = true
		out = append(out, c)
	}
	return out
}
