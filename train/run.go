package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/clip-go/clip/evaluate"
	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/model/arch"
	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/model/tokenizer"
	"github.com/clip-go/clip/train/data"
	"github.com/gomlx/compute"
)

// Options configure a training run.
type Options struct {
	Data        string // training data spec (shards, globs, CSV/TSV; see package data)
	Eval        string // optional image-folder eval set
	Out         string // run folder: checkpoints, metrics.jsonl
	ModelConfig string // preset name or config.json path (ignored on resume and with Init)
	// Init is a model folder (a hub CLIP, or a clip export), a quantized file, a checkpoint
	// or a run folder (its newest checkpoint) whose weights a new run starts from instead
	// of random ones: fine-tuning. Its shape, tokenizer and preprocessing
	// come with it; a resumed run has them in its checkpoint.
	Init string
	// Trim makes the model trim white margins (imageproc.Config.Trim): its training
	// pictures before their random crops, and every picture once exported.
	Trim    bool
	Backend string
	// Devices splits each batch over this many devices of the backend (data parallelism,
	// parallel.go); 0: as many as it has that the batch and micro-batch divide by, but
	// one on xla:cpu, whose devices share the host's cores.
	Devices int
	Hyper   Hyper
	Resume  bool
	Workers int // image decoding workers
	// CheckpointEvery and EvalEvery are in steps (0: checkpoint only at the end, no eval).
	CheckpointEvery, EvalEvery, KeepCheckpoints int
	Progress                                    io.Writer // progress bar (nil: none)
	Log                                         io.Writer // one-line messages (nil: none)
	// Budget, when set, is the wall-clock time of the training loop: at the end of the
	// warm-up the run fixes Hyper.Steps (then an upper bound) so that the schedule ends
	// with the budget (budget.go). A run resumed after that point keeps the steps its
	// checkpoint has; one resumed before it decides on the budget given to the resumption.
	// Hyper.Steps 0 leaves the number to the run: a resumed run's own, else with a Budget
	// no bound (budgetStepCap), else DefaultHyper's.
	Budget time.Duration
	now    func() time.Time // the clock for Budget (tests set it)
}

// Result summarises a run.
type Result struct {
	Steps      int
	Loss       float64
	Checkpoint string
	Stopped    bool // interrupted (signal) before Steps
	DataStats  data.Stats
}

