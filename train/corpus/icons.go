package corpus

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// iconJob is one named icon to render: a picture with a name but no code point.
type iconJob struct {
	style    string
	id       string // the icon's name in its set: "turtle", "account-circle-outline"
	words    string // the name as words, variant affixes removed: "account circle"
	variant  string // a true style word from the name: "outline", "filled", or ""
	category string // the set's category, if it has them ("Animal")
	svg      []byte
}

// iconSetSpec is a named-icon source and how to read its names.
type iconSetSpec struct {
	style string
	pkg   NPM
	// variants are name suffixes that say how the icon is drawn, not what it shows, and
	// the caption word for each; nil: found from the set's own names (detectVariants).
	variants map[string]string
	// defaultVariant describes icons without such a suffix ("" for none).
	defaultVariant string
	// skip reports icons left out: brand logos are trademarks, not concepts.
	skip func(name, category string) bool
}

// iconSets are the named-icon sources: the three read since the first corpus, with
// their names read by hand, then every other Iconify set of iconifyIconSets.
var iconSets = append([]iconSetSpec{
	{"mdi", pkgMDI, map[string]string{"outline": "outline"}, "",
		func(n, cat string) bool { return cat == "Brand / Logo" }},
	{"tabler", pkgTabler, map[string]string{"filled": "filled"}, "outline",
		func(n, _ string) bool { return strings.HasPrefix(n, "brand-") }},
	{"game-icons", pkgGameIcons, nil, "", func(string, string) bool { return false }},
}, iconifySpecs()...)

// iconifySpecs turns the pinned table of Iconify sets into sources whose variants are
// detected and whose brand icons are skipped.
func iconifySpecs() []iconSetSpec {
	out := make([]iconSetSpec, len(iconifyIconSets))
	for i, s := range iconifyIconSets {
		out[i] = iconSetSpec{style: s.style(), pkg: s.pkg(), skip: isBrandIcon}
	}
	return out
}

// isBrandIcon reports logos and brand marks, by category ("Brands", "Logos", "Social")
// or name ("brand-github", "logo-twitter", "apple-logo"): trademarks say nothing about a
// concept and are not ours to train on.
func isBrandIcon(name, category string) bool {
	c := strings.ToLower(category)
	if strings.Contains(c, "brand") || strings.Contains(c, "logo") || strings.Contains(c, "social") {
		return true
	}
	for _, p := range []string{"brand-", "brands-", "logo-", "logos-", "social-"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	// Phosphor and others mark brand marks with a suffix: "twitter-logo".
	return strings.HasSuffix(name, "-logo") || strings.HasSuffix(name, "-brand")
}

// iconJobs lists the icons of one named-icon set, in name order.
func iconJobs(spec iconSetSpec, tgz string, keep func(name string) bool) ([]iconJob, error) {
	f, err := readTGZFiles(tgz, "icons.json", "metadata.json")
	if err != nil {
		return nil, err
	}
	set, err := parseIconSet(f["icons.json"], nil, f["metadata.json"])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.style, err)
	}
	cats := set.categoryOf()
	names := set.names()
	var aff affixes
	if spec.variants != nil {
		aff = affixes{suffix: spec.variants}
	} else {
		aff = detectVariants(names)
	}
	var jobs []iconJob
	for _, n := range names {
		if spec.skip(n, cats[n]) || !keep(n) {
			continue
		}
		words, variant := aff.split(n, spec.defaultVariant)
		if !strings.ContainsFunc(words, unicode.IsLetter) { // "24", "0-1": no name to learn
			continue
		}
		doc, _ := set.svg(n)
		jobs = append(jobs, iconJob{style: spec.style, id: n, words: words, variant: variant, category: cats[n], svg: doc})
	}
	return jobs, nil
}

// iconWords turns an icon name into words and a variant word: "heart-outline" →
// ("heart", "outline"); "numeric-1-box" → ("numeric 1 box", "").
func iconWords(name string, variants map[string]string, def string) (words, variant string) {
	return affixes{suffix: variants}.split(name, def)
}

