package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/model/arch"
	"github.com/clip-go/clip/model/tokenizer"
)

// DistillOptions configure a distillation run (DistillRun): the text tower of Init (or of
// the newest checkpoint in Out) trained towards a teacher's embeddings of Texts.
type DistillOptions struct {
	Texts   []string    // the texts, as the teacher embedded them
	Targets [][]float32 // the teacher's embedding of each text
	// Init is the model whose text tower is distilled (a model folder or a quantized
	// file, as Options.Init); a resumed run has it in its checkpoint.
	Init    string
	Out     string // run folder: checkpoints, metrics.jsonl
	Backend string
	Hyper   Hyper // Batch is texts per step; the image settings are unused
	Resume  bool
	// CheckpointEvery is in steps (0: only at the end); KeepCheckpoints as in Options.
	CheckpointEvery, KeepCheckpoints int
	Log                              io.Writer // a line per 50 steps and per checkpoint (nil: none)
	// AnchorTo anchors texts (with AnchorWeight > 0; Trainer.DistillAnchored): text i is
	// held near the mean of the embeddings the model gave AnchorTo[i] before distillation,
	// or is free if AnchorTo[i] is empty. A training caption is anchored to itself, so the
	// image tower still matches it; a translation can be anchored to the captions it
	// translates, so that it lands where the image tower expects them.
	AnchorTo     [][]string
	AnchorWeight float64
}

// CenterTargets makes the teacher's embeddings the training targets: each minus their
// mean, then scaled to unit length. A sentence encoder's embeddings sit in a narrow cone
// (e5's cosines between unrelated short texts are about 0.8), so a head fitted to them
// as they are scores well by predicting the cone's axis; centred, what is left is what
// tells texts apart. The mean is returned for the record.
func CenterTargets(targets [][]float32) (centred [][]float32, mean []float32, err error) {
	if len(targets) == 0 {
		return nil, nil, errors.New("no targets")
	}
	dim := len(targets[0])
	sum := make([]float64, dim)
	for i, t := range targets {
		if len(t) != dim {
			return nil, nil, fmt.Errorf("target %d has %d values, the first %d", i, len(t), dim)
		}
		for j, v := range t {
			sum[j] += float64(v)
		}
	}
	mean = make([]float32, dim)
	for j := range sum {
		mean[j] = float32(sum[j] / float64(len(targets)))
	}
	centred = make([][]float32, len(targets))
	for i, t := range targets {
		c := make([]float32, dim)
		var norm float64
		for j, v := range t {
			c[j] = v - mean[j]
			norm += float64(c[j]) * float64(c[j])
		}
		if norm == 0 {
			return nil, nil, fmt.Errorf("target %d is the mean of all targets", i)
		}
		inv := float32(1 / math.Sqrt(norm))
		for j := range c {
			c[j] *= inv
		}
		centred[i] = c
	}
	return centred, mean, nil
}

