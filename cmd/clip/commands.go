package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/model/zeroshot"
	"github.com/clip-go/clip/wasm/engine"
	"github.com/clip-go/clip/weights/defaultmodel"
)

// modelFlags are the flags every model-running command shares.
type modelFlags struct {
	dir      string
	backend  string
	truncate bool
	kernel   string
	portable bool
	verbose  bool
}

func (m *modelFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&m.dir, "model", "", "a model folder in the hub layout (config.json + model.safetensors) or a quantized .safetensors file from clip quantize; without it, the built-in default model")
	m.registerRunFlags(fs)
}

// registerRunFlags registers how models run, for commands that take several models.
func (m *modelFlags) registerRunFlags(fs *flag.FlagSet) {
	fs.StringVar(&m.backend, "backend", "", "compute backend: "+joinStrings(model.BackendNames())+" (default $GOMLX_BACKEND, else go)")
	fs.BoolVar(&m.truncate, "truncate", false, "cut texts longer than the context instead of failing")
	kernelFlag(fs, &m.kernel)
	fs.BoolVar(&m.portable, "portable", false, "the quantized engine's portable kernel (what WebAssembly runs without SIMD): --kernel portable")
	fs.BoolVar(&m.verbose, "verbose", false, "say on stderr which engine and kernel run, and how long encoding took")
}

// kernelFlag registers --kernel, the quantized engine's matmul kernel.
func kernelFlag(fs *flag.FlagSet, p *string) {
	fs.StringVar(p, "kernel", "", "the quantized engine's matmul kernel: "+joinStrings(engine.Kernels())+" (default: the first, the best this CPU runs)")
}

// checkKernel makes --kernel NAME a command-line error where this CPU does not run NAME,
// or where --portable asks for another.
func checkKernel(name string, portable bool) error {
	switch {
	case name != "" && !slices.Contains(engine.Kernels(), name):
		return fmt.Errorf("%w: --kernel %q: this CPU runs %s", errUsage, name, joinStrings(engine.Kernels()))
	case portable && name != "" && name != "portable":
		return fmt.Errorf("%w: --portable with --kernel %s", errUsage, name)
	}
	return nil
}

// engineOptions are the quantized engine's options from the flags.
func (m *modelFlags) engineOptions() engine.Options {
	return engine.Options{Kernel: m.kernel, Portable: m.portable}
}

// describe says on stderr, with --verbose, what runs the model.
func (m *modelFlags) describe(cm clipModel, stderr io.Writer) {
	if !m.verbose {
		return
	}
	if em, ok := cm.(*engine.Model); ok {
		fmt.Fprintf(stderr, "clip: quantized engine, kernel %s (this CPU runs %s), %d threads\n", em.Kernel(), joinStrings(engine.Kernels()), em.Workers())
		return
	}
	spec, _ := model.ResolveBackend(m.backend)
	fmt.Fprintf(stderr, "clip: float model on GoMLX's %s backend\n", spec)
}

// clipModel is what embed and classify need of a model: the GoMLX float model and the
// quantized engine both provide it.
type clipModel interface {
	zeroshot.TextEncoder
	// EncodeImageFiles returns one feature per path, or that path's error.
	EncodeImageFiles(paths []string) ([][]float32, []error, error)
}

// otherLoaders open model files that are not hub folders (the quantized format); each
// returns ok=false when path is not its kind.
var otherLoaders []func(path string, opt engine.Options) (m clipModel, ok bool, err error)

// defaultModel is the model that embed, classify and eval use without --model: the
// embedded default (weights/defaultmodel), on the quantized engine. Tests swap it.
var defaultModel = func(opt engine.Options) (clipModel, error) {
	b, err := defaultmodel.Bytes()
	if err != nil {
		return nil, fmt.Errorf("the built-in model %s: %w", defaultmodel.Name, err)
	}
	m, err := engine.Load(b, opt)
	if err != nil {
		return nil, fmt.Errorf("the built-in model %s: %w", defaultmodel.Name, err)
	}
	return m, nil
}

