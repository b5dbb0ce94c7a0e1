package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/clip-go/clip/train"
)

// cmdEval measures zero-shot accuracy on labelled image folders (class_name/xxx.png), such
// as the held-out sets of `clip data build`: one line per set.
func cmdEval(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	var mf modelFlags
	mf.register(fs)
	var tf templateFlags
	tf.register(fs)
	predictions := fs.String("predictions", "", "write each image's top-1 label and its margin over the runner-up (in logits) to this file (JSON lines)")
	agreeFile := fs.String("agree", "", "a --predictions file of another model (say, the float model of a quantized one): report the share of images with the same top-1, and the largest margin of that model's among the images whose top-1 differs")
	lang := fs.String("lang", "", "class names in this language, from each set's classes.json (as clip data build writes; e.g. ko); default: the folder names")
	sets, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(sets) == 0 {
		return fmt.Errorf("%w: give one or more eval folders", errUsage)
	}
	templates, err := tf.templates(mf.dir == "")
	if err != nil {
		return err
	}
	var other map[string]prediction
	if *agreeFile != "" {
		if other, err = readPredictions(*agreeFile); err != nil {
			return err
		}
	}
	m, err := mf.load(stderr)
	if err != nil {
		return err
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
	for _, dir := range sets {
		es, err := train.LoadEvalSet(dir)
		if err != nil {
			return err
		}
		if *lang != "" {
			if err := es.Relabel(dir, *lang); err != nil {
				return err
			}
		}
		res, err := train.ZeroShot(m, es, templates)
		if err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		for i, p := range res.Predicted {
			writeJSON(pred, prediction{Image: es.Paths[i], Label: es.Classes[es.Labels[i]], Predicted: p, Margin: res.Margin[i]})
		}
		line := map[string]any{"set": filepath.Base(dir), "classes": len(es.Classes), "images": len(es.Paths),
			"top1": res.Top1, "top5": res.Top5}
		if other != nil {
			same, maxMargin := 0, 0.0
			for i, p := range res.Predicted {
				q, ok := other[es.Paths[i]]
				if !ok {
					return fmt.Errorf("%s has no prediction for %s", *agreeFile, es.Paths[i])
				}
				if p == q.Predicted {
					same++
				} else {
					maxMargin = max(maxMargin, q.Margin)
				}
			}
			line["agree"] = float64(same) / float64(len(res.Predicted))
			line["changed_max_margin"] = maxMargin
		}
		if err := writeJSON(stdout, line); err != nil {
			return err
		}
	}
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
