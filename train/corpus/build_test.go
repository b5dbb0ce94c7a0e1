package corpus

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/clip-go/clip/evaluate"
	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/train/data"
)

// The tests below run a --small build: the real packages (npm registry and Go module
// proxy; cached in the repository's .cache/corpus), a subset of the concepts, about
// 1,400 pictures. Without the registries they skip, except under CI=true.

var (
	smallOnce sync.Once
	smallDir  string
	smallErr  error
	smallRes  *Result
)

// repoCache is the download cache shared with `make data`: .cache/corpus at the root
// of the repository.
func repoCache(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, ".cache", "corpus")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}

// buildSmall passes the cache as a relative path, as make data does (.cache/corpus):
// the tools the fetcher runs in other folders must still find it.
func buildSmall(t *testing.T, out string) (*Result, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	cache, err := filepath.Rel(wd, repoCache(t))
	if err != nil {
		return nil, err
	}
	return Build(Options{Out: out, Cache: cache, Small: true, PerShard: 200})
}

// smallBuild builds once per test binary and returns the output folder.
func smallBuild(t *testing.T) string {
	t.Helper()
	smallOnce.Do(func() {
		smallDir, smallErr = os.MkdirTemp("", "corpus-small-")
		if smallErr == nil {
			smallRes, smallErr = buildSmall(t, smallDir)
		}
	})
	if smallErr != nil {
		if errors.Is(smallErr, ErrUnreachable) && os.Getenv("CI") != "true" {
			t.Skipf("registries unreachable: %v", smallErr)
		}
		t.Fatal(smallErr)
	}
	return smallDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if smallDir != "" {
		os.RemoveAll(smallDir)
	}
	os.Exit(code)
}

// shardSample is what the leak checks read back from a shard.
type shardSample struct {
	meta sampleMeta
	hash string // recomputed from the PNG, not taken from the metadata
}

func readShard(t *testing.T, path string) []shardSample {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	var out []shardSample
	var cur shardSample
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasSuffix(hdr.Name, ".png"):
			if cur.hash, err = PixelHashPNG(body); err != nil {
				t.Fatalf("%s: %v", hdr.Name, err)
			}
		case strings.HasSuffix(hdr.Name, ".json"):
			if err := json.Unmarshal(body, &cur.meta); err != nil {
				t.Fatalf("%s: %v", hdr.Name, err)
			}
			out = append(out, cur)
			cur = shardSample{}
		}
	}
	return out
}

type classesFile struct {
	Set     string       `json:"set"`
	Classes []classEntry `json:"classes"`
}

// evalSet is an evaluation set read back from its image folder.
type evalSet struct {
	classes classesFile
	hashes  map[string]string // pixel hash → class folder
	metas   []sampleMeta      // from its shard
}

