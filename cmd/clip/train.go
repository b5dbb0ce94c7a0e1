package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/model/arch"
	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/train"
)

// cmdTrain runs contrastive pre-training. SIGINT/SIGTERM stop it after the current step
// with a checkpoint; --resume continues from the newest one.
func cmdTrain(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	h := train.DefaultHyper()
	var o train.Options
	fs.StringVar(&o.Data, "data", "", "training pairs: WebDataset shards (shards/{000000..000099}.tar, globs) or a CSV/TSV of filepath,caption")
	fs.StringVar(&o.ModelConfig, "model-config", "small", "model shape: a preset ("+joinPresets()+") or a config.json")
	fs.StringVar(&o.Out, "out", "", "run folder for checkpoints and metrics.jsonl")
	fs.StringVar(&o.Init, "init", "", "start from the weights of a model folder (a hub CLIP, a clip export), a quantized file (the built-in model's, dequantized), a checkpoint or a run folder (its newest checkpoint) instead of random ones: fine-tuning; its shape replaces --model-config")
	fs.BoolVar(&o.Trim, "trim", false, "trim pictures' white margins, so the drawing fills the frame (for pictogram models): training pictures before their crops, and every picture the exported model sees (recorded in its preprocessor_config.json)")
	fs.StringVar(&o.Eval, "eval", "", "labelled image folder (class/xxx.png) for zero-shot accuracy during training")
	fs.StringVar(&o.Backend, "backend", "", "GoMLX backend: "+joinStrings(model.BackendNames())+" (default $GOMLX_BACKEND, else xla:cpu where its plugin is installed (clip xla-install --cpu), else go)")
	fs.IntVar(&o.Devices, "devices", 0, "split each batch over this many devices of the backend (data parallel; xla:cpu has several, a GPU host one per GPU); default: as many as it has that --batch and --micro-batch divide by, but one on xla:cpu, whose devices share the cores")
	fs.BoolVar(&o.Resume, "resume", false, "continue from the newest checkpoint in --out")
	fs.IntVar(&h.Steps, "steps", h.Steps, "optimizer steps (with --budget: at most this many)")
	fs.DurationVar(&o.Budget, "budget", 0, "wall-clock time for the training loop (such as 8m): at the end of the warm-up the run sizes --steps so that the schedule ends with it (a resumed run keeps its steps)")
	epochs := fs.Float64("epochs", 0, "train for this many passes over --data instead of --steps (needs --epoch-size)")
	epochSize := fs.Int("epoch-size", 0, "pairs in one pass over --data (for --epochs)")
	fs.IntVar(&h.Batch, "batch", h.Batch, "contrastive batch size (pairs per step)")
	fs.IntVar(&h.MicroBatch, "micro-batch", 0, "pairs per forward/backward pass; smaller than --batch turns on gradient caching")
	fs.Float64Var(&h.LR, "lr", h.LR, "peak learning rate")
	fs.IntVar(&h.Warmup, "warmup", h.Warmup, "linear warm-up steps")
	fs.Float64Var(&h.WeightDecay, "wd", h.WeightDecay, "AdamW weight decay (on weights of rank ≥ 2)")
	fs.Float64Var(&h.GradClip, "grad-clip", h.GradClip, "clip the global gradient norm (0: off)")
	fs.Uint64Var(&h.Seed, "seed", h.Seed, "random seed (model init, data order, augmentation)")
	fs.BoolVar(&h.Augment, "augment", h.Augment, "random resized crop")
	fs.Float64Var(&h.MinScale, "min-scale", h.MinScale, "smallest area of the random crop, as a fraction of the image")
	fs.Float64Var(&h.Style, "style", 0, "probability of redrawing a training image as line art, a silhouette, greyscale or another palette")
	fs.BoolVar(&h.MultiPositive, "multi-positive", false, "pairs that show the same concept are positives of each other, not negatives")
	fs.StringVar(&h.Loss, "loss", "", "objective: softmax (CLIP's contrastive cross-entropy) or sigmoid (SigLIP's pairwise loss with a learned bias; for small batches); default softmax, or on --resume the run's own")
	fs.BoolVar(&h.LockText, "lock-text", false, "train the image tower only, against the text tower as --init has it (LiT; after clip distill)")
	fs.BoolVar(&h.BF16, "bf16", false, "matrix products in bfloat16 with float32 accumulation and weights (for GPUs)")
	fs.IntVar(&o.Workers, "workers", 2, "image decoding workers")
	fs.IntVar(&o.CheckpointEvery, "checkpoint-every", 100, "steps between checkpoints")
	fs.IntVar(&o.KeepCheckpoints, "keep", 3, "checkpoints to keep")
	fs.IntVar(&o.EvalEvery, "eval-every", 100, "steps between zero-shot evaluations")
	quiet := fs.Bool("quiet", false, "no progress on stderr (a bar on a terminal, else a line every 50 steps or 10 s)")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, rest[0])
	}
	if o.Data == "" || o.Out == "" {
		return fmt.Errorf("%w: --data and --out are required", errUsage)
	}
	if o.Init != "" && isFlagSet(fs, "model-config") {
		return fmt.Errorf("%w: --init takes the shape of its model: leave --model-config out", errUsage)
	}
	if err := h.CheckLoss(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if o.Budget < 0 {
		return fmt.Errorf("%w: negative --budget %v", errUsage, o.Budget)
	}
	if !isFlagSet(fs, "steps") && *epochs == 0 {
		h.Steps = 0 // Run's choice: a resumed run's own, the budget's, else the default
	}
	if *epochs > 0 {
		if *epochSize <= 0 {
			return fmt.Errorf("%w: --epochs needs --epoch-size (pairs per pass)", errUsage)
		}
		h.Steps = max(1, int(*epochs*float64(*epochSize)/float64(h.Batch)))
	}
	if err := checkBackend(o.Backend); err != nil {
		return err
	}
	o.Hyper = h
	if !*quiet {
		o.Progress = stderr
	}
	o.Log = stderr
	if note := model.BuildNote(o.Backend); note != "" {
		fmt.Fprintln(stderr, "clip:", note)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := train.Run(ctx, o)
	if err != nil {
		return err
	}
	return writeJSON(stdout, map[string]any{"steps": res.Steps, "loss": res.Loss, "checkpoint": res.Checkpoint, "stopped": res.Stopped, "data": res.DataStats})
}

// cmdExport writes a checkpoint as a model-hub folder.
func cmdExport(args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	ckpt := fs.String("checkpoint", "", "a checkpoint folder, or a run folder (its newest checkpoint)")
	out := fs.String("out", "", "model folder to write")
	names := fs.String("names", "hub", "hub: the hub's CLIPModel layout only; openai: also "+model.OpenCLIPWeightsFile+
		" under the original OpenAI names (visual.conv1.weight, …) with "+model.OpenCLIPConfigFile+", as open_clip keeps models on the hub")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, rest[0])
	}
	if *ckpt == "" || *out == "" {
		return fmt.Errorf("%w: --checkpoint and --out are required", errUsage)
	}
	if *names != "hub" && *names != "openai" {
		return fmt.Errorf("%w: --names %q: want hub or openai", errUsage, *names)
	}
	dir := train.NewestIn(*ckpt)
	if _, err := os.Stat(filepath.Join(dir, "model.safetensors")); err != nil {
		return fmt.Errorf("%s: not a checkpoint (no model.safetensors): %w", *ckpt, err)
	}
	b, err := model.NewBackend("")
	if err != nil {
		return err
	}
	cfg, params, err := model.LoadWeights(dir)
	if err != nil {
		return err
	}
	if *names == "openai" { // a shape open_clip cannot build fails before anything is written
		if _, err := model.OpenCLIPConfig(cfg, imageproc.DefaultConfig(cfg.Vision.ImageSize)); err != nil {
			return err
		}
	}
	// A CLIP takes the parameters its config names: a sigmoid-loss run's logit_bias stays
	// behind in the checkpoint (see train.LogitBias).
	m, err := model.New(b, cfg, params)
	if err != nil {
		return err
	}
	img, err := train.CheckpointImage(dir, cfg)
	if err != nil {
		return err
	}
	if err := m.SaveFolder(*out, nil, &img); err != nil {
		return err
	}
	if err := train.WriteModelCard(*out, dir, cfg); err != nil {
		return err
	}
	res := map[string]string{"checkpoint": dir, "model": *out}
	if *names == "openai" {
		if err := m.SaveOpenCLIP(*out, &img); err != nil { // open_clip has no trim: its config leaves it out
			return err
		}
		res["open_clip"] = filepath.Join(*out, model.OpenCLIPWeightsFile)
	}
	return writeJSON(stdout, res)
}

func joinPresets() string { return joinStrings(arch.Presets()) }
