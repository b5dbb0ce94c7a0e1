package train

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/train/data/synth"
)

// TestSigmoidGradientCachingEqualsFullBatch: with the sigmoid loss, the gradients of a
// batch computed in micro-batches equal those of the whole batch at once, the bias's
// included, with and without groups.
func TestSigmoidGradientCachingEqualsFullBatch(t *testing.T) {
	for _, groups := range [][]int32{nil, {0, 1, 0, 2, 3, 1, 4, 0}} {
		h := DefaultHyper()
		h.Batch, h.Loss = 8, LossSigmoid
		full := newRandomTrainer(t, "tiny", h)
		batch := randomBatch(full.Model.Config, 8, 9)
		batch.Groups = groups
		wantLoss, err := full.ComputeGradients(batch)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := full.Gradients()
		if g := want[LogitBias]; len(g) != 1 || g[0] == 0 {
			t.Fatalf("groups %v: gradient of the bias %v", groups, g)
		}
		sameAsFullBatch(t, h, batch, wantLoss, want, []int{4, 1})
	}
}

// TestSigmoidRunLossFalls trains the tiny shape a few steps on generated shards with the
// sigmoid loss through Run: the loss falls, the run starts from the paper's temperature,
// its checkpoint records the loss and the bias, and resuming it with the softmax loss is
// refused while resuming without naming a loss continues it.
func TestSigmoidRunLossFalls(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.WriteShards(filepath.Join(dir, "shards"), 1, 32, 32, 7); err != nil {
		t.Fatal(err)
	}
	h := DefaultHyper()
	h.Steps, h.Batch, h.MicroBatch, h.Warmup, h.LR, h.Loss = 8, 16, 8, 1, 1e-3, LossSigmoid
	opt := Options{Data: filepath.Join(dir, "shards", "*.tar"), Out: filepath.Join(dir, "run"), ModelConfig: "tiny",
		Backend: "go", Hyper: h, Workers: 1}
	res, err := Run(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	losses := metricLosses(t, filepath.Join(opt.Out, "metrics.jsonl"))
	if len(losses) != h.Steps || !(losses[len(losses)-1] < losses[0]) {
		t.Fatalf("losses %v: want %d steps ending lower than they started", losses, h.Steps)
	}
	t.Logf("sigmoid loss over %d steps: %.3f → %.3f", h.Steps, losses[0], losses[len(losses)-1])

	js, err := os.ReadFile(filepath.Join(res.Checkpoint, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st State
	if err := json.Unmarshal(js, &st); err != nil || st.Hyper.Loss != LossSigmoid {
		t.Errorf("state.json settings %+v (%v): want loss sigmoid", st.Hyper, err)
	}
	if b := checkpointBias(t, res.Checkpoint); b == nil || b[0] == float32(SigmoidInitBias) {
		t.Errorf("checkpoint logit_bias %v: want one trained from %v", b, SigmoidInitBias)
	}
	cfg, params, err := model.LoadWeights(res.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.LogitScaleInitValue != SigmoidInitLogScale {
		t.Errorf("logit scale started at %v, want log 10", cfg.LogitScaleInitValue)
	}
	if scale, _ := params["logit_scale"].Float32s(); len(scale) != 1 || scale[0] > 3 {
		t.Errorf("logit_scale %v after %d steps from log 10 = 2.30", scale, h.Steps)
	}

	opt.Resume, opt.Hyper.Loss, opt.Hyper.Steps = true, LossSoftmax, h.Steps+1
	if _, err := Run(context.Background(), opt); err == nil || !strings.Contains(err.Error(), "--loss sigmoid") {
		t.Errorf("resumed a sigmoid run with the softmax loss: err = %v", err)
	}
	opt.Hyper.Loss = ""
	if res, err := Run(context.Background(), opt); err != nil || res.Steps != h.Steps+1 {
		t.Errorf("resume without --loss: %+v, %v", res, err)
	}
}

// metricLosses reads the per-step losses of a run's metrics.jsonl, and checks that each
// step's three timed parts (data, gradients, update) are recorded.
func metricLosses(t *testing.T, path string) []float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var losses []float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rec struct {
			Loss    float64  `json:"loss"`
			DataMS  *float64 `json:"data_ms"`
			GradsMS *float64 `json:"grads_ms"`
			ApplyMS *float64 `json:"apply_ms"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.DataMS == nil || rec.GradsMS == nil || rec.ApplyMS == nil || *rec.DataMS < 0 || *rec.GradsMS <= 0 || *rec.ApplyMS <= 0 {
			t.Errorf("step %d: timings data_ms %v, grads_ms %v, apply_ms %v", len(losses)+1, rec.DataMS, rec.GradsMS, rec.ApplyMS)
		}
		losses = append(losses, rec.Loss)
	}
	return losses
}
