package corpus

import (
	"fmt"
	"strings"
	"testing"
)

func TestRegionHex(t *testing.T) {
	for code, want := range map[string]string{
		"fr":     "1F1EB-1F1F7",
		"KR":     "1F1F0-1F1F7",
		"gb-sct": "1F3F4-E0067-E0062-E0073-E0063-E0074-E007F",
		"en-us":  "", // a language variant, not a subdivision
		"lang-x": "",
		"f1":     "",
		"":       "",
		"asean":  "",
	} {
		got, ok := regionHex(code)
		if got != want || ok != (want != "") {
			t.Errorf("regionHex(%q) = %q, %v; want %q", code, got, ok, want)
		}
		if ok && normHex(got) != got {
			t.Errorf("regionHex(%q) = %q is not in normHex form", code, got)
		}
	}
}

// Flags join the flag emoji concepts by region code, keep one drawing per flag, and
// leave out what is not a region.
func TestFlagJobs(t *testing.T) {
	db, err := loadEmojibase(fakeEmojibase(t))
	if err != nil {
		t.Fatal(err)
	}
	fr := &Concept{Hex: "1F1EB-1F1F7", Emoji: "🇫🇷", Group: "flags", Subgroup: "country-flag", Order: 9,
		Names: map[string]string{"en": "flag: France", "ko": "깃발: 프랑스", "de": "Flagge: Frankreich", "fr": "drapeau : France", "es": "bandera: Francia"}}
	db.byHex[fr.Hex] = fr
	db.Concepts = append(db.Concepts, fr)
	icons := `{"prefix":"flag","width":640,"height":480,"icons":{
		"fr-4x3":{"body":"<path fill='#00f' d='M0 0h640v480H0z'/>"},
		"fr-1x1":{"body":"<path d='M0 0h640v480H0z'/>"},
		"de-4x3":{"body":"<path d='M0 0h640v480H0z'/>"},
		"en-us-4x3":{"body":"<path d='M0 0h640v480H0z'/>"},
		"tr-4x3":{"body":"<path d='M0 0h640v480H0z'/>"}}}`
	tgz := writeTGZ(t, map[string]string{"icons.json": icons})
	jobs, err := flagJobs("flag-icons", "-4x3")(tgz, func(*Concept) bool { return true }, db)
	if err != nil {
		t.Fatal(err)
	}
	// "1F1F9-1F1F7" (tr) is no concept of the fake emojibase, nor is "de": only France.
	if len(jobs) != 1 || jobs[0].id != "fr-4x3" || jobs[0].concept != fr || jobs[0].style != "flag-icons" {
		t.Fatalf("flag jobs %+v", jobs)
	}
	// A flag is captioned in every locale with its CLDR name, as a picture, not an emoji.
	caps := emojiCaptions(fr, styleByName("flag-icons"), "flags", map[string]*phraseSet{})
	langs := map[string]bool{}
	for _, c := range caps {
		langs[c.Lang] = true
		if strings.Contains(c.Text, "emoji") || strings.Contains(c.Text, "이모지") {
			t.Errorf("flag caption %q calls it an emoji", c.Text)
		}
	}
	for _, l := range Locales {
		if !langs[l] {
			t.Errorf("no %s caption among %+v", l, caps)
		}
	}
	if caps[0].Text != "a picture of the flag of France" {
		t.Errorf("first caption %q", caps[0].Text)
	}
	// Nothing is joined from a malformed set.
	if _, err := flagJobs("cif", "")(writeTGZ(t, map[string]string{"icons.json": "{"}), func(*Concept) bool { return true }, db); err == nil {
		t.Error("a malformed icons.json was accepted")
	}
}

