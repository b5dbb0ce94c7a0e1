// Package data streams image–text pairs for contrastive training: from WebDataset tar
// shards as img2dataset writes them, or from CSV/TSV lists of image files and captions;
// shuffled (shard order per epoch, then a shuffle buffer), decoded and preprocessed by
// parallel workers, optionally augmented with a random resized crop, looping over
// epochs, and resumable at an exact position.
//
// # Sources
//
// Open takes a spec string (see ExpandSpec): parts joined with "::", each with brace
// groups ({000000..000123}, {a,b,c}) and globs (shards/*.tar), for example
//
//	/data/laion/{00000..00999}.tar::/data/cc3m/*.tar::/data/extra/pairs.csv
//
// In a tar shard, members named {key}.{jpg,jpeg,png,webp,gif,bmp}, {key}.txt and
// {key}.json that sit next to each other form one sample (the key is the member name
// up to the first dot of its base name; directories are part of it). The caption
// candidates are the .json "captions" array (strings, or objects {"text": ..., "lang":
// ...}) if it has any; else the .txt text (trimmed); else the .json "caption". A sample
// with several candidates gets one of them each time it is used, chosen at random. A
// CSV or TSV file (.csv, .tsv) has a header with an image column ("filepath" or
// "image"), a caption column ("caption" or "text") and optionally "lang"; image paths
// are relative to the file's folder.
//
// # Order and determinism
//
// Each epoch, the source files are shuffled, read one after the other, and their
// samples pass through a shuffle buffer (ShuffleBuffer samples: each arriving sample
// is added and a random one taken out, as webdataset's shuffle does). That order, the
// caption chosen for each sample and its random crop depend only on the seed, the epoch
// and the sample's position in the epoch; workers decode in parallel but samples come
// out in that order. So the same data and Options give the same sequence of samples,
// pixel for pixel, whatever Workers is and however the goroutines are scheduled.
//
// # Bad data
//
// Nothing in the data is fatal: samples without a caption or image, images that fail to
// decode, unusable tar members, and shards that are missing, not tar files or broken
// part way (the samples before the break are kept) are skipped and counted in Stats.
// Open fails only when the spec names no existing file, and Next when a whole epoch
// yields no sample.
//
// # Resuming
//
// State is the position after the last sample Next returned, small and JSON
// serialisable. OpenAt(spec, opt, st) yields exactly the samples an uninterrupted
// loader would have yielded next: same images, captions, crops, same counters. It
// re-reads the current epoch from its start up to the resume point without decoding:
// it reads the tar headers and the .txt/.json members and seeks over the image bodies
// (CSV lists are just re-parsed), to refill the shuffle buffer as it was. The cost is
// proportional to the position in the epoch, with no image I/O and no decoding: parsing
// the tar headers and the caption members, about 20 µs a sample on one core of the
// development machine (so about 20 s for a position a million samples into an epoch),
// plus the image bytes the read buffer happens to hold. About ShuffleBuffer samples past
// the resume point are read that way too; their images are read from the shard by
// offset when their turn comes.
package data

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/clip-go/clip/model/imageproc"
)

// Options configure a Loader. The zero value of each field means its default.
type Options struct {
	// Image is the preprocessing (input size and normalisation); default
	// imageproc.DefaultConfig(224).
	Image imageproc.Config
	// Seed determines every random choice: shard order, shuffling, captions, crops.
	Seed uint64
	// ShuffleBuffer is the number of samples held for shuffling (default 1000; 1: no
	// shuffling of samples, only of shards).
	ShuffleBuffer int
	// NoShuffle reads the sources in the order given and their samples in file order
	// (for evaluation); ShuffleBuffer is then ignored.
	NoShuffle bool
	// Workers is the number of goroutines decoding and preprocessing images (default
	// GOMAXPROCS). It does not change the output.
	Workers int
	// Augment takes a random resized crop (torchvision's RandomResizedCrop, area scale
	// in [MinScale, MaxScale], aspect ratio in [3/4, 4/3]) instead of the centre crop.
	Augment bool
	// MinScale and MaxScale bound the crop's area as a fraction of the image's; default
	// 0.9 and 1.0.
	MinScale, MaxScale float64
	// Style is the probability that a training image is redrawn in another style (line
	// art, silhouette, greyscale, another palette; style.go) before the crop; 0: never.
	Style float64
	// Epochs is the number of epochs before Next returns io.EOF; 0 loops forever.
	Epochs int
}

