package corpus

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
)

// Locales are the languages whose CLDR names and keywords become captions and class
// names, English first. Korean is the one the app needs; German, French and Spanish
// add languages written with spaces between words, which the name filters rely on.
var Locales = []string{"en", "ko", "de", "fr", "es"}

// Concept is one emoji, identified by its code points: the unit that splits hold out
// and that every emoji style is joined on.
type Concept struct {
	Hex      string // upper-case hex code points joined by "-", variation selectors dropped: "1F422"
	Emoji    string
	Group    string // CLDR group key: "animals-nature"
	Subgroup string // CLDR subgroup key: "animal-reptile"
	Order    int
	Names    map[string]string   // locale → CLDR short name ("turtle", "거북이")
	Tags     map[string][]string // locale → CLDR keywords
}

// emojiDB is emojibase-data read for the corpus: the concepts (skin-tone variants
// and the "component" group left out) and the localised names of groups and subgroups.
type emojiDB struct {
	Concepts  []*Concept // in CLDR order
	byHex     map[string]*Concept
	Groups    map[string]map[string]string // locale → group key → name ("animals & nature")
	Subgroups map[string]map[string]string // locale → subgroup key → name ("reptiles")
	// aliases are slugs of names and shortcodes → concept, for icon sets that name
	// emoji instead of listing code points.
	aliases map[string]*Concept
}

// normHex normalises a code-point sequence written in hex ("1f3f3-fe0f-200d-1f308",
// "1F3F3_FE0F") to the join key: upper case, "-" separated, without the variation
// selectors FE0E and FE0F, which emoji sets keep or drop inconsistently.
func normHex(s string) string {
	parts := strings.FieldsFunc(strings.ToUpper(s), func(r rune) bool { return r == '-' || r == '_' || r == ' ' })
	out := parts[:0]
	for _, p := range parts {
		p = strings.TrimLeft(p, "0")
		if p == "FE0F" || p == "FE0E" {
			continue
		}
		if len(p) < 4 {
			p = strings.Repeat("0", 4-len(p)) + p
		}
		out = append(out, p)
	}
	return strings.Join(out, "-")
}

type emojibaseEntry struct {
	Label    string   `json:"label"`
	Hexcode  string   `json:"hexcode"`
	Emoji    string   `json:"emoji"`
	Tags     []string `json:"tags"`
	Group    *int     `json:"group"`
	Subgroup *int     `json:"subgroup"`
	Order    int      `json:"order"`
}

type emojibaseMessages struct {
	Groups    []struct{ Key, Message string } `json:"groups"`
	Subgroups []struct{ Key, Message string } `json:"subgroups"`
}

// emojibaseFiles are the files of emojibase-data that loadEmojibase reads.
func emojibaseFiles() []string {
	files := []string{"meta/groups.json"}
	for _, l := range Locales {
		files = append(files, l+"/data.json", l+"/messages.json")
	}
	for _, sc := range shortcodeSets {
		files = append(files, "en/shortcodes/"+sc+".json")
	}
	return files
}

// shortcodeSets are emojibase's shortcode lists used to match icon names to emoji:
// EmojiOne's names are JoyPixels shortcodes, others follow CLDR or GitHub.
var shortcodeSets = []string{"cldr", "emojibase", "github", "iamcal", "joypixels"}

// loadEmojibase builds the concept list from emojibase-data's files (path → content).
func loadEmojibase(files map[string][]byte) (*emojiDB, error) {
	var groups struct {
		Groups    map[string]string `json:"groups"`
		Subgroups map[string]string `json:"subgroups"`
	}
	if err := json.Unmarshal(files["meta/groups.json"], &groups); err != nil {
		return nil, fmt.Errorf("emojibase meta/groups.json: %w", err)
	}
	db := &emojiDB{byHex: map[string]*Concept{}, Groups: map[string]map[string]string{},
		Subgroups: map[string]map[string]string{}, aliases: map[string]*Concept{}}
	for li, loc := range Locales {
		var entries []emojibaseEntry
		if err := json.Unmarshal(files[loc+"/data.json"], &entries); err != nil {
			return nil, fmt.Errorf("emojibase %s/data.json: %w", loc, err)
		}
		for _, e := range entries {
			if e.Group == nil || e.Subgroup == nil { // regional indicator letters
				continue
			}
			g, sg := groups.Groups[fmt.Sprint(*e.Group)], groups.Subgroups[fmt.Sprint(*e.Subgroup)]
			if g == "" || g == "component" { // skin-tone and hair swatches, not pictures of things
				continue
			}
			hex := normHex(e.Hexcode)
			c := db.byHex[hex]
			if c == nil {
				if li != 0 { // only concepts English knows
					continue
				}
				c = &Concept{Hex: hex, Emoji: e.Emoji, Group: g, Subgroup: sg, Order: e.Order,
					Names: map[string]string{}, Tags: map[string][]string{}}
				db.byHex[hex] = c
				db.Concepts = append(db.Concepts, c)
			}
			if e.Label != "" {
				c.Names[loc] = e.Label
			}
			c.Tags[loc] = e.Tags
		}
		var msgs emojibaseMessages
		if err := json.Unmarshal(files[loc+"/messages.json"], &msgs); err != nil {
			return nil, fmt.Errorf("emojibase %s/messages.json: %w", loc, err)
		}
		db.Groups[loc], db.Subgroups[loc] = map[string]string{}, map[string]string{}
		for _, m := range msgs.Groups {
			db.Groups[loc][m.Key] = m.Message
		}
		for _, m := range msgs.Subgroups {
			db.Subgroups[loc][m.Key] = m.Message
		}
	}
	sort.SliceStable(db.Concepts, func(i, j int) bool { return db.Concepts[i].Order < db.Concepts[j].Order })
	db.buildAliases(files)
	return db, nil
}

