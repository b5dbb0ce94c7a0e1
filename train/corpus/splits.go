package corpus

import (
	"hash/fnv"
	"sort"
	"strings"
	"unicode"
)

// The splits. The paper's two central claims are transfer to classes and to styles
// never trained on, so the corpus holds out:
//   - whole CLDR subgroups of emoji ("animal-reptile", "sport", ...), about a tenth of
//     the concepts, in every style: the unseen classes;
//   - whole styles (HeldOutStyles), for every concept: the unseen styles.
// Nothing held out may reach training by another way: an icon or clip art picture whose
// name contains a held-out concept's name is left out, a keyword naming one is dropped
// from the captions of seen emoji, and any training picture whose pixels equal an
// evaluation picture's is removed (a style may draw two code points the same).

// words splits text into lower-case words of letters and digits: "T-Rex" → [t rex].
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) && !unicode.Is(unicode.Mc, r)
	})
}

// phraseSet finds whole-word phrases in text: "turtle" is in "a sea turtle" but not in
// "turtleneck", nor across punctuation ("woman artist: artist, palette" does not
// contain "artist palette"). A nil set contains nothing.
type phraseSet struct {
	byFirst map[string][][]string // first word → phrases (as words) starting with it
	value   map[string]string     // phrase words joined by " " → the value it stands for
	// spanning are the phrases that themselves hold punctuation ("keycap: 0"): they are
	// matched across it.
	spanning map[string]bool
}

// newPhraseSet indexes phrases; values[i] is what phrase i stands for (the phrase
// itself if values is nil).
func newPhraseSet(phrases []string, values []string) *phraseSet {
	p := &phraseSet{byFirst: map[string][][]string{}, value: map[string]string{}, spanning: map[string]bool{}}
	for i, ph := range phrases {
		w := words(ph)
		if len(w) == 0 {
			continue
		}
		key := strings.Join(w, " ")
		if _, dup := p.value[key]; dup {
			continue
		}
		p.value[key] = ph
		if strings.IndexFunc(ph, isClauseBreak) >= 0 {
			p.spanning[key] = true
		}
		if values != nil {
			p.value[key] = values[i]
		}
		p.byFirst[w[0]] = append(p.byFirst[w[0]], w)
	}
	return p
}

// phraseHit is a phrase found in a text: the value it stands for and its length in
// words (the longest, if several phrases of the value were found).
type phraseHit struct {
	N     int
	Value string
}

// find returns the phrases found in text, longest first, then by value.
func (p *phraseSet) find(text string) []phraseHit {
	if p == nil {
		return nil
	}
	best := map[string]int{}
	scan := func(part string, spanningOnly bool) {
		tw := words(part)
		for i, w := range tw {
			for _, ph := range p.byFirst[w] {
				key := strings.Join(ph, " ")
				if i+len(ph) > len(tw) || spanningOnly && !p.spanning[key] {
					continue
				}
				ok := true
				for j := range ph {
					if tw[i+j] != ph[j] {
						ok = false
						break
					}
				}
				if v := p.value[key]; ok && len(ph) > best[v] {
					best[v] = len(ph)
				}
			}
		}
	}
	for _, clause := range strings.FieldsFunc(text, isClauseBreak) {
		scan(clause, false)
	}
	if len(p.spanning) > 0 {
		scan(text, true)
	}
	hits := make([]phraseHit, 0, len(best))
	for v, n := range best {
		hits = append(hits, phraseHit{n, v})
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].N != hits[j].N {
			return hits[i].N > hits[j].N
		}
		return hits[i].Value < hits[j].Value
	})
	return hits
}

func (p *phraseSet) contains(text string) bool { return len(p.find(text)) > 0 }

// isClauseBreak reports punctuation that separates list items and clauses in names,
// keywords and captions; a phrase is never matched across it.
func isClauseBreak(r rune) bool { return strings.ContainsRune(",:;()[]/|", r) }

// hash64 is a seeded hash of a string (FNV-1a, then a splitmix64 finaliser): the
// deterministic "random" order of subgroups, concepts and samples.
func hash64(seed uint64, s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	z := h.Sum64() ^ (seed * 0x9e3779b97f4a7c15)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Subgroups held out are chosen among those of 3 to maxHeldOutSubgroup concepts,
// outside the flags (a different skill, reading a flag, and one subgroup is most of
// them).
const maxHeldOutSubgroup = 40

// chooseHeldOut picks CLDR subgroups to hold out, in a seeded order, until they hold
// at least fraction of the concepts. A subgroup is eligible only if none of its English
// names occurs inside the name of a concept outside it ("cat" inside "cat face"), since
// that concept's captions would teach the held-out name.
func chooseHeldOut(concepts []*Concept, seed uint64, fraction float64) []string {
	bySub := map[string][]*Concept{}
	for _, c := range concepts {
		bySub[c.Subgroup] = append(bySub[c.Subgroup], c)
	}
	var cands []string
	for sg, cs := range bySub {
		if len(cs) < 3 || len(cs) > maxHeldOutSubgroup || cs[0].Group == "flags" {
			continue
		}
		names := make([]string, len(cs))
		for i, c := range cs {
			names[i] = c.Names["en"]
		}
		ps := newPhraseSet(names, nil)
		eligible := true
		for _, c := range concepts {
			if c.Subgroup != sg && ps.contains(c.Names["en"]) {
				eligible = false
				break
			}
		}
		if eligible {
			cands = append(cands, sg)
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		hi, hj := hash64(seed, "subgroup:"+cands[i]), hash64(seed, "subgroup:"+cands[j])
		if hi != hj {
			return hi < hj
		}
		return cands[i] < cands[j]
	})
	target := int(fraction*float64(len(concepts)) + 0.5)
	var out []string
	n := 0
	for _, sg := range cands {
		if n >= target {
			break
		}
		out = append(out, sg)
		n += len(bySub[sg])
	}
	sort.Strings(out)
	return out
}

// Split says what is held out.
type Split struct {
	Subgroups []string        // held-out CLDR subgroups, sorted
	Concepts  map[string]bool // held-out concepts by Hex
	Styles    map[string]bool // held-out styles
	// Banned holds, per locale, the names of the held-out concepts.
	Banned map[string]*phraseSet
	// Names are the held-out concepts' English names, for reports and tests.
	Names []string
}

func newSplit(db *emojiDB, subgroups []string, styles []string) *Split {
	s := &Split{Subgroups: subgroups, Concepts: map[string]bool{}, Styles: map[string]bool{}, Banned: map[string]*phraseSet{}}
	held := map[string]bool{}
	for _, sg := range subgroups {
		held[sg] = true
	}
	names := map[string][]string{}
	for _, c := range db.Concepts {
		if held[c.Subgroup] {
			s.Concepts[c.Hex] = true
			for _, l := range Locales {
				if n := c.Names[l]; n != "" {
					names[l] = append(names[l], n)
				}
			}
			// Captions and class names use the natural form ("flag of X" for "flag: X").
			names["en"] = append(names["en"], naturalName(c.Names["en"]))
			s.Names = append(s.Names, c.Names["en"])
		}
	}
	for _, l := range Locales {
		s.Banned[l] = newPhraseSet(names[l], nil)
	}
	for _, st := range styles {
		s.Styles[st] = true
	}
	return s
}