func TestDetectVariants(t *testing.T) {
	// A Phosphor-like set: every icon in six weights.
	var ph []string
	for _, n := range []string{"heart", "house", "traffic-cone", "arrow-left", "cell-signal-full"} {
		ph = append(ph, n, n+"-bold", n+"-fill", n+"-light", n+"-thin", n+"-duotone")
	}
	a := detectVariants(ph)
	for name, want := range map[string][2]string{
		"heart-bold":        {"heart", "bold"},
		"arrow-left-light":  {"arrow left", "thin"},
		"house":             {"house", ""},
		"traffic-cone-fill": {"traffic cone", "filled"},
		"cell-signal-full":  {"cell signal full", ""},
	} {
		if w, v := a.split(name, ""); w != want[0] || v != want[1] {
			t.Errorf("ph: split(%q) = %q, %q; want %q, %q", name, w, v, want[0], want[1])
		}
	}
	// Fluent: a size and a weight; Solar: stacked weights; Google's ic: prefixes.
	var fl, solar, ic []string
	for i := 0; i < 20; i++ {
		n := fmt.Sprintf("thing%c", 'a'+i)
		fl = append(fl, n+"-24-regular", n+"-20-filled", n+"-16-regular")
		solar = append(solar, n+"-bold", n+"-bold-duotone", n+"-line-duotone", n+"-linear", n+"-outline", n+"-broken")
		ic = append(ic, "baseline-"+n, "outline-"+n, "round-"+n, "sharp-"+n, "twotone-"+n)
	}
	fl = append(fl, "add-24-regular", "add-20-filled")
	if w, v := detectVariants(fl).split("add-24-regular", ""); w != "add" || v != "" {
		t.Errorf("fluent: %q, %q", w, v)
	}
	if w, v := detectVariants(fl).split("add-20-filled", ""); w != "add" || v != "filled" {
		t.Errorf("fluent: %q, %q", w, v)
	}
	if w, v := detectVariants(solar).split("thinga-bold-duotone", ""); w != "thinga" || v != "bold two-tone" {
		t.Errorf("solar: %q, %q", w, v)
	}
	if w, v := detectVariants(ic).split("outline-thingb", ""); w != "thingb" || v != "outline" {
		t.Errorf("ic: %q, %q", w, v)
	}
	// Health Icons: "-24px" sizes and "-outline" before them; Hugeicons numbers drawings.
	var hi []string
	for i := 0; i < 20; i++ {
		n := fmt.Sprintf("organ%c", 'a'+i)
		hi = append(hi, n+"-24px", n+"-outline-24px", n+"-01", n+"-02")
	}
	if w, v := detectVariants(hi).split("organc-outline-24px", ""); w != "organc" || v != "outline" {
		t.Errorf("healthicons: %q, %q", w, v)
	}
	if w, _ := detectVariants(hi).split("organd-02", ""); w != "organd" {
		t.Errorf("hugeicons: %q", w)
	}
	// In a set where a style word is part of a few names, it stays: "traffic light".
	plain := []string{"traffic-light", "ceiling-light", "chart-line", "format-bold"}
	for i := 0; i < 200; i++ {
		plain = append(plain, fmt.Sprintf("thing%d", i))
	}
	for _, n := range plain[:4] {
		if w, _ := detectVariants(plain).split(n, ""); w != strings.ReplaceAll(n, "-", " ") {
			t.Errorf("plain: split(%q) = %q", n, w)
		}
	}
	// The name's last word is never removed.
	if w, _ := detectVariants(ph).split("bold", ""); w != "bold" {
		t.Errorf("split(bold) = %q", w)
	}
}

func TestIsBrandIcon(t *testing.T) {
	for _, c := range []struct {
		name, cat string
		want      bool
	}{
		{"github", "Logos", true}, {"twitter", "Brands", true}, {"logo-github", "", true},
		{"brand-x", "", true}, {"twitter-logo", "", true}, {"home", "Buildings", false}, {"logout", "", false},
		{"logo-off", "Brand Logos", true}, {"logo", "", false},
	} {
		if got := isBrandIcon(c.name, c.cat); got != c.want {
			t.Errorf("isBrandIcon(%q, %q) = %v", c.name, c.cat, got)
		}
	}
}

// The pinned Iconify sets: licences that allow training and redistributing weights,
// npm integrity, one style each, and never a held-out or share-alike source.
func TestIconifySetsPinned(t *testing.T) {
	allowed := map[string]bool{"MIT": true, "Apache-2.0": true, "ISC": true, "BSD-3-Clause": true, "Unlicense": true,
		"CC0-1.0": true, "CC-BY-3.0": true, "CC-BY-4.0": true, "OFL-1.1": true}
	if len(iconifyIconSets) < 100 {
		t.Errorf("%d Iconify sets pinned, want over a hundred", len(iconifyIconSets))
	}
	seen := map[string]bool{}
	for _, s := range iconifyIconSets {
		if !allowed[s.SPDX] {
			t.Errorf("%s: licence %s not allowed for training", s.Prefix, s.SPDX)
		}
		if !strings.HasPrefix(s.Integrity, "sha512-") || s.Version == "" || s.Title == "" || s.Author == "" || s.URL == "" {
			t.Errorf("%s: incomplete pin %+v", s.Prefix, s)
		}
		if strings.Contains(s.Prefix, "openmoji") || strings.Contains(s.Prefix, "emoji") || strings.HasSuffix(s.Prefix, "brands") {
			t.Errorf("%s: emoji sets are emoji styles and brands are left out", s.Prefix)
		}
		if seen[s.style()] {
			t.Errorf("%s: style %s repeated", s.Prefix, s.style())
		}
		seen[s.style()] = true
		st := styleByName(s.style())
		if st == nil || st.Kind != "icon" || st.Licence.SPDX != s.SPDX {
			t.Errorf("%s: style %+v", s.Prefix, st)
		}
	}
	if styleByName("streamline").Kind != "emoji" || styleByName("streamline-icons") == nil {
		t.Error("Streamline's icons must not take the name of its emoji style")
	}
	for _, h := range HeldOutStyles {
		if seen[h] {
			t.Errorf("held-out style %s is an icon set", h)
		}
	}
}