// buildAliases indexes every concept under the slugs of its English name and its
// shortcodes, with and without hyphens ("alarm-clock", "alarmclock"). A slug that two
// concepts claim is dropped: a wrong join is worse than a missing one.
func (db *emojiDB) buildAliases(files map[string][]byte) {
	claims := map[string]map[*Concept]bool{}
	add := func(name string, c *Concept) {
		s := slug(name)
		if s == "" {
			return
		}
		for _, k := range []string{s, strings.ReplaceAll(s, "-", "")} {
			if claims[k] == nil {
				claims[k] = map[*Concept]bool{}
			}
			claims[k][c] = true
		}
	}
	for _, c := range db.Concepts {
		add(c.Names["en"], c)
	}
	for _, sc := range shortcodeSets {
		var m map[string]json.RawMessage
		if json.Unmarshal(files["en/shortcodes/"+sc+".json"], &m) != nil {
			continue
		}
		for hex, raw := range m {
			c := db.byHex[normHex(hex)]
			if c == nil {
				continue
			}
			var one string
			var many []string
			if json.Unmarshal(raw, &one) == nil {
				many = []string{one}
			} else if json.Unmarshal(raw, &many) != nil {
				continue
			}
			for _, n := range many {
				add(n, c)
			}
		}
	}
	for k, cs := range claims {
		if len(cs) == 1 {
			for c := range cs {
				db.aliases[k] = c
			}
		}
	}
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// slug is a name in lower case with runs of other characters turned into one "-":
// "A button (blood type)" → "a-button-blood-type", "+1" → "1".
func slug(s string) string {
	s = strings.NewReplacer("’", "", "'", "", "“", "", "”", "", "&", "and", "#", "hash", "*", "asterisk").Replace(strings.ToLower(s))
	return strings.Trim(nonSlug.ReplaceAllString(s, "-"), "-")
}

var numberSuffix = regexp.MustCompile(`-[0-9]+$`)

// conceptForIconName joins an icon name of a set without code points to a concept:
// by its slug, without hyphens, or with a trailing "-2" variant number removed.
func (db *emojiDB) conceptForIconName(name string) *Concept {
	s := slug(name)
	for _, k := range []string{s, strings.ReplaceAll(s, "-", ""), numberSuffix.ReplaceAllString(s, "")} {
		if c := db.aliases[k]; c != nil {
			return c
		}
	}
	return nil
}

// emojiJob is one emoji picture to render: a concept in a style, from SVG or PNG bytes.
type emojiJob struct {
	style   string
	id      string // unique within the style: the file or icon name
	concept *Concept
	svg     []byte
	png     []byte
}

// twemojiJobs lists Twemoji's SVGs (dist/svg/1f422.svg) for the wanted concepts.
func twemojiJobs(tgz string, want func(*Concept) bool, db *emojiDB) ([]emojiJob, error) {
	var jobs []emojiJob
	err := readTGZ(tgz, func(n string) bool { return strings.HasPrefix(n, "dist/svg/") && strings.HasSuffix(n, ".svg") },
		func(n string, b []byte) error {
			base := strings.TrimSuffix(path.Base(n), ".svg")
			if c := db.byHex[normHex(base)]; c != nil && want(c) {
				jobs = append(jobs, emojiJob{style: "twemoji", id: base, concept: c, svg: b})
			}
			return nil
		})
	return dedupeJobs(jobs, 1), err
}

// openmojiJobs lists OpenMoji's colour and black SVGs (color/svg/1F422.svg).
func openmojiJobs(tgz string, want func(*Concept) bool, db *emojiDB) ([]emojiJob, error) {
	var jobs []emojiJob
	err := readTGZ(tgz, func(n string) bool {
		return (strings.HasPrefix(n, "color/svg/") || strings.HasPrefix(n, "black/svg/")) && strings.HasSuffix(n, ".svg")
	}, func(n string, b []byte) error {
		base := strings.TrimSuffix(path.Base(n), ".svg")
		c := db.byHex[normHex(base)]
		if c == nil || !want(c) {
			return nil
		}
		style := "openmoji-color"
		if strings.HasPrefix(n, "black/") {
			style = "openmoji-black"
		}
		jobs = append(jobs, emojiJob{style: style, id: strings.ToLower(base), concept: c, svg: b})
		return nil
	})
	return dedupeJobs(jobs, 1), err
}

// notoJobs lists the Google (Noto) 64 px PNGs of emoji-datasource-google, joined by
// their "unified" code points. Only the google images are read: the package's sprite
// sheets also hold other vendors' images, some not freely licensed.
func notoJobs(tgz string, want func(*Concept) bool, db *emojiDB) ([]emojiJob, error) {
	meta, err := readTGZFiles(tgz, "emoji.json")
	if err != nil {
		return nil, err
	}
	var entries []struct {
		Unified      string `json:"unified"`
		Image        string `json:"image"`
		HasImgGoogle bool   `json:"has_img_google"`
	}
	if err := json.Unmarshal(meta["emoji.json"], &entries); err != nil {
		return nil, fmt.Errorf("emoji-datasource emoji.json: %w", err)
	}
	files := map[string]*Concept{}
	for _, e := range entries {
		if c := db.byHex[normHex(e.Unified)]; c != nil && e.HasImgGoogle && want(c) {
			files["img/google/64/"+e.Image] = c
		}
	}
	var jobs []emojiJob
	err = readTGZ(tgz, func(n string) bool { return files[n] != nil }, func(n string, b []byte) error {
		jobs = append(jobs, emojiJob{style: "noto", id: strings.TrimSuffix(path.Base(n), ".png"), concept: files[n], png: b})
		return nil
	})
	return dedupeJobs(jobs, 1), err
}

// iconifyEmojiJobs lists an Iconify emoji set's icons for the wanted concepts: through
// chars.json where the set has code points (Fluent), else by name (EmojiOne, FxEmoji,
// Streamline, whose names are CLDR names or shortcodes).
func iconifyEmojiJobs(style, tgz string, want func(*Concept) bool, db *emojiDB) ([]emojiJob, error) {
	f, err := readTGZFiles(tgz, "icons.json", "chars.json", "metadata.json")
	if err != nil {
		return nil, err
	}
	set, err := parseIconSet(f["icons.json"], f["chars.json"], f["metadata.json"])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", style, err)
	}
	conceptOf := map[string]*Concept{} // icon name → concept
	if len(set.Chars) > 0 {
		hexes := make([]string, 0, len(set.Chars))
		for h := range set.Chars {
			hexes = append(hexes, h)
		}
		sort.Strings(hexes)
		for _, h := range hexes {
			if c := db.byHex[normHex(h)]; c != nil {
				if _, seen := conceptOf[set.Chars[h]]; !seen {
					conceptOf[set.Chars[h]] = c
				}
			}
		}
	} else {
		for _, n := range set.names() {
			if c := db.conceptForIconName(n); c != nil {
				conceptOf[n] = c
			}
		}
	}
	var jobs []emojiJob
	for _, n := range set.names() {
		c := conceptOf[n]
		if c == nil || !want(c) {
			continue
		}
		doc, _ := set.svg(n)
		jobs = append(jobs, emojiJob{style: style, id: n, concept: c, svg: doc})
	}
	perConcept := 1
	if len(set.Chars) == 0 {
		perConcept = 2
	}
	return dedupeJobs(jobs, perConcept), nil
}

// dedupeJobs sorts jobs by (concept order, id) and keeps at most perConcept pictures
// of a concept in a style: one where files are named by code points (a second one is a
// spelling of the same code points, with or without FE0F), two where icons are joined
// by name (numbered variants, "writing-hand-1" and "-2"; more would weigh one concept
// too heavily).
func dedupeJobs(jobs []emojiJob, perConcept int) []emojiJob {
	sort.Slice(jobs, func(i, j int) bool {
		a, b := jobs[i], jobs[j]
		if a.concept.Order != b.concept.Order {
			return a.concept.Order < b.concept.Order
		}
		if a.concept.Hex != b.concept.Hex {
			return a.concept.Hex < b.concept.Hex
		}
		if a.style != b.style {
			return a.style < b.style
		}
		return a.id < b.id
	})
	out := jobs[:0]
	count := map[string]int{}
	for _, j := range jobs {
		k := j.style + "\x00" + j.concept.Hex
		if count[k] < perConcept {
			count[k]++
			out = append(out, j)
		}
	}
	return out
}
