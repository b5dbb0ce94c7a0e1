package corpus

import (
	"fmt"
	"image"
)

// wantConcept is the --small subset of concepts (all of them otherwise).
func (b *builder) wantConcept(c *Concept) bool {
	return !b.o.Small || hash64(b.o.Seed, "small:"+c.Hex)%smallEvery == 0
}

// collect reads every source and lists its pictures, each with a function rendering
// it, in a fixed order: emoji styles, icon sets, clip art, digits and clothes.
func (b *builder) collect() error {
	for _, step := range []func() error{b.collectEmoji, b.collectIcons, b.collectClipart, b.collectDigits} {
		if err := step(); err != nil {
			return err
		}
	}
	b.logf("sources: %d pictures", len(b.samples))
	return nil
}

// emojiSources are the emoji styles' packages and how to list their pictures; small
// says whether a --small build reads it (the small packages, all three held-out
// styles among them).
var emojiSources = []struct {
	pkg   NPM
	small bool
	jobs  func(tgz string, want func(*Concept) bool, db *emojiDB) ([]emojiJob, error)
}{
	{pkgNoto, false, notoJobs},
	{pkgTwemoji, true, twemojiJobs},
	{pkgFluentFlat, true, iconifyEmoji("fluent-flat")},
	{pkgEmojiOne, false, iconifyEmoji("emojione")},
	{pkgFxEmoji, false, iconifyEmoji("fxemoji")},
	{pkgStreamline, false, iconifyEmoji("streamline")},
	{pkgOpenMoji, true, openmojiJobs},
	{pkgFluentHC, true, iconifyEmoji("fluent-hc")},
	{pkgNotoV1, false, iconifyEmoji("noto-v1")},
	// Flags: CoreUI's (small, and nearly all drawable) stand for them in --small builds.
	// Circle Flags is not read: every one of its flags is cut to a circle by an SVG
	// mask, which the renderer cannot draw.
	{pkgFlagIcons, false, flagJobs("flag-icons", "-4x3")},
	{pkgFlagpack, false, flagJobs("flagpack", "")},
	{pkgCIF, true, flagJobs("cif", "")},
}

func iconifyEmoji(style string) func(string, func(*Concept) bool, *emojiDB) ([]emojiJob, error) {
	return func(tgz string, want func(*Concept) bool, db *emojiDB) ([]emojiJob, error) {
		return iconifyEmojiJobs(style, tgz, want, db)
	}
}

func (b *builder) collectEmoji() error {
	size := b.o.Size
	for _, es := range emojiSources {
		if b.o.Small && !es.small {
			continue
		}
		tgz, err := b.npm(es.pkg)
		if err != nil {
			return err
		}
		jobs, err := es.jobs(tgz, b.wantConcept, b.db)
		if err != nil {
			return err
		}
		b.logf("sources: %s: %d emoji pictures", es.pkg.id(), len(jobs))
		for _, j := range jobs {
			st := styleByName(j.style)
			s := &sample{style: st, sourceID: j.id, concept: j.concept, name: j.concept.Names["en"]}
			svg, png := j.svg, j.png
			s.render = func() (*image.RGBA, error) {
				var img *image.RGBA
				var err error
				if svg != nil {
					img, err = renderSVG(svg, size)
				} else {
					img, err = decodeFit(png, size)
				}
				if err != nil {
					return nil, err
				}
				return img, checkInk(img, st.Colour)
			}
			b.samples = append(b.samples, s)
		}
	}
	return nil
}

func (b *builder) collectIcons() error {
	size := b.o.Size
	for _, spec := range iconSets {
		// --small reads two small sets: tabler (variants named by hand) and lucide
		// (variants detected, licence ISC), enough to exercise both and the name caps.
		if b.o.Small && spec.style != "tabler" && spec.style != "lucide" {
			continue
		}
		tgz, err := b.npm(spec.pkg)
		if err != nil {
			return err
		}
		keep := func(name string) bool {
			return !b.o.Small || hash64(b.o.Seed, "small-icon:"+name)%smallIconEvery == 0
		}
		jobs, err := iconJobs(spec, tgz, keep)
		if err != nil {
			return err
		}
		b.logf("sources: %s: %d icons", spec.pkg.id(), len(jobs))
		st := styleByName(spec.style)
		for k := range jobs {
			j := &jobs[k]
			s := &sample{style: st, sourceID: j.id, name: j.words, icon: j}
			// Found before the splits, so that the icon caps and budget are spent on icons
			// the renderer can draw (many sets clip or mask some of theirs).
			s.skip = unsupportedSVG(j.svg)
			s.render = func() (*image.RGBA, error) {
				img, err := renderSVG(j.svg, size)
				if err != nil {
					return nil, err
				}
				return img, checkInk(img, st.Colour)
			}
			b.samples = append(b.samples, s)
		}
	}
	return nil
}

// collectClipart reads the clip art (full builds only: the Debian packages are 155 MB).
func (b *builder) collectClipart() error {
	if b.o.Small {
		return nil
	}
	size := b.o.Size
	svgDeb, err := b.deb(debClipartSVG)
	if err != nil {
		return err
	}
	pngDeb, err := b.deb(debClipartPNG)
	if err != nil {
		return err
	}
	jobs, err := clipartJobs(svgDeb, pngDeb, func(string) bool { return true })
	if err != nil {
		return err
	}
	b.logf("sources: %s: %d clip art pictures with titles", debClipartPNG.id(), len(jobs))
	st := styleByName("clipart")
	for k := range jobs {
		j := &jobs[k]
		s := &sample{style: st, sourceID: j.id, name: j.meta.usableTitle(), creator: j.meta.Creator, clip: j}
		s.render = func() (*image.RGBA, error) {
			img, err := decodeFit(j.png, size)
			if err != nil {
				return nil, err
			}
			return img, checkInk(img, false)
		}
		b.samples = append(b.samples, s)
	}
	return nil
}

// collectDigits reads MNIST (always) and Fashion-MNIST (full builds), evaluation only.
func (b *builder) collectDigits() error {
	size := b.o.Size
	perClass := digitsPerClass
	if b.o.Small {
		perClass = smallDigits
	}
	mod, err := b.f.GoModule(modMNIST)
	if err != nil {
		return err
	}
	b.sources = append(b.sources, sourceInfo{modMNIST.id(), modMNIST.Sum, "Go module proxy"})
	jobs, err := mnistJobs(mod, perClass)
	if err != nil {
		return err
	}
	if !b.o.Small {
		deb, err := b.deb(debFashion)
		if err != nil {
			return err
		}
		clothes, err := fashionJobs(deb, perClass)
		if err != nil {
			return err
		}
		jobs = append(jobs, clothes...)
	}
	for _, j := range jobs {
		names := digitClasses
		if j.style == "fashion-mnist" {
			names = fashionClasses
		}
		img := j.img
		s := &sample{style: styleByName(j.style), sourceID: fmt.Sprintf("%05d", j.index), name: names[j.label].en, label: j.label}
		s.render = func() (*image.RGBA, error) { return fitOnWhite(img, size), nil }
		b.samples = append(b.samples, s)
	}
	return nil
}