// Default option values.
const (
	DefaultShuffleBuffer = 1000
	DefaultMinScale      = 0.9
	DefaultMaxScale      = 1.0
)

// Sample is one preprocessed image–text pair.
type Sample struct {
	Key     string // the sample's key in its shard, or its image path as written in the CSV
	Source  string // the shard or CSV file it came from
	Caption string // the caption chosen for this use
	Lang    string // the caption's language, if the data says
	// Concept names what the picture shows, from the sample's JSON ("concept", else
	// "name"; "" if neither): pictures of one concept are not negatives of each other.
	Concept string
	// Pixels is the preprocessed image, 3*Size*Size float32 values, CHW.
	Pixels []float32
	Epoch  int   // the epoch it belongs to, from 0
	Index  int64 // its position in the epoch's shuffled stream, from 0
}

// Stats counts what the loader delivered and what it skipped, from the start of the
// run (carried over by State across a resume). The counts are attributed to positions
// in the stream, so they too are the same whatever the number of workers.
type Stats struct {
	Samples   int64 `json:"samples"`    // samples delivered
	NoCaption int64 `json:"no_caption"` // samples with an image but no caption
	NoImage   int64 `json:"no_image"`   // samples with no usable image member
	BadImage  int64 `json:"bad_image"`  // images that failed to read or decode
	BadMember int64 `json:"bad_member"` // tar members (CSV rows) that could not be used
	BadShard  int64 `json:"bad_shard"`  // files missing, unreadable, or broken part way
}

func (s *Stats) add(d Stats) {
	s.Samples += d.Samples
	s.NoCaption += d.NoCaption
	s.NoImage += d.NoImage
	s.BadImage += d.BadImage
	s.BadMember += d.BadMember
	s.BadShard += d.BadShard
}

// Skipped is the number of samples skipped: NoCaption + NoImage + BadImage.
func (s Stats) Skipped() int64 { return s.NoCaption + s.NoImage + s.BadImage }

func (s Stats) String() string {
	return fmt.Sprintf("samples=%d no_caption=%d no_image=%d bad_image=%d bad_member=%d bad_shard=%d",
		s.Samples, s.NoCaption, s.NoImage, s.BadImage, s.BadMember, s.BadShard)
}

// State is a loader's position: after the last sample returned.
type State struct {
	Seed  uint64 `json:"seed"`
	Epoch int    `json:"epoch"` // the current epoch, from 0
	// Pos is how many positions of the epoch's shuffled stream have been consumed: the
	// samples delivered plus those whose image failed to decode.
	Pos int64 `json:"pos"`
	// Delivered is how many samples of the epoch have been delivered.
	Delivered int64 `json:"delivered"`
	// Fingerprint identifies what fixes the order: the source files' base names, in
	// order, and the shuffle settings. OpenAt refuses a State with another fingerprint;
	// an empty one is not checked.
	Fingerprint string `json:"fingerprint,omitempty"`
	Stats       Stats  `json:"stats"`
}

// ErrClosed is returned by Next after Close.
var ErrClosed = errors.New("data: loader closed")

// Loader streams samples; see the package documentation. Next, Batch, State, Stats and
// Epoch may be called from any goroutine, Next and Batch one call at a time.
type Loader struct {
	opt   Options
	files []string
	fp    string

	out  chan *future // every stream position, in order
	quit chan struct{}
	stop sync.Once
	wg   sync.WaitGroup

	next sync.Mutex // serialises Next
	mu   sync.Mutex // guards st, err, closed
	st   State
	err  error
}

// future is one position of an epoch's stream, resolved by a worker; or, with marker
// set, the end of an epoch whose last position was not delivered.
type future struct {
	it     *item
	epoch  int
	idx    int64
	last   bool  // the epoch's last position
	marker bool  // no sample: the epoch ends here
	delta  Stats // skips counted by the reader since the previous position
	done   chan struct{}
	sample Sample
	err    error
}

