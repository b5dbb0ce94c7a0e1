package data

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clip-go/clip/model/imageproc"
)

// mixedData writes three synthetic shards of 12 samples, a shard with one bad image, one
// sample without caption and one good sample, and names a missing shard too: 37 samples
// an epoch, and every kind of counter moving.
func mixedData(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	writeSynth(t, dir, 3, 12)
	writeTar(t, filepath.Join(dir, "zbad.tar"),
		member{"bad.png", []byte("corrupt")}, member{"bad.txt", []byte("a broken image")},
		member{"nocap.png", pngOf(t, 2, 2)},
		member{"fine.png", pngOf(t, 5, 3)}, member{"fine.txt", []byte("a fine picture")})
	return filepath.Join(dir, "{000000..000002}.tar") + "::" + filepath.Join(dir, "zbad.tar") + "::" +
		filepath.Join(dir, "missing.tar")
}

const mixedPerEpoch = 37

// TestDeterminism: the same seed gives the same samples, pixel for pixel and with the
// same counters, with one worker or four; other seeds and other epochs give other orders.
func TestDeterminism(t *testing.T) {
	spec := mixedData(t)
	opt := Options{Seed: 7, ShuffleBuffer: 9, Augment: true, MinScale: 0.5, MaxScale: 1, Epochs: 2}
	run := func(workers int, seed uint64) ([]Sample, Stats) {
		o := opt
		o.Workers, o.Seed = workers, seed
		l := mustOpen(t, spec, o)
		return readAll(t, l), l.Stats()
	}
	one, st1 := run(1, 7)
	four, st4 := run(4, 7)
	sameSamples(t, "workers 1 vs 4", one, four)
	want := Stats{Samples: 2 * mixedPerEpoch, BadImage: 2, NoCaption: 2, BadShard: 2}
	if len(one) != 2*mixedPerEpoch || st1 != want || st4 != want {
		t.Fatalf("%d samples; stats %+v and %+v, want %+v", len(one), st1, st4, want)
	}
	e0, e1 := keys(one[:mixedPerEpoch]), keys(one[mixedPerEpoch:])
	if slices.Equal(e0, e1) {
		t.Error("both epochs in the same order")
	}
	slices.Sort(e0)
	slices.Sort(e1)
	if !slices.Equal(e0, e1) {
		t.Error("the epochs hold different samples")
	}
	other, _ := run(3, 8)
	if slices.Equal(keys(other), keys(one)) {
		t.Error("seeds 7 and 8 give the same order")
	}

	// Augmentation changes the pixels but not the order or the captions; the crops
	// differ between epochs.
	plain := opt
	plain.Augment = false
	p := readAll(t, mustOpen(t, spec, plain))
	differ := 0
	for i := range p {
		if p[i].Key != one[i].Key || p[i].Caption != one[i].Caption {
			t.Fatalf("sample %d: %s %q without augmentation, %s %q with", i, p[i].Key, p[i].Caption, one[i].Key, one[i].Caption)
		}
		if !slices.Equal(p[i].Pixels, one[i].Pixels) {
			differ++
		}
	}
	if differ < len(p)/2 {
		t.Errorf("augmentation changed only %d of %d images", differ, len(p))
	}
}

