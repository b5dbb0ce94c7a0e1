package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/train"
	"github.com/clip-go/clip/train/corpus"
	"github.com/clip-go/clip/train/teacher"
)

// cmdDistill distils a model's text tower towards the teacher (train/teacher) on a
// corpus's texts.txt: the first stage of the second-generation recipe (issue 26); the
// second is clip train --init RUN --lock-text. The teacher's embeddings are cached, so
// only the first run over a text set pays for them.
func cmdDistill(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("distill", flag.ContinueOnError)
	h := train.DefaultHyper()
	h.Batch, h.LR, h.Warmup, h.WeightDecay, h.Steps = 256, 5e-4, 50, 0.05, 1000
	var o train.DistillOptions
	textsFile := fs.String("texts", "", "the texts, one per line: a corpus's texts.txt (clip data build writes it; clip data texts adds it to an older corpus)")
	maxTexts := fs.Int("max-texts", 0, "use only the first N texts (texts.txt puts names before phrasings); 0: all")
	cache := fs.String("teacher-cache", teacher.DefaultCacheDir, "the teacher's install and embeddings cache")
	threads := fs.Int("teacher-threads", 0, "the teacher's threads (0: all cores)")
	fs.StringVar(&o.Init, "init", "", "the model whose text tower to distil: a model folder, a quantized file (the built-in model's, dequantized), a checkpoint or a run folder (its newest checkpoint)")
	fs.StringVar(&o.Out, "out", "", "run folder for checkpoints and metrics.jsonl")
	fs.StringVar(&o.Backend, "backend", "", "GoMLX backend: "+joinStrings(model.BackendNames())+" (default $GOMLX_BACKEND, else xla:cpu where its plugin is installed (clip xla-install --cpu), else go)")
	fs.BoolVar(&o.Resume, "resume", false, "continue from the newest checkpoint in --out")
	fs.IntVar(&h.Steps, "steps", h.Steps, "optimizer steps")
	fs.IntVar(&h.Batch, "batch", h.Batch, "texts per step")
	fs.Float64Var(&h.LR, "lr", h.LR, "peak learning rate")
	fs.IntVar(&h.Warmup, "warmup", h.Warmup, "linear warm-up steps")
	fs.Float64Var(&h.WeightDecay, "wd", h.WeightDecay, "AdamW weight decay (on weights of rank ≥ 2)")
	fs.Uint64Var(&h.Seed, "seed", h.Seed, "random seed (text order)")
	anchorData := fs.String("anchor-data", "", "training shards (the corpus's shards/*.tar) whose captions are anchored: held near where --init puts them, so that the image tower still matches them")
	anchorLang := fs.String("anchor-lang", "", "anchor only the captions in these languages (comma-separated, such as en); the others are placed by the teacher alone, or with --translations next to the captions they translate")
	translations := fs.Bool("translations", false, "with --anchor-lang: anchor each caption in another language to the mean of its picture's captions in those languages (its translations), so it lands where the image tower expects them")
	fs.Float64Var(&o.AnchorWeight, "anchor", 0, "weight of the anchor's term (1 − cosine to the caption's embedding before distillation) beside the teacher's; needs --anchor-data")
	fs.IntVar(&o.CheckpointEvery, "checkpoint-every", 100, "steps between checkpoints")
	fs.IntVar(&o.KeepCheckpoints, "keep", 3, "checkpoints to keep")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, rest[0])
	}
	if *textsFile == "" || o.Out == "" {
		return fmt.Errorf("%w: --texts and --out are required", errUsage)
	}
	if *maxTexts < 0 {
		return fmt.Errorf("%w: negative --max-texts", errUsage)
	}
	if err := checkBackend(o.Backend); err != nil {
		return err
	}
	if err := h.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if (o.AnchorWeight > 0) != (*anchorData != "") || o.AnchorWeight < 0 {
		return fmt.Errorf("%w: --anchor WEIGHT and --anchor-data SHARDS go together", errUsage)
	}
	if *translations && *anchorLang == "" {
		return fmt.Errorf("%w: --translations needs --anchor-lang", errUsage)
	}
	texts, err := corpus.ReadTexts(*textsFile, teacher.MaxTexts)
	if err != nil {
		return err
	}
	if *maxTexts > 0 && *maxTexts < len(texts) {
		texts = texts[:*maxTexts]
	}
	if *anchorData != "" {
		sets, err := corpus.ShardCaptionSets(*anchorData)
		if err != nil {
			return err
		}
		o.AnchorTo = anchorsFor(texts, sets, *anchorLang, *translations)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stderr, "clip: the teacher's embeddings of %d texts of %s\n", len(texts), filepath.Base(*textsFile))
	targets, err := teacher.Embed(ctx, texts, teacher.Options{CacheDir: *cache, Threads: *threads, Progress: stderr})
	if err != nil {
		return err
	}
	o.Texts, o.Targets, o.Hyper, o.Log = texts, targets, h, stderr
	res, err := train.DistillRun(ctx, o)
	if err != nil {
		return err
	}
	return writeJSON(stdout, map[string]any{"steps": res.Steps, "loss": res.Loss, "checkpoint": res.Checkpoint, "stopped": res.Stopped})
}

// anchorsFor is each text's anchor (train.DistillOptions.AnchorTo) from the training
// pictures' caption sets: a caption in one of langs (all, if langs is empty) is anchored
// to itself; with translations, a caption in another language is anchored to its
// pictures' captions in langs; any other text is free.
func anchorsFor(texts []string, sets [][]corpus.Caption, langs string, translations bool) [][]string {
	keep := func(lang string) bool { return langs == "" || slices.Contains(strings.Split(langs, ","), lang) }
	tidy := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	to := map[string][]string{}
	for _, cs := range sets {
		var own []string
		for _, c := range cs {
			if keep(c.Lang) {
				own = append(own, tidy(c.Text))
			}
		}
		for _, c := range cs {
			t := tidy(c.Text)
			switch {
			case keep(c.Lang):
				to[t] = []string{t}
			case translations && len(own) > 0 && !slices.Equal(to[t], []string{t}):
				for _, o := range own {
					if !slices.Contains(to[t], o) {
						to[t] = append(to[t], o)
					}
				}
			}
		}
	}
	out := make([][]string, len(texts))
	for i, s := range texts {
		out[i] = to[s]
	}
	return out
}