// Open starts a loader at the beginning of epoch 0.
func Open(spec string, opt Options) (*Loader, error) {
	return open(spec, opt, State{Seed: opt.Seed})
}

// OpenAt starts a loader at st, a State taken from a loader over the same data with the
// same Options (Workers aside): it yields exactly what that loader would have yielded
// next. st.Seed replaces opt.Seed. See the package documentation for the cost.
func OpenAt(spec string, opt Options, st State) (*Loader, error) {
	if st.Epoch < 0 || st.Pos < 0 || st.Delivered < 0 || st.Delivered > st.Pos {
		return nil, fmt.Errorf("data: invalid state %+v", st)
	}
	return open(spec, opt, st)
}

func open(spec string, opt Options, st State) (*Loader, error) {
	opt.Seed = st.Seed
	if err := opt.normalize(); err != nil {
		return nil, err
	}
	files, err := ExpandSpec(spec)
	if err != nil {
		return nil, err
	}
	exists := false
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			exists = true
			break
		}
	}
	if !exists {
		return nil, fmt.Errorf("data: spec %q: none of its %d files exists (first: %s)", spec, len(files), files[0])
	}
	fp := fingerprint(files, opt)
	if st.Fingerprint != "" && st.Fingerprint != fp {
		return nil, fmt.Errorf("data: the state was taken over other data or shuffle settings (fingerprint %s, now %s)",
			st.Fingerprint, fp)
	}
	st.Fingerprint = fp
	l := &Loader{
		opt:   opt,
		files: files,
		fp:    fp,
		out:   make(chan *future, 4*opt.Workers+4),
		quit:  make(chan struct{}),
		st:    st,
	}
	if opt.Epochs > 0 && st.Epoch >= opt.Epochs {
		l.err = io.EOF
		close(l.out)
		return l, nil
	}
	jobs := make(chan *future, 2*opt.Workers)
	l.wg.Add(1 + opt.Workers)
	go l.produce(st, jobs)
	for range opt.Workers {
		go l.work(jobs)
	}
	return l, nil
}