// load opens the model; a note about a slow build goes to stderr when it is a float model.
func (m *modelFlags) load(stderr io.Writer) (clipModel, error) {
	if err := checkBackend(m.backend); err != nil {
		return nil, err
	}
	if err := checkKernel(m.kernel, m.portable); err != nil {
		return nil, err
	}
	if m.dir == "" {
		cm, err := defaultModel(m.engineOptions())
		if err == nil {
			m.describe(cm, stderr)
		}
		return cm, err
	}
	path := m.dir
	for _, load := range otherLoaders {
		if cm, ok, err := load(path, m.engineOptions()); ok || err != nil {
			if err == nil {
				m.describe(cm, stderr)
			}
			return cm, err
		}
	}
	if m.kernel != "" || m.portable {
		return nil, fmt.Errorf("%w: --kernel and --portable pick the quantized engine's kernel; %s is a float model (GoMLX)", errUsage, path)
	}
	if note := model.BuildNote(m.backend); note != "" {
		fmt.Fprintln(stderr, "clip:", note)
	}
	b, err := model.NewBackend(m.backend)
	if err != nil {
		return nil, err
	}
	cm, err := model.Load(path, b)
	if err == nil {
		m.describe(cm, stderr)
	}
	return cm, err
}

// checkBackend makes an unknown --backend a command-line error, found before anything
// loads. (An unknown $GOMLX_BACKEND is not on the command line: model.NewBackend reports
// it.)
func checkBackend(spec string) error {
	if spec == "" {
		return nil
	}
	if err := model.CheckBackend(spec); err != nil {
		return fmt.Errorf("%w: --backend: %v", errUsage, err)
	}
	return nil
}

type embedRecord struct {
	Kind      string    `json:"kind"`
	Input     string    `json:"input"`
	Embedding []float32 `json:"embedding,omitempty"`
	Error     string    `json:"error,omitempty"`
}

// cmdEmbed prints one record per --text and --image, in command-line order.
func cmdEmbed(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("embed", flag.ContinueOnError)
	var mf modelFlags
	mf.register(fs)
	normalize := fs.Bool("normalize", false, "L2-normalise the embeddings")
	var order []embedRecord // inputs in argument order
	fs.Func("text", "a text to embed (repeatable)", func(v string) error {
		order = append(order, embedRecord{Kind: "text", Input: v})
		return nil
	})
	fs.Func("image", "an image file to embed (repeatable)", func(v string) error {
		order = append(order, embedRecord{Kind: "image", Input: v})
		return nil
	})
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: unexpected argument %q (use --text or --image)", errUsage, rest[0])
	}
	if len(order) == 0 {
		return fmt.Errorf("%w: nothing to embed: give --text or --image", errUsage)
	}
	m, err := mf.load(stderr)
	if err != nil {
		return err
	}
	var texts, images []string
	for _, r := range order {
		if r.Kind == "text" {
			texts = append(texts, r.Input)
		} else {
			images = append(images, r.Input)
		}
	}
	textFeats, err := m.EncodeTexts(texts, mf.truncate)
	if err != nil {
		return err
	}
	imageFeats, imageErrs, err := m.EncodeImageFiles(images)
	if err != nil {
		return err
	}
	failed := false
	var ti, ii int
	for _, r := range order {
		if r.Kind == "text" {
			r.Embedding = textFeats[ti]
			ti++
		} else {
			r.Embedding = imageFeats[ii]
			if e := imageErrs[ii]; e != nil {
				r.Error = oneLine(e.Error())
				fmt.Fprintf(stderr, "clip embed: %s\n", r.Error)
				failed = true
			}
			ii++
		}
		if *normalize && r.Embedding != nil {
			r.Embedding = zeroshot.Normalize(r.Embedding)
		}
		if err := writeJSON(stdout, r); err != nil {
			return err
		}
	}
	if failed {
		return errReported
	}
	return nil
}

type tokenizeRecord struct {
	Text string `json:"text"`
	IDs  []int  `json:"ids"`
}

// cmdTokenize prints the ids of each text, without start and end tokens.
func cmdTokenize(args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("tokenize", flag.ContinueOnError)
	dir := fs.String("model", "", "model folder whose vocab.json and merges.txt to use (default: the built-in vocabulary)")
	texts, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(texts) == 0 {
		return fmt.Errorf("%w: no text to tokenize", errUsage)
	}
	if *dir != "" {
		if _, err := os.Stat(*dir); err != nil {
			return fmt.Errorf("model folder %s: %w", *dir, err)
		}
	}
	tok, err := model.LoadTokenizer(*dir)
	if err != nil {
		return err
	}
	for _, t := range texts {
		ids, err := tok.Encode(t)
		if err != nil {
			return fmt.Errorf("text %q: %w", t, err)
		}
		if ids == nil {
			ids = []int{}
		}
		if err := writeJSON(stdout, tokenizeRecord{t, ids}); err != nil {
			return err
		}
	}
	return nil
}

