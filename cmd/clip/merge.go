package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/train"
	"github.com/clip-go/clip/weights"
	"github.com/gomlx/compute"
)

// cmdMerge writes base + Σ w·(model − base) as a model folder (model.Merge): WiSE-FT's
// interpolation of a fine-tuned model with its start, or the changes of several runs
// from one base added. The base gives the config, tokenizer and preprocessing.
func cmdMerge(args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	basePath := fs.String("base", "", "the model the others started from: a model folder, checkpoint or quantized file (dequantized)")
	out := fs.String("out", "", "model folder to write")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *basePath == "" || *out == "" || len(rest) == 0 {
		return fmt.Errorf("%w: --base, --out and at least one MODEL:WEIGHT are required", errUsage)
	}
	type input struct {
		path string
		w    float64
	}
	var ins []input
	for _, arg := range rest {
		i := strings.LastIndex(arg, ":")
		if i < 0 {
			return fmt.Errorf("%w: %q: want MODEL:WEIGHT, e.g. run/step-00000450:0.5", errUsage, arg)
		}
		w, err := strconv.ParseFloat(arg[i+1:], 64)
		if err != nil || w != w || w < -10 || w > 10 {
			return fmt.Errorf("%w: %q: the weight after the last colon must be a number between -10 and 10", errUsage, arg)
		}
		ins = append(ins, input{arg[:i], w})
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("%s already exists: merge writes a new folder", *out)
	}
	b, err := model.NewBackend("")
	if err != nil {
		return err
	}
	base, baseParams, err := loadParams(*basePath, b)
	if err != nil {
		return err
	}
	var models []map[string]*weights.Tensor
	var ws []float64
	for _, in := range ins {
		_, p, err := loadParams(in.path, b)
		if err != nil {
			return err
		}
		models, ws = append(models, p), append(ws, in.w)
	}
	merged, err := model.Merge(baseParams, models, ws)
	if err != nil {
		return err
	}
	if err := base.SetParams(merged); err != nil {
		return err
	}
	if err := base.SaveFolder(*out, base.Tokenizer, &base.Image); err != nil {
		return err
	}
	var card strings.Builder
	fmt.Fprintf(&card, "# A merged CLIP\n\nWritten by `clip merge`: base + Σ w·(model − base), parameter by parameter ")
	fmt.Fprintf(&card, "(weight-space ensembling: WiSE-FT, Wortsman et al. 2022; task arithmetic, Ilharco et al. 2023).\n\n")
	fmt.Fprintf(&card, "- base: `%s`\n", filepath.Clean(*basePath))
	for _, in := range ins {
		fmt.Fprintf(&card, "- `%s` at weight %g\n", filepath.Clean(in.path), in.w)
	}
	if err := os.WriteFile(filepath.Join(*out, "README.md"), []byte(card.String()), 0o644); err != nil {
		return err
	}
	return writeJSON(stdout, map[string]any{"model": *out, "merged": len(ins)})
}

// loadParams opens a model for merging: a model folder, a quantized file (dequantized), a
// checkpoint, or a run folder (its newest checkpoint).
func loadParams(path string, b compute.Backend) (*model.Model, map[string]*weights.Tensor, error) {
	m, err := model.Load(train.NewestIn(path), b)
	if err != nil {
		return nil, nil, err
	}
	p, err := m.Params()
	return m, p, err
}