// The icon balance: at most two pictures of a name per set, at most iconsPerName over
// all sets, spread over different sets; then a budget of iconsPerOther icons per other
// training picture, spent breadth first and on names many sets draw first.
func TestCapIcons(t *testing.T) {
	build := func(others int) *builder {
		b := &builder{o: Options{Seed: 1}, drops: map[string]map[string]int{}}
		for _, set := range []string{"mdi", "tabler", "lucide", "ph", "carbon", "bi"} {
			for _, v := range []string{"", "-bold", "-fill"} {
				j := &iconJob{style: set, id: "home" + v, words: "home"}
				b.samples = append(b.samples, &sample{style: styleByName(set), sourceID: j.id, name: "Home", icon: j, split: "train"})
			}
			j := &iconJob{style: set, id: set + "-only", words: set + " only"}
			b.samples = append(b.samples, &sample{style: styleByName(set), sourceID: j.id, name: j.words, icon: j, split: "train"})
		}
		for i := range others {
			b.samples = append(b.samples, &sample{style: styleByName("noto"), sourceID: fmt.Sprint(i), split: "train"})
		}
		b.capIcons()
		return b
	}
	kept := func(b *builder) (home, other int, homeSets map[string]bool) {
		homeSets = map[string]bool{}
		for _, s := range b.samples {
			if s.split != "train" || s.icon == nil {
				continue
			}
			if s.name == "Home" {
				home++
				homeSets[s.style.Name] = true
			} else {
				other++
			}
		}
		return
	}
	// A budget large enough: only the name caps act.
	b := build(10)
	home, other, sets := kept(b)
	if home != iconsPerName || len(sets) != iconsPerName || other != 6 {
		t.Errorf("%d pictures of home kept from %d sets and %d others, want %d from as many and 6", home, len(sets), other, iconsPerName)
	}
	if b.drops["mdi"]["icon name already drawn by its set"] != 1 {
		t.Errorf("drops %v", b.drops)
	}
	// Two other pictures buy four icons: home (six sets draw it) first, then three of
	// the names one set draws, before home's second picture.
	b = build(2)
	home, other, _ = kept(b)
	if home != 1 || other != 3 {
		t.Errorf("with a budget of 4: %d pictures of home and %d others, want 1 and 3", home, other)
	}
}

// The splits of the new sources: a flag is trained on with its concept; Noto v1's
// picture of a held-out concept is never trained on and does not change the
// unseen-classes benchmark, while Twemoji's still goes there; an icon named after a
// held-out concept is left out, whatever its set.
func TestAssignNewSources(t *testing.T) {
	db, err := loadEmojibase(fakeEmojibase(t))
	if err != nil {
		t.Fatal(err)
	}
	fr := &Concept{Hex: "1F1EB-1F1F7", Emoji: "🇫🇷", Group: "flags", Subgroup: "country-flag", Order: 9,
		Names: map[string]string{"en": "flag: France"}, Tags: map[string][]string{}}
	db.byHex[fr.Hex] = fr
	db.Concepts = append(db.Concepts, fr)
	b := &builder{o: Options{Seed: 1}, db: db, drops: map[string]map[string]int{},
		split: newSplit(db, []string{"animal-reptile"}, HeldOutStyles)}
	turtle, grin := db.byHex["1F422"], db.byHex["1F600"]
	emoji := func(style string, c *Concept) *sample {
		return &sample{style: styleByName(style), sourceID: style + c.Hex, concept: c, name: c.Names["en"]}
	}
	icon := func(style, words string) *sample {
		return &sample{style: styleByName(style), sourceID: words, name: words, icon: &iconJob{style: style, id: words, words: words}}
	}
	notoTurtle, twTurtle, notoGrin, flag := emoji("noto-v1", turtle), emoji("twemoji", turtle), emoji("noto-v1", grin), emoji("flag-icons", fr)
	phTurtle, phHome, lucideSnake := icon("ph", "sea turtle"), icon("ph", "home"), icon("lucide", "snake")
	masked := icon("icon-park-solid", "home")
	masked.skip = unsupportedSVG([]byte(`<svg xmlns="http://www.w3.org/2000/svg"><mask id="m"/><path mask="url(#m)" d="M0 0h1v1z"/></svg>`))
	b.samples = []*sample{notoTurtle, twTurtle, notoGrin, flag, phTurtle, phHome, lucideSnake, masked}
	for i := range 10 { // other pictures, so the icon budget is not what leaves icons out
		b.samples = append(b.samples, emoji("noto", &Concept{Hex: fmt.Sprintf("F%04d", i), Names: map[string]string{"en": fmt.Sprint("thing ", i)}}))
	}
	if err := b.assign(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		s     *sample
		split string
	}{
		{notoTurtle, ""}, {twTurtle, SetUnseenClasses}, {notoGrin, "train"}, {flag, "train"},
		{phTurtle, ""}, {phHome, "train"}, {lucideSnake, ""},
		{masked, ""}, // known unrenderable: no split, and it takes no place under the caps
	} {
		if c.s.split != c.split {
			t.Errorf("%s %s: split %q (%s), want %q", c.s.style.Name, c.s.sourceID, c.s.split, c.s.dropped, c.split)
		}
	}
	if masked.skip == "" || masked.dropped != "" {
		t.Errorf("masked icon: skip %q, dropped %q", masked.skip, masked.dropped)
	}
	if len(flag.captions) == 0 || flag.captions[0].Text != "a picture of the flag of France" {
		t.Errorf("flag captions %+v", flag.captions)
	}
}