// Run trains until Hyper.Steps or until ctx is cancelled, checkpointing periodically and
// on the way out. With Resume it continues from the newest checkpoint in Out: the same
// parameters, optimizer moments, step, schedule and data position.
func Run(ctx context.Context, opt Options) (Result, error) {
	var prog *progress // the progress display, once the training loop starts
	logf := func(format string, args ...any) {
		if opt.Log != nil {
			prog.clear() // a log line (an evaluation's) must not land inside the bar
			fmt.Fprintf(opt.Log, format+"\n", args...)
		}
	}
	if opt.Out == "" {
		return Result{}, errors.New("no output folder")
	}
	if err := opt.Hyper.CheckLoss(); err != nil {
		return Result{}, err
	}
	opt.Init = NewestIn(opt.Init) // a run folder: start where that run ended
	latest, err := LatestCheckpoint(opt.Out)
	if err != nil {
		return Result{}, err
	}
	if latest != "" && !opt.Resume {
		return Result{}, fmt.Errorf("%s already holds checkpoints: pass --resume to continue that run, or choose another --out", opt.Out)
	}
	if opt.Resume && latest == "" {
		logf("no checkpoint in %s: starting a new run", opt.Out)
	}
	if err := os.MkdirAll(opt.Out, 0o755); err != nil {
		return Result{}, err
	}
	spec := trainingBackend(opt.Backend, logf)
	backend, err := model.NewBackend(spec)
	if err != nil {
		return Result{}, err
	}

	// The model: the checkpoint's shape and settings on resume, else the requested ones.
	h := opt.Hyper
	var cfg model.Config
	var saved State
	if latest != "" {
		if cfg, err = arch.Load(filepath.Join(latest, "config.json")); err != nil {
			return Result{}, err
		}
		js, err := os.ReadFile(filepath.Join(latest, "state.json"))
		if err != nil {
			return Result{}, err
		}
		if err := json.Unmarshal(js, &saved); err != nil {
			return Result{}, fmt.Errorf("%s: corrupt state.json: %v", latest, err)
		}
		if h.Loss != "" && h.LossName() != saved.Hyper.LossName() {
			return Result{}, fmt.Errorf("%s was trained with --loss %s: resume it with that loss (or leave --loss out), or start another run for --loss %s",
				opt.Out, saved.Hyper.LossName(), h.LossName())
		}
		steps := h.Steps
		h = saved.Hyper
		if steps > 0 {
			h.Steps = steps // a resumed run may be extended
		}
	} else {
		if h.Steps == 0 { // none asked for: the budget decides, else the default
			h.Steps = DefaultHyper().Steps
			if opt.Budget > 0 {
				h.Steps = budgetStepCap
			}
		}
		if cfg, err = configFrom(opt.ModelConfig); err != nil {
			return Result{}, err
		}
		if h.sigmoid() {
			cfg.LogitScaleInitValue = SigmoidInitLogScale // and the trainer starts the bias at SigmoidInitBias
		}
	}
	var m *model.Model
	if latest == "" && opt.Init != "" {
		if m, err = model.Load(opt.Init, backend); err != nil {
			return Result{}, fmt.Errorf("init: %w", err)
		}
		cfg = m.Config
		logf("starting from the weights of %s", opt.Init)
	} else {
		if m, err = model.New(backend, cfg, model.InitParams(cfg, h.Seed)); err != nil {
			return Result{}, err
		}
		if m.Tokenizer, err = tokenizer.Default(); err != nil {
			return Result{}, err
		}
		m.Image = imageproc.DefaultConfig(cfg.Vision.ImageSize)
		if latest != "" { // as the run began: CLIP's, --init's or --trim's
			if m.Image, err = CheckpointImage(latest, cfg); err != nil {
				return Result{}, err
			}
		}
	}
	if opt.Trim {
		m.Image.Trim = true
	}
	have := backend.NumDevices()
	if opt.Devices == 0 && model.OnCPU(backend) {
		// XLA's CPU devices share the host's cores: a batch split over them adds
		// collectives and gains no core (small shape, batch 32, 2 cores: 49.0 samples/s
		// on one device, 38.2 on 2, 25.0 on 4; docs/training.md), so by default a run
		// takes one; --devices asks for more (to test what a GPU host would run).
		have = 1
	}
	devices, err := DevicesFor(opt.Devices, have, h)
	if err != nil {
		return Result{}, err
	}
	if devices > 1 {
		full, _ := model.ResolveBackend(spec)
		logf("each batch of %d split over %d devices of %s", h.Batch, devices, full)
	}
	tr, err := NewOnDevices(m, h, devices)
	if err != nil {
		return Result{}, err
	}
	dopt := data.Options{Image: m.Image, Seed: h.Seed, Workers: opt.Workers, Augment: h.Augment, MinScale: h.MinScale, MaxScale: h.MaxScale, Style: h.Style}
	var loader *data.Loader
	if latest != "" {
		if saved, err = tr.LoadCheckpoint(latest); err != nil {
			return Result{}, err
		}
		var ds data.State
		if err := json.Unmarshal(saved.Data, &ds); err != nil {
			return Result{}, fmt.Errorf("%s: corrupt data position: %v", latest, err)
		}
		loader, err = data.OpenAt(opt.Data, dopt, ds)
		logf("resumed from %s at step %d", latest, tr.Step)
	} else {
		loader, err = data.Open(opt.Data, dopt)
	}
	if err != nil {
		return Result{}, err
	}
	defer loader.Close()
	var evalSet *evaluate.Set
	if opt.Eval != "" {
		if evalSet, err = evaluate.Load(opt.Eval); err != nil {
			return Result{}, err
		}
	}

	metrics, err := os.OpenFile(filepath.Join(opt.Out, "metrics.jsonl"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return Result{}, err
	}
	defer metrics.Close()
	prog = newProgress(opt.Progress, h.Steps, tr.Step, h.Batch, time.Now)

	res := Result{}
	initFrom := opt.Init // what the weights started from, for the card; a resumed run's own
	if latest != "" {
		initFrom, _ = saved.Extra["init"].(string)
	}
	dataState := loader.State() // the position after the last batch trained on
	checkpoint := func(loss float64) error {
		ds, err := json.Marshal(dataState)
		if err != nil {
			return err
		}
		st := State{Data: ds, Loss: loss, Extra: map[string]any{"data": opt.Data}} // the spec, for the exported model's card
		if initFrom != "" {
			st.Extra["init"] = initFrom
		}
		res.Checkpoint, err = tr.SaveCheckpoint(opt.Out, st, opt.KeepCheckpoints)
		return err
	}
	var loss float64
	batches, stopPrefetch := prefetch(loader, m, h.Batch, h.Steps-tr.Step, h.MultiPositive)
	defer stopPrefetch()
	now := opt.now
	if now == nil {
		now = time.Now
	}
	// The budget's decision point: the end of the warm-up, once, in a new run.
	// A run resumed before that point decides in this process, on the time left to it.
	decideAt := -1
	if opt.Budget > 0 {
		if at := max(h.Warmup, minBudgetWarmup); tr.Step < at && at < h.Steps {
			decideAt = at
		} else if latest != "" {
			logf("resumed: --budget is ignored, the run keeps its %d steps", h.Steps)
		}
	}
	firstStep, loopStart, ends := tr.Step, now(), []time.Duration(nil)
	for tr.Step < h.Steps {
		if ctx.Err() != nil {
			res.Stopped = true
			break
		}
		start := time.Now()
		next, ok := <-batches
		if !ok {
			return res, fmt.Errorf("data: the batches ended at step %d", tr.Step)
		}
		if next.err != nil {
			return res, fmt.Errorf("data: %w", next.err)
		}
		batch := next.batch
		dataState = next.data
		// The step in its three parts, timed apart (each ends with a value copied back, so
		// an asynchronous backend has finished): what a slow step is waiting for.
		lr := h.LearningRate(tr.Step)
		loaded := time.Now()
		if loss, err = tr.ComputeGradients(batch); err != nil {
			return res, err
		}
		computed := time.Now()
		gradNorm, err := tr.Apply()
		if err != nil {
			return res, err
		}
		elapsed := time.Since(start)
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		rec := map[string]any{
			"step": tr.Step, "loss": loss, "lr": lr, "grad_norm": gradNorm,
			"samples_per_s": float64(h.Batch) / elapsed.Seconds(), "epoch": dataState.Epoch,
			"data": dataState.Stats, "time": time.Now().UTC().Format(time.RFC3339),
			"data_ms": ms(loaded.Sub(start)), "grads_ms": ms(computed.Sub(loaded)), "apply_ms": ms(time.Since(computed)),
		}
		if evalSet != nil && opt.EvalEvery > 0 && (tr.Step%opt.EvalEvery == 0 || tr.Step == h.Steps) {
			ev, err := zeroShot(m, evalSet)
			if err != nil {
				return res, fmt.Errorf("eval: %w", err)
			}
			top1, top5 := ev.Top1, ev.Top5
			rec["eval_top1"], rec["eval_top5"] = top1, top5
			logf("step %d: zero-shot top-1 %.1f%%, top-5 %.1f%%", tr.Step, 100*top1, 100*top5)
		}
		if decideAt >= 0 {
			ends = append(ends, now().Sub(loopStart))
			if tr.Step == decideAt {
				steps := budgetSteps(opt.Budget, firstStep, ends, h.Steps)
				logf("step %d: %v in, at this pace %d steps fit the budget of %v: the schedule ends there", tr.Step,
					ends[len(ends)-1].Round(time.Second), steps, opt.Budget)
				h.Steps, tr.Hyper.Steps = steps, steps
				prog.setTotal(steps)
				rec["budget_steps"] = steps
				decideAt = -1
			}
		}
		js, _ := json.Marshal(rec)
		if _, err := metrics.Write(append(js, '\n')); err != nil {
			return res, err
		}
		prog.update(tr.Step, loss, lr, elapsed)
		if opt.CheckpointEvery > 0 && tr.Step%opt.CheckpointEvery == 0 && tr.Step < h.Steps {
			if err := checkpoint(loss); err != nil {
				return res, err
			}
		}
	}
	if err := checkpoint(loss); err != nil {
		return res, err
	}
	prog.finish()
	res.Steps, res.Loss, res.DataStats = tr.Step, loss, dataState.Stats
	logf("step %d, loss %.4f; data: %+v; checkpoint %s", tr.Step, loss, res.DataStats, res.Checkpoint)
	return res, nil
}

// trainingBackend is the backend a run asked for, or where it asked for none (and
// $GOMLX_BACKEND names none) XLA's CPU plugin if it is installed: 3× the Go backend on
// the small shape here (docs/training.md#speed-on-the-cpu).
func trainingBackend(spec string, logf func(string, ...any)) string {
	if spec == "" && os.Getenv(compute.ConfigEnvVar) == "" {
		if xla, file := model.InstalledCPUPlugin(); xla != "" {
			logf("training on XLA's CPU plugin (%s); --backend go for the pure-Go backend", file)
			return xla
		}
	}
	return spec
}

// evalTemplates phrase class names for the periodic zero-shot evaluation.
var evalTemplates = []string{"a photo of a {}.", "a {}."}

// zeroShot is the periodic evaluation: the model as it is now, so no feature cache.
func zeroShot(m *model.Model, s *evaluate.Set) (*evaluate.ZeroShotResult, error) {
	feats, err := evaluate.Encode(m, s, evaluate.FeatureOptions{})
	if err != nil {
		return nil, err
	}
	return evaluate.ZeroShot(m, s, feats, evalTemplates, true)
}

// configFrom reads a preset name or a config.json path.
func configFrom(spec string) (model.Config, error) {
	if spec == "" {
		spec = "small"
	}
	if _, err := os.Stat(spec); err == nil {
		return arch.Load(spec)
	}
	return arch.Preset(spec)
}

// toBatch tokenizes captions (cut to the context, as the original training does) and
// stacks pixels. With groups, samples that name the same concept share a group id
// (samples that name none are each their own).
func toBatch(m *model.Model, samples []data.Sample, groups bool) (Batch, error) {
	// Sized up front: appended pixel by sample, a batch of 1024 at 64 px (50 MB) was
	// copied over and over as the slice grew, three quarters of this function's time.
	b := Batch{Tokens: make([][]int, 0, len(samples))}
	if len(samples) > 0 {
		b.Pixels = make([]float32, 0, len(samples)*len(samples[0].Pixels))
	}
	ids := map[string]int32{}
	for i, s := range samples {
		if groups {
			id, ok := ids[s.Concept]
			if !ok || s.Concept == "" {
				id = int32(i)
				ids[s.Concept] = id
			}
			b.Groups = append(b.Groups, id)
		}
		ids, err := m.Tokenizer.Encode(s.Caption)
		if err != nil {
			return b, fmt.Errorf("caption of %s: %w", s.Key, err)
		}
		row, _ := m.Tokenizer.Pad(ids, m.Config.Text.MaxPositionEmbeddings)
		b.Tokens = append(b.Tokens, row)
		b.Pixels = append(b.Pixels, s.Pixels...)
	}
	return b, nil
}
