package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/clip-go/clip/train/data/synth"
)

// cmdSynth writes generated training shards of coloured shapes and a labelled eval folder:
// data for trying the trainer end to end.
func cmdSynth(args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("synth", flag.ContinueOnError)
	out := fs.String("out", "", "folder to write shards/ and eval/ into")
	shards := fs.Int("shards", 4, "number of shards")
	perShard := fs.Int("per-shard", 256, "pairs per shard")
	size := fs.Int("size", 64, "image side in pixels")
	perClass := fs.Int("eval-per-class", 8, "eval images per class")
	seed := fs.Uint64("seed", 1, "random seed")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 || *out == "" {
		return fmt.Errorf("%w: --out DIR is required", errUsage)
	}
	if *shards < 1 || *perShard < 1 || *size < 8 || *size > 1024 || *perClass < 0 {
		return fmt.Errorf("%w: shards, per-shard ≥ 1 and size in 8..1024 please", errUsage)
	}
	files, err := synth.WriteShards(filepath.Join(*out, "shards"), *shards, *perShard, *size, *seed)
	if err != nil {
		return err
	}
	if *perClass > 0 {
		if _, err := synth.WriteEvalFolder(filepath.Join(*out, "eval"), *perClass, *size, *seed+1); err != nil {
			return err
		}
	}
	return writeJSON(stdout, map[string]any{"shards": files, "eval": filepath.Join(*out, "eval"), "classes": synth.Classes()})
}
