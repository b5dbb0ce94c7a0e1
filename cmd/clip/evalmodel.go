package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/clip-go/clip/evaluate"
	"github.com/clip-go/clip/weights/defaultmodel"
)

// featureFlags are the feature-cache flags of the eval subcommands.
type featureFlags struct {
	cache   string
	noCache bool
}

func (f *featureFlags) register(fs *flag.FlagSet) {
	def := ""
	if dir, err := os.UserCacheDir(); err == nil {
		def = filepath.Join(dir, "clip-go", "eval-features")
	}
	fs.StringVar(&f.cache, "cache", def, "folder of cached image features, per (model, set)")
	fs.BoolVar(&f.noCache, "no-cache", false, "encode every image again and cache nothing")
}

// evalModel is a loaded model with what evaluation needs to know of it.
type evalModel struct {
	clipModel
	name      string   // for tables: "built-in", or the file or folder's name
	id        string   // identifies its weights, for the feature cache
	templates []string // the prompts: the template flags, or the model's default set
	tplName   string   // what they are called in tables
}

// idModel is a model that knows its own identity (the quantized engine: its checksum).
type idModel interface{ ID() string }

// loadEvalModel loads the model of mf, names it and picks its templates (a bad
// template is found before the model loads).
func loadEvalModel(mf modelFlags, tf *templateFlags, stderr io.Writer) (*evalModel, error) {
	builtin := mf.dir == ""
	templates, err := tf.templates(builtin)
	if err != nil {
		return nil, err
	}
	m, err := mf.load(stderr)
	if err != nil {
		return nil, err
	}
	em := &evalModel{clipModel: m, name: filepath.Base(filepath.Clean(mf.dir)), templates: templates, tplName: tf.name(builtin)}
	if mf.dir == "" {
		em.name = defaultmodel.Name
	}
	if im, ok := m.(idModel); ok {
		em.id = "quant:" + im.ID()
	} else if em.id, err = floatModelID(mf.dir, mf.backend); err != nil {
		return nil, err
	}
	return em, nil
}

// floatModelID identifies a float model folder (or checkpoint file) without reading its
// weights: the content of its small JSON files and the weights file's size and time,
// plus the backend (XLA and the Go backend differ in the last bits).
func floatModelID(path, backend string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "float\x00%s\x00", backend)
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	files := []string{path}
	if fi.IsDir() {
		files = []string{filepath.Join(path, "config.json"), filepath.Join(path, "preprocessor_config.json"), filepath.Join(path, "model.safetensors")}
	}
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			fmt.Fprintf(h, "%s: none\x00", filepath.Base(f))
			continue
		}
		if filepath.Ext(f) == ".json" && st.Size() < 1<<20 {
			b, err := os.ReadFile(f)
			if err != nil {
				return "", err
			}
			h.Write(b)
		}
		fmt.Fprintf(h, "%s:%d@%d\x00", filepath.Base(f), st.Size(), st.ModTime().UnixNano())
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// features encodes a set with the model, from the cache when it can, showing progress.
func (ff featureFlags) features(m *evalModel, s *evaluate.Set, stderr io.Writer) (*evaluate.Features, error) {
	opt := evaluate.FeatureOptions{ModelID: m.id, CacheDir: ff.cache}
	if ff.noCache {
		opt.CacheDir = ""
	}
	opt.Progress = func(done, total int) {
		fmt.Fprintf(stderr, "clip eval: %s: %s: encoded %d/%d images\n", m.name, s.Name, done, total)
	}
	f, err := evaluate.Encode(m, s, opt)
	if err != nil {
		return nil, err
	}
	if n := len(s.Items) - len(f.Usable()); n > 0 {
		fmt.Fprintf(stderr, "clip eval: %s: %d unreadable images skipped, e.g. %s\n", s.Name, n, firstError(f.Errs))
	}
	return f, nil
}

func firstError(errs []string) string {
	for _, e := range errs {
		if e != "" {
			return oneLine(e)
		}
	}
	return ""
}

// setFlags say how sets are named.
type setFlags struct {
	classnames, lang string
}

func (sf *setFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&sf.classnames, "classnames", "", "class names for the prompts: a classes.json (as clip data build writes) or a file with one name per line in the order of the sorted class folders; default: the folder names")
	fs.StringVar(&sf.lang, "lang", "", "class names in this language, from --classnames or each set folder's classes.json (e.g. ko)")
}

// load reads a set, names its classes, and says on stderr what it skipped.
func (sf setFlags) load(spec string, stderr io.Writer) (*evaluate.Set, error) {
	s, err := evaluate.Load(spec)
	if err != nil {
		return nil, err
	}
	if sf.classnames != "" || sf.lang != "" {
		if err := s.Rename(sf.classnames, sf.lang); err != nil {
			return nil, err
		}
	}
	if len(s.Skipped) > 0 {
		fmt.Fprintf(stderr, "clip eval: %s: skipped %d entries, e.g. %s\n", s.Name, len(s.Skipped), s.Skipped[0])
	}
	return s, nil
}
