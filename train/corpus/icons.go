package corpus

import (
	"fmt"
	"strings"
)

// iconJob is one named icon to render: a picture with a name but no code point.
type iconJob struct {
	style    string
	id       string // the icon's name in its set: "turtle", "account-circle-outline"
	words    string // the name as words, variant suffixes removed: "account circle"
	variant  string // a true style word from the name: "outline", "filled", or ""
	category string // the set's category, if it has them ("Animal")
	svg      []byte
}

// iconSets are the named-icon sources and how to read their names.
var iconSets = []struct {
	style string
	pkg   NPM
	// variants are name suffixes that say how the icon is drawn, not what it shows;
	// the caption word for each.
	variants map[string]string
	// defaultVariant describes icons without such a suffix ("" for none).
	defaultVariant string
	// skip reports icons left out: brand logos are trademarks, not concepts.
	skip func(name, category string) bool
}{
	{"mdi", pkgMDI, map[string]string{"outline": "outline"}, "",
		func(n, cat string) bool { return cat == "Brand / Logo" }},
	{"tabler", pkgTabler, map[string]string{"filled": "filled"}, "outline",
		func(n, _ string) bool { return strings.HasPrefix(n, "brand-") }},
	{"game-icons", pkgGameIcons, nil, "", func(string, string) bool { return false }},
}

// iconJobs lists the icons of one named-icon set, in name order.
func iconJobs(i int, tgz string, keep func(name string) bool) ([]iconJob, error) {
	spec := iconSets[i]
	f, err := readTGZFiles(tgz, "icons.json", "metadata.json")
	if err != nil {
		return nil, err
	}
	set, err := parseIconSet(f["icons.json"], nil, f["metadata.json"])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.style, err)
	}
	cats := set.categoryOf()
	var jobs []iconJob
	for _, n := range set.names() {
		if spec.skip(n, cats[n]) || !keep(n) {
			continue
		}
		words, variant := iconWords(n, spec.variants, spec.defaultVariant)
		if words == "" {
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
	parts := strings.Split(name, "-")
	variant = def
	if len(parts) > 1 {
		if v, ok := variants[parts[len(parts)-1]]; ok {
			variant, parts = v, parts[:len(parts)-1]
		}
	}
	return strings.TrimSpace(strings.Join(parts, " ")), variant
}
