package corpus

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// The evaluation sets, in report order.
const (
	SetUnseenClasses = "unseen-classes" // held-out concepts, training styles
	SetUnseenStyles  = "unseen-styles"  // seen concepts, held-out styles
	SetUnseenBoth    = "unseen-both"    // held-out concepts, held-out styles
	SetClipartSeen   = "clipart-seen"   // clip art titled with a seen concept's name
	SetClipartUnseen = "clipart-unseen" // clip art titled with a held-out concept's name
	SetMNIST         = "mnist"
	SetFashion       = "fashion-mnist"
)

// EvalSets lists the evaluation sets in report order.
var EvalSets = []string{SetUnseenClasses, SetUnseenStyles, SetUnseenBoth, SetClipartSeen, SetClipartUnseen, SetMNIST, SetFashion}

// Clip art titles are matched to concepts by name; these names are too general to say
// what a clip art picture shows (most titles with "man" are about something else).
var clipartStopNames = map[string]bool{
	"man": true, "woman": true, "person": true, "people": true, "boy": true, "girl": true,
	"child": true, "adult": true, "baby": true, "older person": true, "family": true,
	"o": true, "x": true, "id": true, "ok": true, "new": true, "free": true, "up": true,
	"top": true, "on": true, "end": true, "back": true, "soon": true, "cool": true,
	"vs": true, "sos": true, "ng": true, "japanese": true, "information": true,
}

// benchmarkFixed are training styles added after the unseen-classes benchmark was
// first published: their pictures of held-out concepts are left out (never trained on)
// rather than added to it, so results on it stay comparable across corpus versions.
var benchmarkFixed = map[string]bool{"noto-v1": true}

// assign decides every picture's split from names alone, before rendering, so that
// pictures left out are not rendered: it holds out concepts and styles, labels clip
// art, leaves out what names a held-out concept, and samples and caps the groups.
func (b *builder) assign() error {
	sp := b.split
	// Concept names for matching clip art titles: plain English names, and "X flag" and
	// "flag of X" for flags.
	var phrases, hexes []string
	for _, c := range b.db.Concepts {
		n := c.Names["en"]
		if rest, ok := strings.CutPrefix(n, "flag: "); ok {
			phrases = append(phrases, rest+" flag", "flag of "+rest)
			hexes = append(hexes, c.Hex, c.Hex)
			continue
		}
		if strings.ContainsAny(n, ":()“”") || clipartStopNames[strings.ToLower(n)] || len(n) < 3 {
			continue
		}
		phrases = append(phrases, n)
		hexes = append(hexes, c.Hex)
	}
	conceptNames := newPhraseSet(phrases, hexes)

	// Clip art titles shared by many pictures are series names.
	seriesSize := map[string]int{}
	for _, s := range b.samples {
		if s.clip != nil {
			seriesSize[strings.ToLower(s.name)]++
		}
	}
	for _, s := range b.samples {
		if s.skip != "" { // known unrenderable before rendering: in no split
			continue
		}
		switch s.style.Kind {
		case "emoji", "flag":
			hc, hs := sp.Concepts[s.concept.Hex], sp.Styles[s.style.Name]
			switch {
			case !hc && !hs:
				s.split = "train"
			case hc && !hs && benchmarkFixed[s.style.Name]:
				b.drop(s, "held-out concept; benchmark kept as it was")
			case hc && !hs:
				s.split = SetUnseenClasses
			case !hc && hs:
				s.split = SetUnseenStyles
			default:
				s.split = SetUnseenBoth
			}
		case "icon":
			if sp.Banned["en"].contains(s.name) {
				b.drop(s, "names a held-out concept")
				continue
			}
			s.split = "train"
		case "clipart":
			series := seriesSize[strings.ToLower(s.name)] > clipartSeriesMax
			// A series title ("Lemon SVG theme" on 411 computer icons) says nothing about
			// the picture: no label from it.
			if hits := conceptNames.find(s.name); len(hits) > 0 && !series {
				// The longest name found is the label; a tie between two concepts is none.
				if len(hits) > 1 && hits[0].N == hits[1].N {
					b.drop(s, "title names two concepts")
					continue
				}
				s.concept = b.db.byHex[hits[0].Value]
				s.split = SetClipartSeen
				if sp.Concepts[s.concept.Hex] {
					s.split = SetClipartUnseen
				}
				continue
			}
			text := s.name + " " + strings.Join(s.clip.meta.keywords(), " ")
			if sp.Banned["en"].contains(text) {
				b.drop(s, "names a held-out concept")
				continue
			}
			s.split = "train"
		case "digits":
			s.split = SetMNIST
		case "clothes":
			s.split = SetFashion
		}
	}
	b.sampleUnseenStyles()
	b.capGroups("train", "clip art series beyond the first few", clipartSeriesMax, func(s *sample) string {
		if s.clip == nil {
			return ""
		}
		return strings.ToLower(s.name)
	})
	for _, set := range []string{SetClipartSeen, SetClipartUnseen} {
		b.capGroups(set, "clip art class already full", clipartPerClass, func(s *sample) string { return s.concept.Hex })
	}
	// Last, as its budget counts the other training pictures that the caps above keep.
	b.capIcons()
	b.writeCaptions()
	n := 0
	for _, s := range b.samples {
		if s.split != "" {
			n++
		}
	}
	b.logf("splits: %d of %d pictures kept", n, len(b.samples))
	return nil
}

