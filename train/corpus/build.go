// Package corpus builds the project's image–text corpus from packaged, freely licensed
// sources: emoji in ten visual styles and flags from three flag sets, joined by code
// point (flags by region code) to their CLDR names and keywords in several languages,
// named icons from every permissively licensed Iconify set, clip art, and (for evaluation only)
// MNIST and Fashion-MNIST. It writes WebDataset shards for training, held-out
// zero-shot benchmarks (unseen classes, unseen styles, both, out of domain) as shards
// and as labelled image folders, a manifest with the checksum of every file, a
// dataset card and a contact sheet.
//
// Everything is fetched at pinned versions through the registries' own clients and
// checked against pinned digests (sources.go), cached, and processed in a fixed order
// with seeded choices: the same pinned inputs give byte-identical outputs (for the same
// Go release and CPU architecture: Go's PNG encoder may change between releases, and
// arm64 fuses multiply-adds in the rasteriser's float arithmetic).
//
// Images are rendered at Options.Size (default 64, the input of the "small" model
// preset; the trainer resizes any other size). The steps, in order: names (emojibase
// and the held-out subgroups), sources (every picture listed), splits (from names
// only, so pictures left out are not rendered), render, finish (pixel-hash dedupe and
// leak removal, keys, shard order), write.
package corpus

import (
	"errors"
	"fmt"
	"image"
	"io"
	"runtime"
	"sort"
	"time"
)

// Options configure a build.
type Options struct {
	Out   string // output folder
	Cache string // download cache (npm/ and apt/ under it)
	Size  int    // image side in pixels (default 64, the "small" model's input)
	Small bool   // a quick subset for tests: fewer concepts, npm and Go sources only
	Seed  uint64 // every choice derives from it (default 1)
	// PerShard is the number of samples per training shard (default 1000).
	PerShard int
	Workers  int       // rendering goroutines (default GOMAXPROCS)
	Log      io.Writer // progress; nil for none
	// CardCopy, if set, is a second path the dataset card is written to (the copy
	// committed to the repository).
	CardCopy string
}

// Fixed parameters of the corpus; changing one changes the data, so they are not
// options.
const (
	heldOutFraction    = 0.10 // of the concepts, held out as whole subgroups
	unseenStyleClasses = 200  // seen concepts sampled for the unseen-styles benchmark
	digitsPerClass     = 100  // MNIST and Fashion-MNIST test images per class
	smallEvery         = 8    // --small keeps one concept in this many
	smallIconEvery     = 25   // and one icon in this many
	smallDigits        = 10
)

// sample is one picture and everything known about it, from its source to its split.
type sample struct {
	key      string // the WebDataset key: style-id, [a-z0-9_-]
	style    *Style
	sourceID string   // the file or icon name in its package
	concept  *Concept // emoji, and clip art labelled with a concept
	name     string   // English name: CLDR name, icon words, clip art title, class
	creator  string   // clip art: the author the metadata names
	icon     *iconJob
	clip     *clipartJob
	label    int // digits and clothes: the class index

	render func() (*image.RGBA, error)
	png    []byte
	hash   string // pixelHash
	skip   string // why it was not rendered

	split      string // "train", an eval set name, or "" (left out or not rendered)
	dropped    string // why the splits left it out
	class      string // eval sets: the class folder
	labelIndex *int   // eval sets: the class's index in classes.json
	captions   []Caption
}

// Result summarises a build.
type Result struct {
	TrainSamples int
	TrainShards  []string
	Eval         []EvalSetInfo
	Elapsed      time.Duration
}

// Build fetches the sources and writes the corpus to o.Out.
func Build(o Options) (*Result, error) {
	start := time.Now()
	if o.Out == "" || o.Cache == "" {
		return nil, errors.New("corpus: Out and Cache are required")
	}
	if o.Size == 0 {
		o.Size = 64
	}
	if o.Size < 16 || o.Size > 512 {
		return nil, fmt.Errorf("corpus: image size %d out of range 16..512", o.Size)
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.PerShard <= 0 {
		o.PerShard = 1000
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	b := &builder{o: o, f: &Fetcher{Cache: o.Cache, Log: o.Log}, skips: map[string]map[string]int{}, drops: map[string]map[string]int{}}
	steps := []struct {
		name string
		fn   func() error
	}{
		{"names", b.loadNames},
		{"sources", b.collect},
		{"splits", b.assign},
		{"render", b.renderAll},
		{"finish", b.finish},
		{"write", b.write},
	}
	for _, s := range steps {
		t := time.Now()
		if err := s.fn(); err != nil {
			return nil, err
		}
		b.logf("%s: done in %.1fs", s.name, time.Since(t).Seconds())
	}
	res := &Result{TrainSamples: len(b.train), TrainShards: b.shardPaths, Eval: b.evalInfo, Elapsed: time.Since(start)}
	b.logf("built %d training samples in %d shards and %d eval sets in %.1fs", res.TrainSamples, len(res.TrainShards), len(res.Eval), res.Elapsed.Seconds())
	return res, nil
}

// builder carries a build's state from step to step.
type builder struct {
	o     Options
	f     *Fetcher
	db    *emojiDB
	split *Split

	samples []*sample // every picture, in source order
	train   []*sample // the training samples, in shard order
	evals   map[string][]*sample
	sources []sourceInfo // what was fetched, for the manifest and card

	skips map[string]map[string]int // style → reason → count (not rendered)
	drops map[string]map[string]int // style → reason → count (rendered, left out)

	shardPaths []string
	evalInfo   []EvalSetInfo
	manifest   []fileInfo
}

type sourceInfo struct {
	ID, Digest, Registry string
}

func (b *builder) logf(format string, args ...any) {
	if b.o.Log != nil {
		fmt.Fprintf(b.o.Log, format+"\n", args...)
	}
}

func (b *builder) npm(p NPM) (string, error) {
	path, err := b.f.NPM(p)
	if err == nil {
		b.sources = append(b.sources, sourceInfo{p.id(), p.Integrity, "npm"})
	}
	return path, err
}

func (b *builder) deb(p Deb) (string, error) {
	path, err := b.f.Deb(p)
	if err == nil {
		b.sources = append(b.sources, sourceInfo{p.id(), "sha256-" + p.SHA256, "Debian"})
	}
	return path, err
}

// loadNames reads emojibase and chooses the held-out subgroups. The choice uses every
// concept, also in --small builds, so a small build holds out the same ones.
func (b *builder) loadNames() error {
	tgz, err := b.npm(pkgEmojibase)
	if err != nil {
		return err
	}
	files, err := readTGZFiles(tgz, emojibaseFiles()...)
	if err != nil {
		return err
	}
	if b.db, err = loadEmojibase(files); err != nil {
		return err
	}
	b.split = newSplit(b.db, chooseHeldOut(b.db.Concepts, b.o.Seed, heldOutFraction), HeldOutStyles)
	b.logf("names: %d concepts; held out %d subgroups with %d concepts", len(b.db.Concepts), len(b.split.Subgroups), len(b.split.Concepts))
	return nil
}

func count(m map[string]map[string]int, style, reason string) {
	if m[style] == nil {
		m[style] = map[string]int{}
	}
	m[style][reason]++
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
