package corpus

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/clip-go/clip/train/data/synth"
)

// The output layout under Options.Out:
//
//	shards/train-000000.tar ...      training samples (KEY.png, KEY.txt, KEY.json)
//	eval/<set>/<class>/<KEY>.png     each evaluation set as an image folder
//	eval/<set>/classes.json          its classes: folder, label, names per language
//	eval-shards/<set>-000000.tar     the same sets as shards (with "label" and "class")
//	manifest.json                    sources, options, counts, sha256 of every file
//	card.md                          the dataset card
//	contact-sheet.png                samples of every style

// sampleMeta is a sample's KEY.json: the trainer reads "captions" (objects with text
// and lang); the rest records where the picture comes from and under which licence.
type sampleMeta struct {
	Key         string    `json:"key"`
	Caption     string    `json:"caption"`
	Captions    []Caption `json:"captions"`
	Style       string    `json:"style"`
	Kind        string    `json:"kind"`
	Source      string    `json:"source"`
	SourceID    string    `json:"source_id"`
	License     string    `json:"license"`
	Creator     string    `json:"creator,omitempty"`
	Concept     string    `json:"concept,omitempty"` // code points, for emoji and labelled clip art
	Emoji       string    `json:"emoji,omitempty"`
	Group       string    `json:"group,omitempty"`
	Subgroup    string    `json:"subgroup,omitempty"`
	Name        string    `json:"name"`
	Split       string    `json:"split"`
	Class       string    `json:"class,omitempty"`
	Label       *int      `json:"label,omitempty"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	PixelSHA256 string    `json:"pixel_sha256"`
}

func (b *builder) meta(s *sample) sampleMeta {
	m := sampleMeta{Key: s.key, Captions: s.captions, Style: s.style.Name, Kind: s.style.Kind,
		Source: s.style.Package, SourceID: s.sourceID, License: s.style.Licence.SPDX, Creator: s.creator,
		Name: s.name, Split: s.split, Width: b.o.Size, Height: b.o.Size, PixelSHA256: s.hash}
	if c := s.concept; c != nil {
		m.Concept, m.Emoji, m.Group, m.Subgroup = c.Hex, c.Emoji, c.Group, c.Subgroup
	}
	if len(m.Captions) > 0 {
		m.Caption = m.Captions[0].Text
	}
	if s.split != "train" {
		m.Class, m.Label = s.class, s.labelIndex
	}
	return m
}

// marshal is json.Marshal without HTML escaping ("&" stays "&"), which is still
// deterministic.
func marshal(v any, indent bool) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	out := buf.Bytes()
	if !indent {
		out = bytes.TrimSuffix(out, []byte("\n"))
	}
	return out, nil
}

// fileInfo is a file of the output, in the manifest.
type fileInfo struct {
	Path    string `json:"path"`
	SHA256  string `json:"sha256"`
	Bytes   int    `json:"bytes"`
	Samples int    `json:"samples,omitempty"`
}

// writeFile writes a file under Out and records it in the manifest.
func (b *builder) writeFile(rel string, data []byte, samples int) error {
	path := filepath.Join(b.o.Out, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	b.manifest = append(b.manifest, fileInfo{filepath.ToSlash(rel), hex.EncodeToString(sum[:]), len(data), samples})
	return nil
}

// writeShard writes samples as one WebDataset tar with fixed member metadata.
func (b *builder) writeShard(rel string, samples []*sample) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, s := range samples {
		js, err := marshal(b.meta(s), false)
		if err != nil {
			return err
		}
		caption := ""
		if len(s.captions) > 0 {
			caption = s.captions[0].Text
		}
		for _, m := range []struct {
			ext  string
			data []byte
		}{{"png", s.png}, {"txt", []byte(caption)}, {"json", js}} {
			if err := synth.WriteMember(tw, s.key+"."+m.ext, m.data); err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return b.writeFile(rel, buf.Bytes(), len(samples))
}

// write writes everything: shards, evaluation sets, contact sheet, card, manifest.
// The output folder's previous shards and eval sets are removed first, so a rebuild
// with fewer shards leaves none behind.
func (b *builder) write() error {
	for _, d := range []string{"shards", "eval", "eval-shards"} {
		if err := os.RemoveAll(filepath.Join(b.o.Out, d)); err != nil {
			return err
		}
	}
	for i := 0; i < len(b.train); i += b.o.PerShard {
		rel := fmt.Sprintf("shards/train-%06d.tar", i/b.o.PerShard)
		if err := b.writeShard(rel, b.train[i:min(i+b.o.PerShard, len(b.train))]); err != nil {
			return err
		}
		b.shardPaths = append(b.shardPaths, filepath.Join(b.o.Out, rel))
	}
	for _, set := range EvalSets {
		if err := b.writeEvalSet(set); err != nil {
			return err
		}
	}
	if err := b.writeTexts(); err != nil {
		return err
	}
	sheet, err := b.contactSheet()
	if err != nil {
		return err
	}
	if err := b.writeFile("contact-sheet.png", sheet, 0); err != nil {
		return err
	}
	card := b.card()
	if err := b.writeFile("card.md", card, 0); err != nil {
		return err
	}
	if b.o.CardCopy != "" {
		if err := os.WriteFile(b.o.CardCopy, card, 0o644); err != nil {
			return err
		}
	}
	return b.writeManifest()
}

// EvalSetInfo describes an evaluation set as written.
type EvalSetInfo struct {
	Name    string `json:"name"`
	Classes int    `json:"classes"`
	Images  int    `json:"images"`
	Folder  string `json:"folder"`
	Shard   string `json:"shard"`
}

// classEntry is one class of an evaluation set's classes.json.
type classEntry struct {
	Label   int               `json:"label"`
	Folder  string            `json:"folder"`
	Names   map[string]string `json:"names"` // locale → class name
	Concept string            `json:"concept,omitempty"`
	Emoji   string            `json:"emoji,omitempty"`
	Images  int               `json:"images"`
}

// evalDescriptions say what each set measures (classes.json and the card).
var evalDescriptions = map[string]string{
	SetUnseenClasses: "emoji of held-out CLDR subgroups, in the training styles: transfer to unseen classes",
	SetUnseenStyles:  "emoji of seen concepts in the held-out styles: transfer to unseen styles",
	SetUnseenBoth:    "emoji of held-out concepts in held-out styles: unseen classes and unseen styles",
	SetClipartSeen:   "clip art whose title names a seen concept (never trained on): out of domain, seen classes",
	SetClipartUnseen: "clip art whose title names a held-out concept: out of domain, unseen classes",
	SetMNIST:         "MNIST test digits, 10-way: out of domain",
	SetFashion:       "Fashion-MNIST test images, 10-way: out of domain",
}

// evalPrompts are suggested prompt templates per set and language.
func evalPrompts(set string) map[string][]string {
	switch set {
	case SetMNIST:
		return map[string][]string{"en": {`a photo of the number: "{}".`}, "ko": {`숫자 "{}"의 사진`}}
	case SetFashion:
		return map[string][]string{"en": {"a photo of a {}.", "a greyscale photo of a {}."}, "ko": {"{} 사진"}}
	case SetClipartSeen, SetClipartUnseen:
		return map[string][]string{"en": {"clip art of {}.", "a drawing of {}."}, "ko": {"{} 그림"}}
	}
	return map[string][]string{"en": {"an emoji of {}.", "{}"}, "ko": {"{} 이모지", "{}"}}
}

// classNamesOf gives an evaluation sample's class name in every locale.
func classNamesOf(s *sample) map[string]string {
	if c := s.concept; c != nil {
		out := map[string]string{"en": naturalName(c.Names["en"])}
		for _, l := range Locales[1:] {
			out[l] = c.Names[l]
			if out[l] == "" {
				out[l] = out["en"]
			}
		}
		return out
	}
	if s.style.Name == "fashion-mnist" {
		return fashionClasses[s.label].all()
	}
	return digitClasses[s.label].all()
}

func (b *builder) writeEvalSet(set string) error {
	samples := b.evals[set]
	// One folder per class; should two classes read the same as folder names ("keycap: *"
	// and "keycap: #" lose their symbols on some systems), the later one gets its code
	// points appended.
	byFolder := map[string][]*sample{}
	idOf := map[string]string{} // folder → class id
	folderOf := map[string]string{}
	for _, s := range samples {
		id := classID(s)
		f, ok := folderOf[id]
		if !ok {
			f = folderName(className(s))
			if other, taken := idOf[f]; taken && other != id || f == "" {
				f += "_" + strings.ToLower(strings.ReplaceAll(id, " ", "_"))
			}
			idOf[f], folderOf[id] = id, f
		}
		s.class = f
		byFolder[f] = append(byFolder[f], s)
	}
	folders := sortedKeys(byFolder)
	if len(folders) < 2 {
		b.logf("write: eval set %s has %d classes; not written", set, len(folders))
		return nil
	}
	var classes []classEntry
	var ordered []*sample
	for label, f := range folders {
		ss := byFolder[f]
		sort.Slice(ss, func(i, j int) bool { return ss[i].key < ss[j].key })
		e := classEntry{Label: label, Folder: f, Names: classNamesOf(ss[0]), Images: len(ss)}
		if c := ss[0].concept; c != nil {
			e.Concept, e.Emoji = c.Hex, c.Emoji
		}
		classes = append(classes, e)
		for _, s := range ss {
			l := label
			s.captions = nil
			for _, loc := range Locales {
				s.captions = append(s.captions, Caption{e.Names[loc], loc})
			}
			s.captions = dedupeCaptions(s.captions)
			s.labelIndex = &l
			if err := b.writeFile(filepath.Join("eval", set, f, s.key+".png"), s.png, 1); err != nil {
				return err
			}
			ordered = append(ordered, s)
		}
	}
	cj, err := marshal(map[string]any{
		"set": set, "description": evalDescriptions[set], "classes": classes, "prompts": evalPrompts(set),
	}, true)
	if err != nil {
		return err
	}
	if err := b.writeFile(filepath.Join("eval", set, "classes.json"), cj, 0); err != nil {
		return err
	}
	shard := filepath.Join("eval-shards", set+"-000000.tar")
	if err := b.writeShard(shard, ordered); err != nil {
		return err
	}
	b.evalInfo = append(b.evalInfo, EvalSetInfo{set, len(classes), len(ordered), filepath.Join(b.o.Out, "eval", set), filepath.Join(b.o.Out, shard)})
	return nil
}

// manifest is manifest.json: everything needed to tell two builds apart.
type manifest struct {
	Format   int            `json:"format"`
	Options  map[string]any `json:"options"`
	Sources  []sourceInfo   `json:"sources"`
	HeldOut  map[string]any `json:"held_out"`
	Train    int            `json:"train_samples"`
	Eval     []EvalSetInfo  `json:"eval_sets"`
	Shards   []fileInfo     `json:"shards"`     // training and eval shards
	Others   []fileInfo     `json:"files"`      // card, contact sheet, classes.json
	EvalTree map[string]any `json:"eval_trees"` // per image folder: files and a digest
}

func (b *builder) writeManifest() error {
	m := manifest{Format: 1,
		Options: map[string]any{"size": b.o.Size, "small": b.o.Small, "seed": b.o.Seed, "per_shard": b.o.PerShard},
		Sources: b.sources,
		HeldOut: map[string]any{"subgroups": b.split.Subgroups, "styles": HeldOutStyles, "concepts": len(b.split.Concepts)},
		Train:   len(b.train), EvalTree: map[string]any{}}
	for _, e := range b.evalInfo {
		e.Folder = filepath.ToSlash(strings.TrimPrefix(e.Folder, b.o.Out+string(filepath.Separator)))
		e.Shard = filepath.ToSlash(strings.TrimPrefix(e.Shard, b.o.Out+string(filepath.Separator)))
		m.Eval = append(m.Eval, e)
	}
	trees := map[string][]string{}
	for _, f := range b.manifest {
		switch {
		case strings.HasSuffix(f.Path, ".tar"):
			m.Shards = append(m.Shards, f)
		case strings.HasPrefix(f.Path, "eval/") && strings.HasSuffix(f.Path, ".png"):
			set := strings.Split(f.Path, "/")[1]
			trees[set] = append(trees[set], f.SHA256+"  "+f.Path)
		default:
			m.Others = append(m.Others, f)
		}
	}
	for set, lines := range trees {
		sort.Strings(lines)
		sum := sha256.Sum256([]byte(strings.Join(lines, "\n") + "\n"))
		m.EvalTree[set] = map[string]any{"files": len(lines), "sha256_of_sha256sums": hex.EncodeToString(sum[:])}
	}
	js, err := marshal(m, true)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(b.o.Out, "manifest.json"), js, 0o644)
}