// finish runs after rendering: it removes pictures skipped by the renderer and
// pixel-identical ones that could leak or be ambiguous, makes the keys, writes the
// captions and orders the training shards.
func (b *builder) finish() error {
	for _, s := range b.samples {
		if s.skip != "" {
			s.split = ""
		}
	}
	b.dedupe()
	b.makeKeys()

	b.evals = map[string][]*sample{}
	for _, s := range b.samples {
		switch s.split {
		case "":
		case "train":
			b.train = append(b.train, s)
		default:
			b.evals[s.split] = append(b.evals[s.split], s)
		}
	}
	// The shard order: a seeded shuffle, so each shard mixes sources and styles.
	sort.Slice(b.train, func(i, j int) bool {
		hi, hj := hash64(b.o.Seed, "order:"+b.train[i].key), hash64(b.o.Seed, "order:"+b.train[j].key)
		if hi != hj {
			return hi < hj
		}
		return b.train[i].key < b.train[j].key
	})
	b.logf("finish: %d training samples; eval %s", len(b.train), b.evalCounts())
	return nil
}

// writeCaptions writes the captions of the training samples, then checks them all
// against the held-out names, in the caption's language (English for languages
// without CLDR names here): an emoji loses the caption, a named icon or a clip art
// picture (whose caption may name a held-out concept through its folder, "books")
// is left out, as it probably shows that concept.
func (b *builder) writeCaptions() {
	banned := func(c Caption) bool {
		set, ok := b.split.Banned[c.Lang]
		if !ok {
			set = b.split.Banned["en"]
		}
		return set.contains(c.Text)
	}
	for _, s := range b.samples {
		if s.split != "train" {
			continue
		}
		switch s.style.Kind {
		case "emoji", "flag":
			s.captions = emojiCaptions(s.concept, s.style, b.db.Groups["en"][s.concept.Group], b.split.Banned)
		case "icon":
			s.captions = iconCaptions(*s.icon, s.style)
		case "clipart":
			s.captions = clipartCaptions(*s.clip, s.style)
		}
		kept := s.captions[:0]
		for _, c := range s.captions {
			if !banned(c) {
				kept = append(kept, c)
			}
		}
		switch {
		case len(kept) == len(s.captions):
		case (s.style.Kind == "emoji" || s.style.Kind == "flag") && len(kept) > 0:
			s.captions = kept
		default:
			b.drop(s, "names a held-out concept")
		}
	}
}

func (b *builder) drop(s *sample, reason string) {
	s.split, s.dropped = "", reason
	count(b.drops, s.style.Name, reason)
}

func (b *builder) evalCounts() string {
	var parts []string
	for _, set := range EvalSets {
		parts = append(parts, fmt.Sprintf("%s %d", set, len(b.evals[set])))
	}
	return strings.Join(parts, ", ")
}

// Clip art limits: a title on more than clipartSeriesMax pictures is a series name
// (only that many of the series are trained on, with no label taken from it), and an
// out-of-domain class keeps at most clipartPerClass pictures (titles like "Hotel Icon
// …" would otherwise fill one class with one artist's set).
const (
	clipartSeriesMax = 5
	clipartPerClass  = 10
)

// capGroups keeps, among the samples of split that group puts in the same (non-empty)
// group, the first max in a seeded order, and drops the rest.
func (b *builder) capGroups(split, reason string, max int, group func(*sample) string) {
	byGroup := map[string][]*sample{}
	for _, s := range b.samples {
		if s.split == split {
			if g := group(s); g != "" {
				byGroup[g] = append(byGroup[g], s)
			}
		}
	}
	for _, g := range sortedKeys(byGroup) {
		ss := byGroup[g]
		if len(ss) <= max {
			continue
		}
		sort.SliceStable(ss, func(i, j int) bool {
			return hash64(b.o.Seed, "cap:"+ss[i].sourceID) < hash64(b.o.Seed, "cap:"+ss[j].sourceID)
		})
		for _, s := range ss[max:] {
			b.drop(s, reason)
		}
	}
}