func readEval(t *testing.T, out string) map[string]*evalSet {
	t.Helper()
	sets := map[string]*evalSet{}
	dirs, err := os.ReadDir(filepath.Join(out, "eval"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		es := &evalSet{hashes: map[string]string{}}
		b, err := os.ReadFile(filepath.Join(out, "eval", d.Name(), "classes.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &es.classes); err != nil {
			t.Fatal(err)
		}
		for _, c := range es.classes.Classes {
			files, err := os.ReadDir(filepath.Join(out, "eval", d.Name(), c.Folder))
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != c.Images {
				t.Errorf("%s/%s: %d files, classes.json says %d", d.Name(), c.Folder, len(files), c.Images)
			}
			for _, f := range files {
				png, err := os.ReadFile(filepath.Join(out, "eval", d.Name(), c.Folder, f.Name()))
				if err != nil {
					t.Fatal(err)
				}
				h, err := PixelHashPNG(png)
				if err != nil {
					t.Fatal(err)
				}
				if other, ok := es.hashes[h]; ok && other != c.Folder {
					t.Errorf("%s: the same picture under %s and %s", d.Name(), other, c.Folder)
				}
				es.hashes[h] = c.Folder
			}
		}
		for _, s := range readShard(t, filepath.Join(out, "eval-shards", d.Name()+"-000000.tar")) {
			es.metas = append(es.metas, s.meta)
		}
		sets[d.Name()] = es
	}
	return sets
}

// TestSmallBuildNoLeaks checks the splits of a small build.
func TestSmallBuildNoLeaks(t *testing.T) {
	out := smallBuild(t)
	checkNoLeaks(t, out, smallRes.TrainSamples)
}

// TestFullBuildNoLeaks runs the same checks on a full build's output, when
// CLIP_CORPUS names its folder (CLIP_CORPUS=data-out go test ./train/corpus -run Full).
func TestFullBuildNoLeaks(t *testing.T) {
	out := os.Getenv("CLIP_CORPUS")
	if out == "" {
		t.Skip("CLIP_CORPUS not set: no full build to check")
	}
	var m manifest
	b, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	checkNoLeaks(t, out, m.Train)
}

// checkNoLeaks checks the splits of a build from its files alone: no held-out concept
// (by code point) or style in training, no training picture equal to an evaluation
// picture (by pixel hash), no training caption naming a held-out class.
func checkNoLeaks(t *testing.T, out string, wantTrain int) {
	shards, _ := filepath.Glob(filepath.Join(out, "shards", "*.tar"))
	var trainSamples []shardSample
	for _, s := range shards {
		trainSamples = append(trainSamples, readShard(t, s)...)
	}
	if len(trainSamples) != wantTrain || len(trainSamples) < 300 {
		t.Fatalf("%d training samples read back, build reported %d", len(trainSamples), wantTrain)
	}
	sets := readEval(t, out)
	for _, want := range []string{SetUnseenClasses, SetUnseenStyles, SetUnseenBoth, SetMNIST} {
		if sets[want] == nil || len(sets[want].classes.Classes) < 2 {
			t.Fatalf("eval set %s missing or under two classes", want)
		}
	}

	heldOutConcepts := map[string]string{} // code points → class name
	heldOutNames := map[string][]string{}  // locale → names
	for _, set := range []string{SetUnseenClasses, SetUnseenBoth, SetClipartUnseen} {
		if sets[set] == nil {
			continue
		}
		for _, c := range sets[set].classes.Classes {
			heldOutConcepts[c.Concept] = c.Names["en"]
			for l, n := range c.Names {
				heldOutNames[l] = append(heldOutNames[l], n)
			}
		}
	}
	heldOutStyle := map[string]bool{}
	for _, s := range HeldOutStyles {
		heldOutStyle[s] = true
	}
	for _, m := range sets[SetUnseenStyles].metas {
		if !heldOutStyle[m.Style] {
			t.Errorf("unseen-styles has %s in seen style %s", m.Key, m.Style)
		}
		if _, held := heldOutConcepts[m.Concept]; held {
			t.Errorf("unseen-styles has %s of held-out concept %s", m.Key, m.Concept)
		}
	}
	for _, m := range sets[SetUnseenClasses].metas {
		if heldOutStyle[m.Style] {
			t.Errorf("unseen-classes has %s in held-out style %s", m.Key, m.Style)
		}
	}

	banned := map[string]*phraseSet{}
	for l, ns := range heldOutNames {
		banned[l] = newPhraseSet(ns, nil)
	}
	evalHash := map[string]string{}
	for name, es := range sets {
		for h := range es.hashes {
			evalHash[h] = name
		}
	}
	for _, s := range trainSamples {
		m := s.meta
		if name, held := heldOutConcepts[m.Concept]; held && m.Concept != "" {
			t.Errorf("training sample %s is held-out concept %s (%s)", m.Key, m.Concept, name)
		}
		if heldOutStyle[m.Style] {
			t.Errorf("training sample %s is in held-out style %s", m.Key, m.Style)
		}
		if set, ok := evalHash[s.hash]; ok {
			t.Errorf("training sample %s has the pixels of a picture of %s", m.Key, set)
		}
		if s.hash != m.PixelSHA256 {
			t.Errorf("%s: pixel hash %s, metadata says %s", m.Key, s.hash, m.PixelSHA256)
		}
		if len(m.Captions) < 3 || m.Caption != m.Captions[0].Text {
			t.Errorf("%s: captions %+v", m.Key, m.Captions)
		}
		for _, c := range m.Captions {
			if hits := banned[c.Lang].find(c.Text); len(hits) > 0 {
				t.Errorf("%s: caption %q (%s) names held-out %q", m.Key, c.Text, c.Lang, hits[0].Value)
			}
		}
	}
}

// TestSmallBuildDeterministic builds again and compares every checksum.
func TestSmallBuildDeterministic(t *testing.T) {
	out := smallBuild(t)
	again := t.TempDir()
	if _, err := buildSmall(t, again); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"manifest.json", "card.md"} {
		a, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(again, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two builds of the same inputs", f)
		}
	}
	// The manifest's checksums are those of the files.
	var m manifest
	b, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, f := range append(m.Shards, m.Others...) {
		data, err := os.ReadFile(filepath.Join(out, f.Path))
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Errorf("%s: sha256 differs from the manifest", f.Path)
		}
	}
}