// DistillRun distils a text tower: each step a batch of texts (shuffled anew each epoch,
// from the seed, so that a resumed run sees what an uninterrupted one would) and their
// centred teacher embeddings (CenterTargets), Distill then Apply, with Hyper's schedule.
// It checkpoints as Run does (the head beside the model), and with Resume continues
// from the newest checkpoint in Out.
func DistillRun(ctx context.Context, opt DistillOptions) (Result, error) {
	logf := func(format string, args ...any) {
		if opt.Log != nil {
			fmt.Fprintf(opt.Log, format+"\n", args...)
		}
	}
	n := len(opt.Texts)
	if n < 2 || len(opt.Targets) != n {
		return Result{}, fmt.Errorf("distill: %d texts and %d targets (want the same number, at least 2)", n, len(opt.Targets))
	}
	if opt.Out == "" {
		return Result{}, errors.New("no output folder")
	}
	targets, _, err := CenterTargets(opt.Targets)
	if err != nil {
		return Result{}, fmt.Errorf("distill: %w", err)
	}
	dim := len(targets[0])
	opt.Init = NewestIn(opt.Init)
	latest, err := LatestCheckpoint(opt.Out)
	if err != nil {
		return Result{}, err
	}
	if latest != "" && !opt.Resume {
		return Result{}, fmt.Errorf("%s already holds checkpoints: pass --resume to continue that run, or choose another --out", opt.Out)
	}
	if latest == "" && opt.Init == "" {
		return Result{}, errors.New("distill: --init names the model whose text tower to distil")
	}
	if err := os.MkdirAll(opt.Out, 0o755); err != nil {
		return Result{}, err
	}
	backend, err := model.NewBackend(trainingBackend(opt.Backend, logf))
	if err != nil {
		return Result{}, err
	}
	h := opt.Hyper
	var m *model.Model
	initFrom := opt.Init
	if latest != "" {
		cfg, err := arch.Load(filepath.Join(latest, "config.json"))
		if err != nil {
			return Result{}, err
		}
		if m, err = model.New(backend, cfg, model.InitParams(cfg, h.Seed)); err != nil {
			return Result{}, err
		}
		if m.Tokenizer, err = tokenizer.Default(); err != nil {
			return Result{}, err
		}
		if m.Image, err = CheckpointImage(latest, cfg); err != nil {
			return Result{}, err
		}
		var saved State
		js, err := os.ReadFile(filepath.Join(latest, "state.json"))
		if err == nil {
			err = json.Unmarshal(js, &saved)
		}
		if err != nil {
			return Result{}, fmt.Errorf("%s: state.json: %v", latest, err)
		}
		steps := h.Steps
		h = saved.Hyper
		if steps > 0 {
			h.Steps = steps
		}
		initFrom, _ = saved.Extra["init"].(string)
	} else if m, err = model.Load(opt.Init, backend); err != nil {
		return Result{}, fmt.Errorf("init: %w", err)
	}
	tr, err := NewDistiller(m, h, dim)
	if err != nil {
		return Result{}, err
	}
	if latest != "" {
		if _, err := tr.LoadCheckpoint(latest); err != nil {
			return Result{}, err
		}
		logf("resumed from %s at step %d", latest, tr.Step)
	} else {
		logf("distilling the text tower of %s towards %d teacher embeddings of %d dimensions", opt.Init, n, dim)
	}
	rows := make([][]int, n)
	for i, s := range opt.Texts {
		ids, err := m.Tokenizer.Encode(s)
		if err != nil {
			return Result{}, fmt.Errorf("text %d: %w", i, err)
		}
		rows[i], _ = m.Tokenizer.Pad(ids, m.Config.Text.MaxPositionEmbeddings)
	}
	// The anchors: the anchored texts' embeddings by the model as it was before any
	// distillation (on resume, by the run's --init, as the first run computed them).
	var anchors [][]float32
	anchoredCount := 0
	if opt.AnchorWeight > 0 {
		if len(opt.AnchorTo) != n {
			return Result{}, fmt.Errorf("distill: %d anchors for %d texts", len(opt.AnchorTo), n)
		}
		before := m
		if latest != "" {
			if before, err = model.Load(initFrom, backend); err != nil {
				return Result{}, fmt.Errorf("the anchors' model %s: %w", initFrom, err)
			}
		}
		// Each anchoring text once, encoded in chunks.
		index := map[string]int{}
		var uniq []string
		for _, to := range opt.AnchorTo {
			for _, s := range to {
				if _, ok := index[s]; !ok {
					index[s] = len(uniq)
					uniq = append(uniq, s)
				}
			}
		}
		emb := make([][]float32, 0, len(uniq))
		const chunk = 1024
		for lo := 0; lo < len(uniq); lo += chunk {
			var rs [][]int
			for _, s := range uniq[lo:min(lo+chunk, len(uniq))] {
				ids, err := m.Tokenizer.Encode(s)
				if err != nil {
					return Result{}, fmt.Errorf("anchor %q: %w", s, err)
				}
				row, _ := m.Tokenizer.Pad(ids, m.Config.Text.MaxPositionEmbeddings)
				rs = append(rs, row)
			}
			part, err := before.EncodeTokens(rs)
			if err != nil {
				return Result{}, fmt.Errorf("anchors: %w", err)
			}
			for _, v := range part {
				emb = append(emb, unit(v))
			}
		}
		anchors = make([][]float32, n)
		for i, to := range opt.AnchorTo {
			if len(to) == 0 {
				continue
			}
			mean := make([]float32, len(emb[0]))
			for _, s := range to {
				for k, v := range emb[index[s]] {
					mean[k] += v
				}
			}
			anchors[i] = unit(mean)
			anchoredCount++
		}
		logf("anchored %d of the %d texts (weight %g) to where %s puts them", anchoredCount, n, opt.AnchorWeight, initFrom)
	}
	metrics, err := os.OpenFile(filepath.Join(opt.Out, "metrics.jsonl"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return Result{}, err
	}
	defer metrics.Close()
	res := Result{}
	checkpoint := func(loss float64) error {
		st := State{Loss: loss, Extra: map[string]any{"distill_texts": n, "teacher_dim": dim, "anchored": anchoredCount, "anchor_weight": opt.AnchorWeight}}
		if initFrom != "" {
			st.Extra["init"] = initFrom
		}
		if res.Checkpoint, err = tr.SaveCheckpoint(opt.Out, st, opt.KeepCheckpoints); err == nil {
			logf("checkpoint %s", res.Checkpoint)
		}
		return err
	}
	// batchAt is the texts of a step: position step·Batch in an endless sequence of
	// epochs, each a permutation drawn from the seed and the epoch.
	perms := map[int][]int{}
	e := m.Config.ProjectionDim
	batchAt := func(step int) (ids [][]int, tgt, anc, wts []float32) {
		for k := 0; k < h.Batch; k++ {
			pos := step*h.Batch + k
			epoch := pos / n
			p, ok := perms[epoch]
			if !ok {
				clear(perms) // one epoch at a time, and the next
				p = rand.New(rand.NewPCG(h.Seed, uint64(epoch))).Perm(n)
				perms[epoch] = p
			}
			i := p[pos%n]
			ids = append(ids, rows[i])
			tgt = append(tgt, targets[i]...)
			if anchors != nil {
				if anchors[i] != nil {
					anc, wts = append(anc, anchors[i]...), append(wts, 1)
				} else {
					anc, wts = append(anc, make([]float32, e)...), append(wts, 0)
				}
			}
		}
		return ids, tgt, anc, wts
	}
	var loss float64
	start := time.Now()
	first := tr.Step
	for tr.Step < h.Steps {
		if ctx.Err() != nil {
			res.Stopped = true
			break
		}
		ids, tgt, anc, wts := batchAt(tr.Step)
		t0 := time.Now()
		var distill float64
		if loss, distill, err = tr.DistillAnchored(ids, tgt, anc, wts, opt.AnchorWeight); err != nil {
			return res, err
		}
		lr := h.LearningRate(tr.Step)
		gradNorm, err := tr.Apply()
		if err != nil {
			return res, err
		}
		rec := map[string]any{"step": tr.Step, "loss": loss, "cosine": 1 - distill, "lr": lr, "grad_norm": gradNorm,
			"texts_per_s": float64(h.Batch) / time.Since(t0).Seconds(), "epoch": float64(tr.Step*h.Batch) / float64(n),
			"time": time.Now().UTC().Format(time.RFC3339)}
		js, _ := json.Marshal(rec)
		if _, err := metrics.Write(append(js, '\n')); err != nil {
			return res, err
		}
		if tr.Step%50 == 0 || tr.Step == first+1 {
			done := tr.Step - first
			logf("step %d/%d: loss %.4f, cosine to the teacher %.4f, lr %.2e, %.0f texts/s", tr.Step, h.Steps, loss, 1-distill, lr,
				float64(done*h.Batch)/time.Since(start).Seconds())
		}
		if opt.CheckpointEvery > 0 && tr.Step%opt.CheckpointEvery == 0 && tr.Step < h.Steps {
			if err := checkpoint(loss); err != nil {
				return res, err
			}
		}
	}
	if err := checkpoint(loss); err != nil {
		return res, err
	}
	res.Steps, res.Loss = tr.Step, loss
	logf("step %d, loss %.4f; checkpoint %s", tr.Step, loss, res.Checkpoint)
	return res, nil
}

// unit is v scaled to length 1 (v itself if it is all zeros).
func unit(v []float32) []float32 {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	if ss == 0 {
		return v
	}
	inv := float32(1 / math.Sqrt(ss))
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x * inv
	}
	return out
}