// sampleUnseenStyles keeps the unseen-styles benchmark to unseenStyleClasses seen
// concepts, chosen in a seeded order: a benchmark of a few hundred classes, like the
// unseen-classes one, instead of all seen concepts at once.
func (b *builder) sampleUnseenStyles() {
	if b.o.Small {
		return
	}
	have := map[string]bool{}
	for _, s := range b.samples {
		if s.split == SetUnseenStyles {
			have[s.concept.Hex] = true
		}
	}
	hexes := sortedKeys(have)
	sort.SliceStable(hexes, func(i, j int) bool {
		return hash64(b.o.Seed, "unseen-styles:"+hexes[i]) < hash64(b.o.Seed, "unseen-styles:"+hexes[j])
	})
	chosen := map[string]bool{}
	for _, h := range hexes[:min(len(hexes), unseenStyleClasses)] {
		chosen[h] = true
	}
	for _, s := range b.samples {
		if s.split == SetUnseenStyles && !chosen[s.concept.Hex] {
			b.drop(s, "held-out style, concept not sampled for the benchmark")
		}
	}
}

// dedupe removes pictures that are pixel-identical to others where it matters: an
// evaluation picture shown under two classes of its set is ambiguous (both go); a
// training picture equal to any evaluation picture would leak it; a training picture
// equal to an earlier one is a duplicate.
func (b *builder) dedupe() {
	classesOf := map[string]map[string]map[string]bool{} // set → hash → class names
	evalHash := map[string]bool{}
	for _, s := range b.samples {
		if s.split == "" || s.split == "train" {
			continue
		}
		if classesOf[s.split] == nil {
			classesOf[s.split] = map[string]map[string]bool{}
		}
		if classesOf[s.split][s.hash] == nil {
			classesOf[s.split][s.hash] = map[string]bool{}
		}
		classesOf[s.split][s.hash][classID(s)] = true
		evalHash[s.hash] = true
	}
	seenEval := map[string]bool{}
	seenTrain := map[string]bool{}
	for _, s := range b.samples {
		switch s.split {
		case "":
		case "train":
			switch {
			case evalHash[s.hash]:
				b.drop(s, "same pixels as an evaluation picture")
			case seenTrain[s.hash]:
				b.drop(s, "duplicate picture")
			default:
				seenTrain[s.hash] = true
			}
		default:
			k := s.split + "\x00" + s.hash
			switch {
			case len(classesOf[s.split][s.hash]) > 1:
				b.drop(s, "same pixels under two classes")
			case seenEval[k]:
				b.drop(s, "duplicate picture")
			default:
				seenEval[k] = true
			}
		}
	}
}

var nonKey = regexp.MustCompile(`[^a-z0-9_-]+`)

// makeKeys gives every kept sample a unique WebDataset key, "style-id" in lower case
// with other characters as "_" (a key may not contain a dot).
func (b *builder) makeKeys() {
	used := map[string]int{}
	for _, s := range b.samples {
		if s.split == "" {
			continue
		}
		k := s.style.Name + "-" + strings.Trim(nonKey.ReplaceAllString(strings.ToLower(s.sourceID), "_"), "_")
		if n := used[k]; n > 0 {
			used[k]++
			k = fmt.Sprintf("%s-%d", k, n+1)
		} else {
			used[k] = 1
		}
		s.key = k
	}
}

var nonFolder = regexp.MustCompile(`[^\p{L}\p{N}' ,&()#+!.-]+`)

// folderName turns a class name into an image-folder name: spaces as underscores,
// characters that some file systems refuse (<>:"/\|?*) dropped or spelt out.
// Readers turn underscores back into spaces.
func folderName(name string) string {
	n := strings.ReplaceAll(name, "*", " asterisk ")
	n = strings.Join(strings.Fields(nonFolder.ReplaceAllString(n, " ")), " ")
	n = strings.TrimRight(n, ". ")
	return strings.ReplaceAll(n, " ", "_")
}

// className is the English class name of an evaluation sample.
func className(s *sample) string {
	if s.concept != nil {
		return naturalName(s.concept.Names["en"])
	}
	return s.name
}

// classID identifies an evaluation sample's class: its concept, else its name.
func classID(s *sample) string {
	if s.concept != nil {
		return s.concept.Hex
	}
	return s.name
}