func (o *Options) normalize() error {
	if o.Image == (imageproc.Config{}) {
		o.Image = imageproc.DefaultConfig(224)
	}
	if err := o.Image.Validate(); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	switch {
	case o.ShuffleBuffer == 0:
		o.ShuffleBuffer = DefaultShuffleBuffer
	case o.ShuffleBuffer < 0:
		return fmt.Errorf("data: negative shuffle buffer %d", o.ShuffleBuffer)
	}
	if o.NoShuffle {
		o.ShuffleBuffer = 1
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	o.Workers = min(o.Workers, 256)
	if o.MinScale == 0 && o.MaxScale == 0 {
		o.MinScale, o.MaxScale = DefaultMinScale, DefaultMaxScale
	}
	if !(o.MinScale > 0 && o.MinScale <= o.MaxScale && o.MaxScale <= 1) {
		return fmt.Errorf("data: crop scale range [%g, %g] is not within (0, 1]", o.MinScale, o.MaxScale)
	}
	if !(o.Style >= 0 && o.Style <= 1) {
		return fmt.Errorf("data: style probability %g is not within [0, 1]", o.Style)
	}
	if o.Epochs < 0 {
		return fmt.Errorf("data: negative epoch count %d", o.Epochs)
	}
	return nil
}

// fingerprint hashes what determines the order of the stream.
func fingerprint(files []string, opt Options) string {
	h := fnv.New64a()
	for _, f := range files {
		io.WriteString(h, filepath.Base(f))
		h.Write([]byte{0})
	}
	io.WriteString(h, strconv.Itoa(opt.ShuffleBuffer))
	return strconv.FormatUint(h.Sum64(), 16)
}

// produce reads the sources epoch after epoch, shuffles, and hands the stream to the
// workers (jobs) and the consumer (l.out), in order.
func (l *Loader) produce(start State, jobs chan<- *future) {
	defer l.wg.Done()
	defer close(jobs)
	defer close(l.out)
	for epoch := start.Epoch; l.opt.Epochs == 0 || epoch < l.opt.Epochs; epoch++ {
		skip := int64(0)
		if epoch == start.Epoch {
			skip = start.Pos
		}
		if !l.produceEpoch(epoch, skip, jobs) {
			return
		}
	}
}

// produceEpoch streams one epoch; positions before skip (a resume point) are read
// without their images and not sent. It returns false when the loader is stopped.
func (l *Loader) produceEpoch(epoch int, skip int64, jobs chan<- *future) bool {
	seed := l.opt.Seed
	files := slices.Clone(l.files)
	if !l.opt.NoShuffle {
		shuffle(files, newRNG(seed, tagShards, uint64(epoch)))
	}
	r := newRNG(seed, tagBuffer, uint64(epoch))
	var (
		buf   []*item
		idx   int64   // positions taken out of the buffer so far
		delta Stats   // skips counted since the last position
		held  *future // the latest position, sent once the next one exists (or marked last)
		ok    = true
	)
	send := func(f *future) bool {
		if !f.marker && f.idx < skip {
			return true // consumed before the resume point
		}
		select {
		case l.out <- f:
		case <-l.quit:
			return false
		}
		if f.marker {
			return true
		}
		select {
		case jobs <- f:
			return true
		case <-l.quit:
			return false
		}
	}
	take := func() bool {
		j := r.IntN(len(buf))
		it := buf[j]
		buf[j] = buf[len(buf)-1]
		buf[len(buf)-1] = nil
		buf = buf[:len(buf)-1]
		f := &future{it: it, epoch: epoch, idx: idx, delta: delta, done: make(chan struct{})}
		delta = Stats{}
		idx++
		prev := held
		held = f
		return prev == nil || send(prev)
	}
	emit := func(it *item) bool {
		buf = append(buf, it)
		if len(buf) >= l.opt.ShuffleBuffer {
			ok = take()
		}
		return ok
	}
	lazy := func() bool { return idx < skip }
	for _, file := range files {
		readSource(file, lazy, emit, &delta)
		if !ok {
			return false
		}
		select {
		case <-l.quit:
			return false
		default:
		}
	}
	for len(buf) > 0 {
		if !take() {
			return false
		}
	}
	switch {
	case held == nil: // no sample at all
		return send(&future{marker: true, epoch: epoch, delta: delta})
	case held.idx < skip: // resumed exactly at the end of the epoch
		return send(&future{marker: true, epoch: epoch})
	default:
		held.delta.add(delta)
		held.last = true
		return send(held)
	}
}

// work decodes and preprocesses the positions handed to it.
func (l *Loader) work(jobs <-chan *future) {
	defer l.wg.Done()
	for f := range jobs {
		select {
		case <-l.quit:
			f.err = ErrClosed
			close(f.done)
		default:
			l.process(f)
		}
	}
}

func (l *Loader) process(f *future) {
	it := f.it
	defer func() {
		if p := recover(); p != nil {
			f.err = fmt.Errorf("data: %s %s: preprocessing panicked: %v", it.source, it.key, p)
		}
		f.it = nil // let the encoded image go
		close(f.done)
	}()
	data, err := it.imageBytes()
	if err != nil {
		f.err = err
		return
	}
	img, err := imageproc.DecodeBytes(data)
	if err != nil {
		f.err = fmt.Errorf("data: %s %s: %w", it.source, it.key, err)
		return
	}
	if l.opt.Augment && l.opt.Image.Trim {
		// The random crop below replaces Preprocess, so it trims here: a model that
		// trims in use sees its training pictures trimmed too.
		img = imageproc.Trim(img)
	}
	if l.opt.Style > 0 {
		img, _ = restyle(img, l.opt.Style, newRNG(l.opt.Seed, tagStyle, uint64(f.epoch), uint64(f.idx)))
	}
	var px []float32
	if l.opt.Augment {
		b := img.Bounds()
		r := newRNG(l.opt.Seed, tagCrop, uint64(f.epoch), uint64(f.idx))
		box := randomResizedCrop(r, b.Dx(), b.Dy(), l.opt.MinScale, l.opt.MaxScale)
		px = l.opt.Image.PreprocessCrop(img, box.Add(b.Min))
	} else {
		px = l.opt.Image.Preprocess(img)
	}
	c := it.caps[0]
	if len(it.caps) > 1 {
		c = it.caps[newRNG(l.opt.Seed, tagCaption, uint64(f.epoch), uint64(f.idx)).IntN(len(it.caps))]
	}
	f.sample = Sample{Key: it.key, Source: it.source, Caption: c.text, Lang: c.lang, Concept: it.concept, Pixels: px,
		Epoch: f.epoch, Index: f.idx}
}

// Next returns the next sample. It returns io.EOF once Options.Epochs epochs are done,
// ErrClosed after Close, and an error if a whole epoch yields no sample; these errors
// are final.
func (l *Loader) Next() (Sample, error) {
	l.next.Lock()
	defer l.next.Unlock()
	for {
		l.mu.Lock()
		err := l.err
		l.mu.Unlock()
		if err != nil {
			return Sample{}, err
		}
		var f *future
		var open bool
		select {
		case f, open = <-l.out:
		case <-l.quit:
		}
		if !open { // the stream ended: all epochs done, or stopped by Close
			if isClosed(l.quit) {
				return Sample{}, l.fail(ErrClosed)
			}
			return Sample{}, l.fail(io.EOF)
		}
		if !f.marker {
			select {
			case <-f.done:
			case <-l.quit:
				return Sample{}, l.fail(ErrClosed)
			}
		}
		s, got, err := l.consume(f)
		if err != nil {
			return Sample{}, l.fail(err)
		}
		if got {
			return s, nil
		}
	}
}

// consume moves the state past one stream position.
func (l *Loader) consume(f *future) (Sample, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := &l.st
	st.Stats.add(f.delta)
	got := false
	if !f.marker {
		st.Pos = f.idx + 1
		if f.err != nil {
			st.Stats.BadImage++
		} else {
			st.Stats.Samples++
			st.Delivered++
			got = true
		}
	}
	if f.marker || f.last {
		if st.Delivered == 0 {
			return Sample{}, false, fmt.Errorf("data: epoch %d yielded no samples from %d files (%v)",
				f.epoch, len(l.files), st.Stats)
		}
		st.Epoch, st.Pos, st.Delivered = f.epoch+1, 0, 0
	}
	return f.sample, got, nil
}

// fail records a final error and stops the goroutines.
func (l *Loader) fail(err error) error {
	l.mu.Lock()
	if l.err == nil {
		l.err = err
	}
	err = l.err
	l.mu.Unlock()
	l.stop.Do(func() { close(l.quit) })
	return err
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// Batch returns the next n samples. When the last epoch ends part way through, it
// returns the samples left (fewer than n) and then, on the next call, io.EOF.
func (l *Loader) Batch(n int) ([]Sample, error) {
	if n <= 0 {
		return nil, fmt.Errorf("data: batch size %d", n)
	}
	out := make([]Sample, 0, n)
	for len(out) < n {
		s, err := l.Next()
		if err == io.EOF && len(out) > 0 {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, s)
	}
	return out, nil
}

// State is the position after the last sample returned (see OpenAt).
func (l *Loader) State() State {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st
}

// Stats returns the counters (see Stats).
func (l *Loader) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st.Stats
}

// Epoch is the current epoch, from 0: the one the next sample will come from. After the
// last sample of an epoch it is already the next one.
func (l *Loader) Epoch() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st.Epoch
}

// Files returns the source files the spec expanded to.
func (l *Loader) Files() []string { return slices.Clone(l.files) }

// Close stops the loader's goroutines and waits for them. Next then returns ErrClosed
// (or the final error it had already returned). Close is safe to call more than once.
func (l *Loader) Close() error {
	l.mu.Lock()
	if l.err == nil {
		l.err = ErrClosed
	}
	l.mu.Unlock()
	l.stop.Do(func() { close(l.quit) })
	l.wg.Wait()
	return nil
}