// TestSmallBuildReadable reads the output the way the trainer does: the shards through
// the data loader (nothing skipped) and each evaluation folder as an eval set.
func TestSmallBuildReadable(t *testing.T) {
	out := smallBuild(t)
	l, err := data.Open(filepath.Join(out, "shards", "*.tar"), data.Options{Image: imageproc.DefaultConfig(64), NoShuffle: true, Epochs: 1, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	langs := map[string]int{}
	n := 0
	for {
		s, err := l.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		langs[s.Lang]++
	}
	if st := l.Stats(); st.Skipped() != 0 || st.BadMember != 0 || n != smallRes.TrainSamples {
		t.Errorf("loader read %d samples (stats %v), want %d and nothing skipped", n, st, smallRes.TrainSamples)
	}
	if langs["en"] == 0 || langs["ko"] == 0 {
		t.Errorf("caption languages %v: want English and Korean", langs)
	}
	for _, e := range smallRes.Eval {
		es, err := evaluate.Load(e.Folder)
		if err != nil {
			t.Fatal(err)
		}
		if len(es.Classes) != e.Classes || len(es.Items) != e.Images {
			t.Errorf("%s: evaluate.Load finds %d classes, %d images; built %d, %d", e.Name, len(es.Classes), len(es.Items), e.Classes, e.Images)
		}
	}
}

// TestSmallBuildNewSources checks the sources added for issue 12 in a small build: flags
// share their concept id and five-language names with the flag emoji, and an Iconify
// set read with detected variants (lucide) gives plain lower-case names.
func TestSmallBuildNewSources(t *testing.T) {
	out := smallBuild(t)
	shards, _ := filepath.Glob(filepath.Join(out, "shards", "*.tar"))
	emojiConcepts := map[string]bool{}
	var flags, lucide []sampleMeta
	for _, sh := range shards {
		for _, s := range readShard(t, sh) {
			switch m := s.meta; {
			case m.Style == "cif":
				flags = append(flags, m)
			case m.Style == "lucide":
				lucide = append(lucide, m)
			case m.Kind == "emoji":
				emojiConcepts[m.Concept] = true
			}
		}
	}
	if len(flags) < 3 || len(lucide) < 3 {
		t.Fatalf("%d cif and %d lucide training samples, want some of each", len(flags), len(lucide))
	}
	shared := 0
	for _, m := range flags {
		if m.Kind != "flag" || m.Group != "flags" || !strings.HasPrefix(m.Concept, "1F1") && !strings.HasPrefix(m.Concept, "1F3F4") {
			t.Errorf("%s: kind %s, group %s, concept %s", m.Key, m.Kind, m.Group, m.Concept)
		}
		if emojiConcepts[m.Concept] {
			shared++
		}
		langs := map[string]bool{}
		for _, c := range m.Captions {
			langs[c.Lang] = true
		}
		for _, l := range Locales {
			if !langs[l] {
				t.Errorf("%s: no caption in %s: %+v", m.Key, l, m.Captions)
			}
		}
	}
	if shared == 0 {
		t.Error("no flag picture shares its concept with a flag emoji")
	}
	for _, m := range lucide {
		if m.Name != strings.ToLower(m.Name) || strings.Contains(m.Name, "-") || m.Concept != "" {
			t.Errorf("%s: name %q, concept %q: want lower-case words and no concept", m.Key, m.Name, m.Concept)
		}
	}
}