// TestResume: a loader opened at the State of another, after K samples, yields exactly
// the samples (keys, captions, crops, pixels) and counters of an uninterrupted loader
// from K on, within an epoch, at and across epoch boundaries, and with another number
// of workers.
func TestResume(t *testing.T) {
	spec := mixedData(t)
	opt := Options{Seed: 11, ShuffleBuffer: 7, Augment: true, Workers: 3, Epochs: 3, Image: testImage}
	ref := mustOpen(t, spec, opt)
	var want []Sample
	var states []State // states[k]: after k samples
	var stats []Stats
	states = append(states, ref.State())
	stats = append(stats, ref.Stats())
	for {
		s, err := ref.Next()
		if err != nil {
			break
		}
		want = append(want, s)
		states = append(states, ref.State())
		stats = append(stats, ref.Stats())
	}
	const E = mixedPerEpoch
	if len(want) != 3*E {
		t.Fatalf("%d samples in 3 epochs, want %d", len(want), 3*E)
	}
	if st := states[E]; st.Epoch != 1 || st.Pos != 0 || st.Delivered != 0 {
		t.Errorf("state after the first epoch %+v, want epoch 1 position 0", st)
	}
	if st := states[E-1]; st.Epoch != 0 || st.Delivered != E-1 || st.Pos < st.Delivered {
		t.Errorf("state before the last sample of the first epoch %+v", st)
	}

	for _, k := range []int{0, 1, 5, 20, E - 1, E, E + 3, 2*E - 2, 2*E + 10, 3*E - 1, 3 * E} {
		// The state a fresh loader reaches after k samples is the reference's.
		var st State
		if k > 0 {
			l := mustOpen(t, spec, Options{Seed: 11, ShuffleBuffer: 7, Augment: true, Workers: 2, Epochs: 3})
			readN(t, l, k)
			st = l.State()
			l.Close()
			if st != states[k] {
				t.Fatalf("k=%d: state %+v, reference %+v", k, st, states[k])
			}
		} else {
			st = states[0]
		}
		js, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		var back State
		if err := json.Unmarshal(js, &back); err != nil || back != st {
			t.Fatalf("state %s does not round-trip: %+v, %v", js, back, err)
		}
		o := opt
		o.Workers = 1 + k%4
		o.Seed = 999 // the state's seed wins
		r, err := OpenAt(spec, o, back)
		if err != nil {
			t.Fatal(err)
		}
		m := min(12, 3*E-k)
		var got []Sample
		if m > 0 {
			got = readN(t, r, m)
		}
		sameSamples(t, fmt.Sprintf("resumed after %d", k), got, want[k:k+m])
		if r.Stats() != stats[k+m] || r.State() != states[k+m] {
			t.Errorf("k=%d: after %d more: stats %+v state %+v, want %+v %+v", k, m, r.Stats(), r.State(), stats[k+m], states[k+m])
		}
		if k+m == 3*E {
			if _, err := r.Next(); err == nil || !strings.Contains(err.Error(), "EOF") {
				t.Errorf("k=%d: Next after the last epoch: %v", k, err)
			}
		}
		r.Close()
	}

	// A state from other data or shuffle settings is refused.
	bad := states[5]
	bad.Fingerprint = "123"
	if _, err := OpenAt(spec, opt, bad); err == nil {
		t.Error("OpenAt with another fingerprint succeeded")
	}
	o := opt
	o.ShuffleBuffer = 8
	if _, err := OpenAt(spec, o, states[5]); err == nil {
		t.Error("OpenAt with another shuffle buffer succeeded")
	}
	if _, err := OpenAt(spec, opt, State{Pos: 3, Delivered: 4}); err == nil {
		t.Error("OpenAt with an impossible state succeeded")
	}
}

// TestCSV reads a CSV and a TSV list: captions, languages, paths relative to each
// list's folder, pixels equal to preprocessing the file, and bad rows counted.
func TestCSV(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "img"), 0o755)
	os.MkdirAll(filepath.Join(dir, "lists"), 0o755)
	for i := range 4 {
		os.WriteFile(filepath.Join(dir, "img", fmt.Sprintf("%d.png", i)), pngOf(t, i, uint64(i)), 0o644)
	}
	csvText := "\ufeffFilePath,caption,lang\n" +
		"img/0.png,\"a red circle, drawn\",en\n" +
		"img/1.png,a red square,\n" +
		"img/missing.png,a ghost,en\n" +
		"img/2.png,,en\n" +
		",no image,en\n" +
		"short\n"
	os.WriteFile(filepath.Join(dir, "pairs.csv"), []byte(csvText), 0o644)
	abs := filepath.Join(dir, "img", "3.png")
	tsvText := "id\timage\ttext\n7\t../img/2.png\ta \"quoted\" red triangle\n8\t" + abs + "\ta red cross\n"
	os.WriteFile(filepath.Join(dir, "lists", "more.TSV"), []byte(tsvText), 0o644)

	l := mustOpen(t, filepath.Join(dir, "pairs.csv")+"::"+filepath.Join(dir, "lists", "more.TSV"),
		Options{Epochs: 1, Workers: 2, Seed: 5})
	got := readAll(t, l)
	want := map[string][2]string{
		"img/0.png":    {"a red circle, drawn", "en"},
		"img/1.png":    {"a red square", ""},
		"../img/2.png": {`a "quoted" red triangle`, ""},
		abs:            {"a red cross", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("%d samples, want %d: %v", len(got), len(want), keys(got))
	}
	for _, s := range got {
		w, ok := want[s.Key]
		if !ok || s.Caption != w[0] || s.Lang != w[1] {
			t.Errorf("%s: caption %q lang %q, want %q", s.Key, s.Caption, s.Lang, w)
		}
		path := s.Key
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(s.Source), path)
		}
		px, err := testImage.Load(path)
		if err != nil || !slices.Equal(px, s.Pixels) {
			t.Errorf("%s: pixels differ from loading %s (%v)", s.Key, path, err)
		}
	}
	if st := (Stats{Samples: 4, BadImage: 1, NoCaption: 1, NoImage: 1, BadMember: 1}); l.Stats() != st {
		t.Errorf("stats %+v, want %+v", l.Stats(), st)
	}
}

