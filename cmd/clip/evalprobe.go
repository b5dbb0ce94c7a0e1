package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/clip-go/clip/evaluate"
	"github.com/clip-go/clip/model/zeroshot"
)

// splitSeed fixes --split's draw: the same folder splits the same way in every run, so
// that reports can be reproduced and compared across models.
const splitSeed = 0

// cmdEvalProbe fits linear probes on frozen image features (all training images, and k
// per class with --shots) and prints their test accuracy beside zero-shot's.
func cmdEvalProbe(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval probe", flag.ContinueOnError)
	var c evalCommon
	c.register(fs)
	mf, tf, ef := &c.mf, &c.tf, &c.evalFlags
	trainSpec := fs.String("train", "", "the labelled set the probe is fitted on")
	testSpec := fs.String("test", "", "the labelled set it is measured on (same classes); omitted or the same as --train: a --split of --train")
	split := fs.Float64("split", 0.5, "with one set: the share of each class that trains the probe (the rest tests it), drawn the same way every run")
	shotsFlag := fs.String("shots", "", "also fit k-shot probes on k training images per class, for each k of this list (e.g. 1,2,4,8,16)")
	seeds := fs.Int("seeds", 5, "k-shot draws per k (mean and spread over them)")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: unexpected argument %q (sets go with --train and --test)", errUsage, rest[0])
	}
	if *trainSpec == "" {
		return fmt.Errorf("%w: give --train SET (and --test SET, or --split)", errUsage)
	}
	shots, err := parseShots(*shotsFlag)
	if err != nil {
		return err
	}
	if *seeds < 1 {
		return fmt.Errorf("%w: --seeds must be at least 1", errUsage)
	}
	sameSet := *testSpec == "" || filepath.Clean(*testSpec) == filepath.Clean(*trainSpec)
	if !sameSet && isFlagSet(fs, "split") {
		return fmt.Errorf("%w: --split divides one set: give --train alone, or --train and --test without --split", errUsage)
	}
	m, err := loadEvalModel(*mf, tf, stderr)
	if err != nil {
		return err
	}
	trainSet, err := ef.sets.load(*trainSpec, stderr)
	if err != nil {
		return err
	}
	trainFeats, err := ef.features.features(m, trainSet, stderr)
	if err != nil {
		return err
	}
	train, test := evaluate.Labelled(trainSet, trainFeats), evaluate.Data{}
	testName := trainSet.Name + fmt.Sprintf(" (%.0f%% split)", 100*(1-*split))
	if sameSet {
		if train, test, err = train.Split(*split, len(trainSet.Classes), splitSeed); err != nil {
			return fmt.Errorf("%w: --split: %v", errUsage, err)
		}
	} else {
		testSet, err := ef.sets.load(*testSpec, stderr)
		if err != nil {
			return err
		}
		if err := evaluate.Align(trainSet, testSet); err != nil {
			return err
		}
		testFeats, err := ef.features.features(m, testSet, stderr)
		if err != nil {
			return err
		}
		test, testName = evaluate.Labelled(testSet, testFeats), testSet.Name
	}
	clf, err := zeroshot.Build(m, trainSet.Classes, m.templates, mf.truncate)
	if err != nil {
		return err
	}
	rep := evaluate.ProbeReport{Model: m.name, Train: trainSet.Name, Test: testName, Templates: m.tplName,
		ZeroShot: evaluate.ZeroShotData(clf, trainSet.Classes, test)}
	if err := writeJSON(stdout, map[string]any{"kind": "zeroshot", "train": rep.Train, "test": rep.Test,
		"images": rep.ZeroShot.Images, "top1": rep.ZeroShot.Top1, "top5": rep.ZeroShot.Top5,
		"mean_per_class": rep.ZeroShot.MeanPerClass, "templates": rep.Templates}); err != nil {
		return err
	}
	if rep.Probe, err = evaluate.LinearProbe(train, test, trainSet.Classes, splitSeed); err != nil {
		return err
	}
	if err := writeJSON(stdout, map[string]any{"kind": "probe", "train_images": rep.Probe.Train,
		"images": rep.Probe.Images, "top1": rep.Probe.Top1, "top5": rep.Probe.Top5,
		"mean_per_class": rep.Probe.MeanPerClass, "c": rep.Probe.C}); err != nil {
		return err
	}
	if len(shots) > 0 {
		if rep.Shots, err = evaluate.KShot(train, test, trainSet.Classes, shots, *seeds); err != nil {
			return err
		}
		for _, r := range rep.Shots {
			if err := writeJSON(stdout, map[string]any{"kind": "kshot", "k": r.K, "seeds": len(r.Top1),
				"top1_mean": r.Mean, "top1_std": r.Std, "top1": r.Top1, "c": r.C, "train_images": r.Train, "short_classes": r.Short}); err != nil {
				return err
			}
		}
		line := map[string]any{"kind": "summary", "zeroshot_top1": rep.ZeroShot.Top1, "probe_overtakes_at_k": nil}
		if k, ok := rep.Overtakes(); ok {
			line["probe_overtakes_at_k"] = k
		}
		if err := writeJSON(stdout, line); err != nil {
			return err
		}
	}
	if ef.report != "" {
		return rep.Write(ef.report)
	}
	return nil
}

// isFlagSet reports whether the command line gave the flag.
func isFlagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
