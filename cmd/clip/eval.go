package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/clip-go/clip/evaluate"
	"github.com/clip-go/clip/model/zeroshot"
	"github.com/clip-go/clip/weights/defaultmodel"
)

// evalSubcommands are `clip eval`'s: `clip eval SET...` without one is `clip eval
// zeroshot SET...` (a set folder named like a subcommand is reached as ./probe).
var evalSubcommands = map[string]func(args []string, stdout, stderr io.Writer) error{
	"zeroshot":   cmdEvalZeroShot,
	"probe":      cmdEvalProbe,
	"robustness": cmdEvalRobustness,
}

// cmdEval measures models on labelled image sets (docs/evaluation.md): zero-shot, linear
// and k-shot probes, robustness to distribution shift.
func cmdEval(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		if sub, ok := evalSubcommands[args[0]]; ok {
			return sub(args[1:], stdout, stderr)
		}
	}
	return cmdEvalZeroShot(args, stdout, stderr)
}

// evalFlags are the flags every eval subcommand shares.
type evalFlags struct {
	features featureFlags
	sets     setFlags
	report   string
}

// evalCommon are the flags of the one-model subcommands: the model, its templates,
// and evalFlags.
type evalCommon struct {
	mf modelFlags
	tf templateFlags
	evalFlags
}

func (c *evalCommon) register(fs *flag.FlagSet) {
	c.mf.register(fs)
	c.tf.register(fs)
	c.evalFlags.register(fs)
}

func (ef *evalFlags) register(fs *flag.FlagSet) {
	ef.features.register(fs)
	ef.sets.register(fs)
	fs.StringVar(&ef.report, "report", "", "also write report.md (tables) and PNG charts into this folder")
}

// cmdEvalZeroShot measures zero-shot accuracy on labelled sets: one line per set (and
// per template variant with --compare-templates).
func cmdEvalZeroShot(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval zeroshot", flag.ContinueOnError)
	var c evalCommon
	c.register(fs)
	mf, tf, ef := &c.mf, &c.tf, &c.evalFlags
	compare := fs.Bool("compare-templates", false, "measure the bare label, one template and each built-in template set side by side")
	predictions := fs.String("predictions", "", "write each image's top-1 label and its margin over the runner-up (in logits) to this file (JSON lines)")
	agreeFile := fs.String("agree", "", "a --predictions file of another model (say, the float model of a quantized one): report the share of images with the same top-1, and the largest margin of that model's among the images whose top-1 differs")
	specs, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(specs) == 0 {
		return fmt.Errorf("%w: give one or more sets (image folders, shards or CSVs)", errUsage)
	}
	if *compare && (*predictions != "" || *agreeFile != "") {
		return fmt.Errorf("%w: --predictions and --agree are for one set of templates, not --compare-templates", errUsage)
	}
	var other map[string]prediction
	if *agreeFile != "" {
		if other, err = readPredictions(*agreeFile); err != nil {
			return err
		}
	}
	m, err := loadEvalModel(*mf, tf, stderr)
	if err != nil {
		return err
	}
	variants := []evaluate.TemplateVariant{{Name: m.tplName, Templates: m.templates}}
	if *compare {
		variants = evaluate.TemplateVariants(m.templates, zeroshot.TemplateSetNames(), zeroshot.TemplateSet)
	}
	var pred io.Writer = io.Discard
	if *predictions != "" {
		f, err := os.Create(*predictions)
		if err != nil {
			return err
		}
		defer f.Close()
		pred = f
	}
	var rows []evaluate.ZeroShotRow
	for _, spec := range specs {
		s, err := ef.sets.load(spec, stderr)
		if err != nil {
			return err
		}
		feats, err := ef.features.features(m, s, stderr)
		if err != nil {
			return err
		}
		for _, v := range variants {
			res, err := evaluate.ZeroShot(m, s, feats, v.Templates, mf.truncate)
			if err != nil {
				return err
			}
			row := evaluate.ZeroShotRow{Set: s.Name, Classes: len(s.Classes), Templates: v.Name, Result: res}
			rows = append(rows, row)
			line := map[string]any{"set": s.Name, "classes": len(s.Classes), "images": res.Images,
				"top1": res.Top1, "top5": res.Top5, "mean_per_class": res.MeanPerClass,
				"confusions": res.Confusions[:min(5, len(res.Confusions))]}
			if *compare {
				line["templates"] = v.Name
			}
			if res.Skipped > 0 {
				line["skipped"] = res.Skipped
			}
			for i, p := range res.Predicted {
				if p != "" {
					writeJSON(pred, prediction{Image: s.Items[i].Name, Label: s.Classes[s.Items[i].Label], Predicted: p, Margin: res.Margin[i]})
				}
			}
			if other != nil {
				if err := agreement(line, res, s, other, *agreeFile); err != nil {
					return err
				}
			}
			if err := writeJSON(stdout, line); err != nil {
				return err
			}
		}
	}
	if ef.report != "" {
		return evaluate.WriteZeroShotReport(ef.report, m.name, rows)
	}
	return nil
}

// agreement adds to line the share of images whose top-1 is the other model's, and the
// largest margin the other model had among those it disagrees on.
func agreement(line map[string]any, res *evaluate.ZeroShotResult, s *evaluate.Set, other map[string]prediction, file string) error {
	same, n, maxMargin := 0, 0, 0.0
	for i, p := range res.Predicted {
		if p == "" {
			continue
		}
		q, ok := other[s.Items[i].Name]
		if !ok {
			return fmt.Errorf("%s has no prediction for %s", file, s.Items[i].Name)
		}
		n++
		if p == q.Predicted {
			same++
		} else {
			maxMargin = max(maxMargin, q.Margin)
		}
	}
	line["agree"] = float64(same) / float64(max(n, 1))
	line["changed_max_margin"] = maxMargin
	return nil
}

// prediction is one line of a --predictions file.
type prediction struct {
	Image     string  `json:"image"`
	Label     string  `json:"label"`
	Predicted string  `json:"predicted"`
	Margin    float64 `json:"margin"` // logits between the top-1 and the runner-up
}

// readPredictions reads a --predictions file: image path → its line.
func readPredictions(path string) (map[string]prediction, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]prediction{}
	dec := json.NewDecoder(f)
	for line := 1; ; line++ {
		var p prediction
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil || p.Image == "" {
			return nil, fmt.Errorf("%s: prediction %d: not a line of clip eval --predictions (%v)", path, line, err)
		}
		out[p.Image] = p
	}
	return out, nil
}

// parseShots reads --shots: "1,2,4,8,16".
func parseShots(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		k, err := strconv.Atoi(f)
		if err != nil || k < 1 {
			return nil, fmt.Errorf("%w: --shots: %q is not a positive whole number", errUsage, f)
		}
		out = append(out, k)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// name says which templates tf gives, for tables: the set's name, or "custom" for
// --template.
func (tf *templateFlags) name(builtin bool) string {
	switch {
	case len(tf.list) > 0:
		return "custom"
	case tf.set != "":
		return tf.set
	case builtin:
		return defaultmodel.TemplateSet
	}
	return zeroshot.DefaultTemplateSet
}