type classifyRecord struct {
	Image string                `json:"image"`
	Top   []zeroshot.Prediction `json:"top,omitempty"`
	Error string                `json:"error,omitempty"`
}

// cmdClassify prints the top labels of each image.
func cmdClassify(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("classify", flag.ContinueOnError)
	var mf modelFlags
	mf.register(fs)
	var tf templateFlags
	tf.register(fs)
	var labelLists listFlag
	fs.Var(&labelLists, "labels", `comma-separated labels, e.g. "cat,dog,turtle" (repeatable)`)
	labelsFile := fs.String("labels-file", "", "file with one label per line")
	top := fs.Int("top", 5, "number of labels to print per image")
	images, err := parse(fs, args)
	if err != nil {
		return err
	}
	var raw []string
	for _, list := range labelLists {
		raw = append(raw, zeroshot.SplitLabels(list)...)
	}
	if *labelsFile != "" {
		lines, err := readLines(*labelsFile)
		if err != nil {
			return err
		}
		raw = append(raw, lines...) // one label per line: a label may hold a comma
	}
	labels, err := zeroshot.CleanLabels(raw)
	if err != nil {
		return fmt.Errorf("%w: %v (use --labels or --labels-file)", errUsage, err)
	}
	if *top < 1 {
		return fmt.Errorf("%w: --top must be at least 1", errUsage)
	}
	if len(images) == 0 {
		return fmt.Errorf("%w: no images to classify", errUsage)
	}
	templates, err := tf.templates(mf.dir == "")
	if err != nil {
		return err
	}
	m, err := mf.load(stderr)
	if err != nil {
		return err
	}
	clf, err := zeroshot.Build(m, labels, templates, mf.truncate)
	if err != nil {
		return err
	}
	start := time.Now()
	feats, errs, err := m.EncodeImageFiles(images)
	if err != nil {
		return err
	}
	if mf.verbose {
		sec := time.Since(start).Seconds()
		fmt.Fprintf(stderr, "clip: %d images read and encoded in %.2f s (%.1f images/s)\n", len(images), sec, float64(len(images))/sec)
	}
	failed := false
	for i, path := range images {
		rec := classifyRecord{Image: path}
		if errs[i] != nil {
			rec.Error = oneLine(errs[i].Error())
			fmt.Fprintf(stderr, "clip classify: %s\n", rec.Error)
			failed = true
		} else {
			rec.Top = clf.Top(feats[i], *top)
		}
		if err := writeJSON(stdout, rec); err != nil {
			return err
		}
	}
	if failed {
		return errReported
	}
	return nil
}

// templateFlags are the prompt-template flags of classify and eval. They share one
// default, so that eval measures what classify does: zeroshot.DefaultTemplateSet, or for
// the built-in model the set phrased like its training captions (defaultmodel.TemplateSet).
type templateFlags struct {
	list listFlag
	set  string
}

func (tf *templateFlags) register(fs *flag.FlagSet) {
	fs.Var(&tf.list, "template", `prompt template with {} for the label, e.g. "a photo of a {}." (repeatable; default: the --template-set)`)
	fs.StringVar(&tf.set, "template-set", "", "built-in template set: "+joinStrings(zeroshot.TemplateSetNames())+
		" (default "+zeroshot.DefaultTemplateSet+", or "+defaultmodel.TemplateSet+" for the built-in model)")
}

// templates returns the --template templates, else those of --template-set, else the
// default set (the built-in model's own when builtin); a bad one is a command-line error.
func (tf *templateFlags) templates(builtin bool) ([]string, error) {
	templates := []string(tf.list)
	if len(templates) == 0 {
		set := tf.set
		switch {
		case set != "":
		case builtin:
			set = defaultmodel.TemplateSet
		default:
			set = zeroshot.DefaultTemplateSet
		}
		var err error
		if templates, err = zeroshot.TemplateSet(set); err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	for _, t := range templates {
		if _, err := zeroshot.Fill(t, "x"); err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	return templates, nil
}

// readLines returns the non-empty, trimmed lines of a file.
func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return lines, nil
}