// styleWords are the name parts Iconify sets use to say how an icon is drawn (its
// weight, fill, corners, size), with the caption word for each: "" for parts that are
// true but say nothing a caption should ("regular", "24", "alt"). They are removed from
// the name, so "home-bold", "home-24-regular" and "baseline-home" are all "home" and
// group with other sets' "home".
var styleWords = map[string]string{
	"outline": "outline", "outlined": "outline", "line": "outline", "linear": "outline", "stroke": "outline", "o": "outline",
	"filled": "filled", "fill": "filled", "solid": "solid", "bold": "bold", "light": "thin", "thin": "thin",
	"duotone": "two-tone", "twotone": "two-tone", "duo": "two-tone", "rounded": "rounded", "round": "rounded", "sharp": "sharp",
	"regular": "", "baseline": "", "alt": "", "broken": "", "bulk": "", "sm": "", "lg": "", "small": "", "mini": "", "micro": "",
	"10": "", "12": "", "16": "", "20": "", "24": "", "28": "", "32": "", "48": "",
	"16px": "", "24px": "", "32px": "", "48px": "", "remix": "",
	// Zero-padded numbers count a set's drawings of one thing ("share-01", "share-02").
	"01": "", "02": "", "03": "", "04": "", "05": "", "06": "", "07": "", "08": "", "09": "",
}

// affixes are the name parts of one set removed as variants: its suffixes and prefixes.
type affixes struct {
	suffix, prefix map[string]string
}

// Minimum share of a set's names that must end (or start) with a style word for it to
// be read as a variant there: in Phosphor a sixth of the names end in "-bold", while
// in a set where "traffic-light" and "ceiling-light" are things, "light" ends under 1%.
const variantShare = 0.02

// detectVariants finds a set's variant affixes from its names: style words that end
// (or start) a large enough share of them. Suffixes are found in two passes, for sets
// that stack them ("home-bold-duotone", "add-24-regular").
func detectVariants(names []string) affixes {
	a := affixes{suffix: map[string]string{}, prefix: map[string]string{}}
	frequent := func(parts [][]string, at func([]string) string, into map[string]string) {
		n := map[string]int{}
		for _, p := range parts {
			if len(p) > 1 {
				if _, ok := styleWords[at(p)]; ok {
					n[at(p)]++
				}
			}
		}
		for w, c := range n {
			if float64(c) >= variantShare*float64(len(parts)) && c >= 3 {
				into[w] = styleWords[w]
			}
		}
	}
	last := func(p []string) string { return p[len(p)-1] }
	parts := make([][]string, len(names))
	for i, n := range names {
		parts[i] = strings.Split(n, "-")
	}
	frequent(parts, func(p []string) string { return p[0] }, a.prefix)
	frequent(parts, last, a.suffix)
	var stripped [][]string
	for _, p := range parts {
		if _, ok := a.suffix[last(p)]; ok && len(p) > 2 {
			stripped = append(stripped, p[:len(p)-1])
		}
	}
	second := map[string]string{}
	frequent(stripped, last, second)
	for w, v := range second {
		a.suffix[w] = v
	}
	return a
}

