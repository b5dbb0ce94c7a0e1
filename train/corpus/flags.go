package corpus

import (
	"fmt"
	"strings"
)

// Flag icon sets draw the same concepts as the flag emoji: each flag is joined by its
// region code ("fr", "gb-sct") to the emoji concept of that flag (🇫🇷 is the regional
// indicators F and R; 🏴󠁧󠁢󠁳󠁣󠁴󠁿 is the black flag and the tag letters "gbsct"), so it
// shares the concept id, its CLDR names in every locale and its splits.

// regionHex returns the code points (as normHex writes them) of the emoji flag of a
// region code: two letters ("fr") are regional indicators; a subdivision ("gb-sct")
// is the black flag followed by tag letters and a cancel tag. ok is false for anything
// else ("en-us", "lang-fr", "eu-1x1").
func regionHex(code string) (hex string, ok bool) {
	code = strings.ToLower(code)
	isLetters := func(s string) bool {
		for _, r := range s {
			if r < 'a' || r > 'z' {
				return false
			}
		}
		return s != ""
	}
	country, sub, hasSub := strings.Cut(code, "-")
	if len(country) != 2 || !isLetters(country) {
		return "", false
	}
	if !hasSub {
		return fmt.Sprintf("%04X-%04X", 0x1F1E6+rune(country[0]-'a'), 0x1F1E6+rune(country[1]-'a')), true
	}
	if len(sub) != 3 || !isLetters(sub) {
		return "", false
	}
	parts := []string{"1F3F4"}
	for _, r := range country + sub {
		parts = append(parts, fmt.Sprintf("%X", 0xE0000+r))
	}
	return strings.Join(append(parts, "E007F"), "-"), true
}

// flagJobs lists a flag set's flags that are emoji concepts, by region code. suffix is
// the part of an icon name after the region code that names the drawing kept (Flag
// Icons draws each flag twice, 4:3 and a 1:1 crop; the crop would be a second, cut
// picture of the same flag).
func flagJobs(style, suffix string) func(string, func(*Concept) bool, *emojiDB) ([]emojiJob, error) {
	return func(tgz string, want func(*Concept) bool, db *emojiDB) ([]emojiJob, error) {
		f, err := readTGZFiles(tgz, "icons.json")
		if err != nil {
			return nil, err
		}
		set, err := parseIconSet(f["icons.json"], nil, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", style, err)
		}
		var jobs []emojiJob
		for _, n := range set.names() {
			code, ok := strings.CutSuffix(n, suffix)
			if !ok {
				continue
			}
			hex, ok := regionHex(code)
			if !ok {
				continue
			}
			c := db.byHex[hex]
			if c == nil || c.Group != "flags" || !want(c) {
				continue
			}
			doc, _ := set.svg(n)
			jobs = append(jobs, emojiJob{style: style, id: n, concept: c, svg: doc})
		}
		return dedupeJobs(jobs, 1), nil
	}
}

// flagTemplates are a flag picture's captions in the other locales: the CLDR name alone
// ("Flagge: Frankreich", "깃발: 프랑스"), which already says what it is; the emoji
// templates say "emoji", which these are not.
var flagTemplates = map[string][]string{"ko": {"{}"}, "de": {"{}"}, "fr": {"{}"}, "es": {"{}"}}
