package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/clip-go/clip/evaluate"
)

// builtinModel names the built-in model among several --model values.
const builtinModel = "builtin"

// cmdEvalRobustness measures each model's zero-shot accuracy on a reference set and on
// shifted versions of it, the paper's effective-robustness comparison.
func cmdEvalRobustness(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval robustness", flag.ContinueOnError)
	var run modelFlags
	run.registerRunFlags(fs)
	var models listFlag
	fs.Var(&models, "model", `a model to compare: a hub folder, a quantized file, or "`+builtinModel+`" for the built-in model (repeatable; default: the built-in model)`)
	var tf templateFlags
	tf.register(fs)
	var ef evalFlags
	ef.register(fs)
	reference := fs.String("reference", "", "the reference set (the distribution the shifted sets move away from)")
	shifted, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *reference == "" || len(shifted) == 0 {
		return fmt.Errorf("%w: give --reference SET and one or more shifted sets", errUsage)
	}
	if len(models) == 0 {
		models = listFlag{builtinModel}
	}
	// Sets load once, and before any model, so that a bad set fails fast.
	var sets []*evaluate.Set
	for _, spec := range append([]string{*reference}, shifted...) {
		s, err := ef.sets.load(spec, stderr)
		if err != nil {
			return err
		}
		sets = append(sets, s)
	}
	rep := evaluate.RobustnessReport{Reference: sets[0].Name}
	for _, s := range sets[1:] {
		rep.Shifted = append(rep.Shifted, s.Name)
	}
	for _, dir := range models {
		mf := run
		if dir != builtinModel {
			mf.dir = dir
		}
		m, err := loadEvalModel(mf, &tf, stderr)
		if err != nil {
			return err
		}
		row := evaluate.RobustnessRow{Model: m.name, Templates: m.tplName}
		for i, s := range sets {
			feats, err := ef.features.features(m, s, stderr)
			if err != nil {
				return err
			}
			res, err := evaluate.ZeroShot(m, s, feats, m.templates, mf.truncate)
			if err != nil {
				return err
			}
			role := "shifted"
			if i == 0 {
				role = "reference"
			}
			row.Top1 = append(row.Top1, res.Top1)
			if err := writeJSON(stdout, map[string]any{"model": m.name, "set": s.Name, "role": role,
				"images": res.Images, "top1": res.Top1, "top5": res.Top5, "templates": row.Templates}); err != nil {
				return err
			}
		}
		rep.Rows = append(rep.Rows, row)
	}
	if ef.report != "" {
		return rep.Write(ef.report)
	}
	return nil
}