// split turns an icon name into words and a variant word: with "outline" a suffix,
// "heart-outline" → ("heart", "outline"); with "bold" and "duotone" suffixes,
// "home-bold-duotone" → ("home", "bold two-tone"). At most two suffixes and one prefix
// go, and never the last word of the name.
func (a affixes) split(name, def string) (words, variant string) {
	parts := strings.Split(name, "-")
	var vs []string
	if len(parts) > 1 {
		if v, ok := a.prefix[parts[0]]; ok {
			parts = parts[1:]
			if v != "" {
				vs = append(vs, v)
			}
		}
	}
	var tail []string
	for k := 0; k < 2 && len(parts) > 1; k++ {
		v, ok := a.suffix[parts[len(parts)-1]]
		if !ok {
			break
		}
		parts = parts[:len(parts)-1]
		if v != "" && !contains(vs, v) && !contains(tail, v) {
			tail = append([]string{v}, tail...)
		}
	}
	vs = append(vs, tail...)
	variant = strings.Join(vs, " ")
	if variant == "" {
		variant = def
	}
	return strings.TrimSpace(strings.Join(parts, " ")), variant
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Icon balance. Many sets draw the same things ("home", "arrow left", "search"), and
// a set draws one thing in several variants; without limits the icons would be nearly
// all of the corpus and a few hundred common names most of the icons. So, in a seeded
// order: at most iconsPerSetName pictures of one name in one set, at most iconsPerName
// of one name over all sets (from different sets first), at most iconsPerSet pictures
// from one set, and in all at most iconsPerOther icons for each training picture that is
// not an icon (emoji, flags, clip art), so icons stay about two thirds of the pairs, as
// in the corpus before the Iconify sets were added. The budget is spent breadth first:
// the first picture of every name before any name's second, names drawn by more sets
// (common words: "home", "cat") before names only one set has.
const (
	iconsPerSetName = 2
	iconsPerName    = 2
	iconsPerSet     = 1000
	iconsPerOther   = 2
)

// capIcons applies the icon balance to the training icons.
func (b *builder) capIcons() {
	isIcon := func(s *sample) bool { return s.split == "train" && s.icon != nil }
	order := func(s *sample) uint64 { return hash64(b.o.Seed, "icon:"+s.style.Name+":"+s.sourceID) }
	// Per set and name: seeded, so a set's variants are taken at random.
	b.capGroups("train", "icon name already drawn by its set", iconsPerSetName, func(s *sample) string {
		if s.icon == nil {
			return ""
		}
		return s.style.Name + "\x00" + strings.ToLower(s.name)
	})
	// Per name over all sets: the first picture of each set first, so the pictures kept
	// of "home" come from different sets rather than one set's variants.
	byName := map[string][]*sample{}
	for _, s := range b.samples {
		if isIcon(s) {
			k := strings.ToLower(s.name)
			byName[k] = append(byName[k], s)
		}
	}
	setsDrawing := map[string]int{}
	rank := map[*sample]int{} // a picture's place among the kept pictures of its name
	for _, k := range sortedKeys(byName) {
		ss := byName[k]
		sort.SliceStable(ss, func(i, j int) bool { return order(ss[i]) < order(ss[j]) })
		setRank := map[*sample]int{}
		seen := map[string]int{}
		for _, s := range ss {
			setRank[s] = seen[s.style.Name]
			seen[s.style.Name]++
		}
		setsDrawing[k] = len(seen)
		sort.SliceStable(ss, func(i, j int) bool { return setRank[ss[i]] < setRank[ss[j]] })
		for i, s := range ss {
			rank[s] = i
			if i >= iconsPerName {
				b.drop(s, "icon name already drawn by other sets")
			}
		}
	}
	b.capGroups("train", "icon set already full", iconsPerSet, func(s *sample) string {
		if s.icon == nil {
			return ""
		}
		return s.style.Name
	})
	// The total, breadth first.
	var kept []*sample
	others := 0
	for _, s := range b.samples {
		switch {
		case isIcon(s):
			kept = append(kept, s)
		case s.split == "train":
			others++
		}
	}
	budget := iconsPerOther * others
	if len(kept) <= budget {
		return
	}
	sort.SliceStable(kept, func(i, j int) bool {
		a, c := kept[i], kept[j]
		if rank[a] != rank[c] {
			return rank[a] < rank[c]
		}
		na, nc := setsDrawing[strings.ToLower(a.name)], setsDrawing[strings.ToLower(c.name)]
		if na != nc {
			return na > nc
		}
		return order(a) < order(c)
	})
	for _, s := range kept[budget:] {
		b.drop(s, "icon budget spent")
	}
}