// TestCaptions: a sample with several candidate captions gets each of them over the
// epochs, in an order fixed by the seed; languages come from the caption objects or the
// sample's metadata.
func TestCaptions(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "caps.tar")
	writeTar(t, p,
		member{"m.png", pngOf(t, 0, 0)}, member{"m.txt", []byte("not used: the json has captions")},
		member{"m.json", []byte(`{"captions": ["first", {"text": "second", "lang": "de"}, {"caption": "third"}, 5, ""], "lang": "en"}`)},
		member{"n.png", pngOf(t, 1, 1)}, member{"n.txt", []byte("  only one  ")}, member{"n.json", []byte(`{"LANGUAGE": "fr"}`)})
	run := func(seed uint64) []string {
		l := mustOpen(t, p, Options{Seed: seed, Epochs: 30, Workers: 2, Image: imageproc.DefaultConfig(8)})
		var caps []string
		for _, s := range readAll(t, l) {
			switch s.Key {
			case "n":
				if s.Caption != "only one" || s.Lang != "fr" {
					t.Fatalf("n: caption %q lang %q", s.Caption, s.Lang)
				}
			case "m":
				want := map[string]string{"first": "en", "second": "de", "third": "en"}
				if lang, ok := want[s.Caption]; !ok || s.Lang != lang {
					t.Fatalf("m: caption %q lang %q", s.Caption, s.Lang)
				}
				caps = append(caps, s.Caption)
			}
		}
		return caps
	}
	a := run(1)
	if len(a) != 30 {
		t.Fatalf("m delivered %d times in 30 epochs", len(a))
	}
	count := map[string]int{}
	for _, c := range a {
		count[c]++
	}
	for _, c := range []string{"first", "second", "third"} {
		if count[c] < 3 {
			t.Errorf("caption %q chosen %d times in 30", c, count[c])
		}
	}
	if b := run(1); !slices.Equal(a, b) {
		t.Error("captions chosen differently with the same seed")
	}
	if c := run(2); slices.Equal(a, c) {
		t.Error("captions chosen the same way with seeds 1 and 2")
	}
}

// TestNoShuffleAndClose: NoShuffle keeps file order; looping epochs carry on until
// Close, after which Next reports ErrClosed.
func TestNoShuffleAndClose(t *testing.T) {
	dir := t.TempDir()
	writeSynth(t, dir, 2, 5)
	l := mustOpen(t, filepath.Join(dir, "*.tar"), Options{NoShuffle: true, Workers: 3})
	got := readN(t, l, 25)
	for i, s := range got {
		if want := fmt.Sprintf("%09d", i%10); s.Key != want || s.Epoch != i/10 {
			t.Fatalf("sample %d: key %s epoch %d, want %s epoch %d", i, s.Key, s.Epoch, want, i/10)
		}
	}
	if l.Epoch() != 2 {
		t.Errorf("epoch %d, want 2", l.Epoch())
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Next(); err != ErrClosed {
		t.Errorf("Next after Close: %v, want ErrClosed", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := l.Batch(0); err == nil {
		t.Error("Batch(0) succeeded")
	}

	// Batch returns the rest of the last epoch, then io.EOF.
	l = mustOpen(t, filepath.Join(dir, "*.tar"), Options{Epochs: 1, Workers: 2})
	b, err := l.Batch(7)
	if len(b) != 7 || err != nil {
		t.Fatalf("first batch: %d, %v", len(b), err)
	}
	if b, err = l.Batch(7); len(b) != 3 || err != nil {
		t.Fatalf("second batch: %d, %v; want the 3 left", len(b), err)
	}
	if b, err = l.Batch(7); len(b) != 0 || err == nil {
		t.Fatalf("third batch: %d, %v; want io.EOF", len(b), err)
	}
}

// TestResumeBrokenShards: resuming is exact also over truncated shards, where the replay
// (which skips image bodies) must find the same breaks as the first reading.
func TestResumeBrokenShards(t *testing.T) {
	dir := t.TempDir()
	good := writeSynth(t, filepath.Join(dir, "g"), 2, 8)
	offs, _ := memberOffsets(t, good[0])
	truncatedCopy(t, good[0], filepath.Join(dir, "body.tar"), offs[12]+7)      // in sample 4's image
	truncatedCopy(t, good[1], filepath.Join(dir, "head.tar"), offs[15]-512+30) // in sample 5's header
	spec := filepath.Join(dir, "g", "*.tar") + "::" + filepath.Join(dir, "{body,head}.tar")
	opt := Options{Seed: 4, ShuffleBuffer: 5, Augment: true, Workers: 2, Epochs: 2, Image: testImage}
	ref := mustOpen(t, spec, opt)
	want := readAll(t, ref)
	const perEpoch = 16 + 4 + 5
	if len(want) != 2*perEpoch {
		t.Fatalf("%d samples, want %d", len(want), 2*perEpoch)
	}
	wantStats := Stats{Samples: 2 * perEpoch, NoImage: 2, BadMember: 2, BadShard: 4}
	if ref.Stats() != wantStats {
		t.Fatalf("stats %+v, want %+v", ref.Stats(), wantStats)
	}
	for _, k := range []int{3, 12, perEpoch - 1, perEpoch + 17} {
		l := mustOpen(t, spec, opt)
		readN(t, l, k)
		r, err := OpenAt(spec, opt, l.State())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		sameSamples(t, fmt.Sprintf("resumed after %d", k), readAll(t, r), want[k:])
		if r.Stats() != wantStats {
			t.Errorf("k=%d: stats %+v, want %+v", k, r.Stats(), wantStats)
		}
	}
}
