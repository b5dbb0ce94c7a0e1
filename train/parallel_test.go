package train

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/train/data/synth"
	"github.com/gomlx/gomlx/core/tensors"
	gmodel "github.com/gomlx/gomlx/ml/model"
)

// TestDataParallelMatchesOneDevice: on XLA devices (xla:cpu has 4), two training steps
// with each batch of 8 split over 4 devices, the whole batch at once and in micro-batches
// of 4 (gradient caching), give the one-device losses, gradients and updated weights:
// the loss is the global batch's. The test has the power to tell: the mean of the
// per-device losses (each device's 2 pairs against each other only, local negatives) is
// checked to be far outside the tolerance.
func TestDataParallelMatchesOneDevice(t *testing.T) {
	const devices = 4
	spec := xlaSpec(t)
	cfg := mustPreset(t, "tiny")
	h := DefaultHyper()
	h.Batch, h.LR, h.Warmup, h.Steps = 8, 1e-3, 0, 10
	batch := randomBatch(cfg, 8, 3)
	for _, micro := range []int{0, 4} {
		h.MicroBatch = micro
		one := trainerOn(t, spec, h)
		split := parallelTrainer(t, spec, h, devices)
		if micro == 0 {
			global, local := lossOf(t, trainerOn(t, spec, h), batch, 1), lossOf(t, trainerOn(t, spec, h), batch, devices)
			if math.Abs(local-global)/global < 100*1e-5 {
				t.Fatalf("local negatives' loss %.6f is too close to the global batch's %.6f to tell them apart", local, global)
			}
			t.Logf("the global batch's loss %.6f; with local negatives on %d devices it would be %.6f", global, devices, local)
		}
		for step := 1; step <= 2; step++ {
			want, err := one.ComputeGradients(batch)
			if err != nil {
				t.Fatal(err)
			}
			got, err := split.ComputeGradients(batch)
			if err != nil {
				t.Fatalf("%d devices: %v", devices, err)
			}
			if e := math.Abs(got-want) / want; e > 1e-5 || math.IsNaN(got) {
				t.Errorf("micro=%d step %d: loss %.7f on %d devices, %.7f on one", micro, step, got, devices, want)
			}
			wg, _ := one.Gradients()
			gg, err := split.Gradients()
			if err != nil {
				t.Fatal(err)
			}
			worst, worstName := worstGradient(gg, wg)
			if worst > 1e-4 || math.IsNaN(worst) {
				t.Errorf("micro=%d step %d: gradient of %s off by %.2e relative", micro, step, worstName, worst)
			}
			t.Logf("micro=%d step %d: loss %.7f (one device %.7f); worst gradient %s at %.2e", micro, step, got, want, worstName, worst)
			if _, err := one.Apply(); err != nil {
				t.Fatal(err)
			}
			if _, err := split.Apply(); err != nil {
				t.Fatalf("%d devices: AdamW: %v", devices, err)
			}
		}
		// The weights after two AdamW steps: its first steps move each weight by about
		// ±lr whatever the gradient's size, so a layer-norm bias whose gradient is near 0
		// (float noise apart: 5e-6 here) may differ by more than its gradient did. The
		// keys' biases are left out: their true gradient is 0 (zeroGradient), and Adam
		// turns noise around 0 into full steps.
		wp, gp := params(t, one), params(t, split)
		for name, w := range wp {
			if zeroGradient(name) {
				continue
			}
			if e := relErr(gp[name], w); e > 2e-3 || math.IsNaN(e) {
				t.Errorf("micro=%d: after 2 steps %s off by %.2e relative", micro, name, e)
			}
		}
	}
}

// lossOf is the mean of tr's losses on b cut into parts (1: the whole batch).
func lossOf(t *testing.T, tr *Trainer, b Batch, parts int) float64 {
	t.Helper()
	n := len(b.Tokens) / parts
	per := len(b.Pixels) / len(b.Tokens)
	var sum float64
	for k := range parts {
		loss, err := tr.ComputeGradients(Batch{Pixels: b.Pixels[k*n*per : (k+1)*n*per], Tokens: b.Tokens[k*n : (k+1)*n]})
		if err != nil {
			t.Fatal(err)
		}
		sum += loss
	}
	return sum / float64(parts)
}

func parallelTrainer(t *testing.T, spec string, h Hyper, devices int) *Trainer {
	t.Helper()
	cfg := mustPreset(t, "tiny")
	m := modelFor(t, spec, cfg, model.InitParams(cfg, 5))
	if have := m.Backend.NumDevices(); have < devices {
		t.Skipf("%s has %d devices", spec, have)
	}
	tr, err := NewOnDevices(m, h, devices)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// params are the trainer's parameters by name.
func params(t *testing.T, tr *Trainer) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for i, p := range tr.params {
		v, err := p.Value()
		if err != nil {
			t.Fatal(err)
		}
		out[tr.names[i]] = tensors.MustCopyFlatData[float32](v)
	}
	return out
}

func TestDevicesFor(t *testing.T) {
	for _, c := range []struct {
		asked, have, batch, micro int
		want                      int
		err                       bool
	}{
		{0, 1, 64, 0, 1, false},
		{0, 4, 64, 0, 4, false},
		{0, 4, 6, 0, 3, false},  // the most that 6 divides by
		{0, 4, 64, 6, 2, false}, // and the micro-batch
		{0, 0, 8, 0, 1, false},  // a backend that reports none still has one
		{2, 4, 64, 0, 2, false},
		{4, 2, 64, 0, 0, true}, // more than the backend has
		{4, 4, 6, 0, 0, true},  // the batch does not split
		{2, 4, 8, 3, 0, true},  // nor the micro-batch
		{-1, 4, 8, 0, 0, true},
	} {
		h := DefaultHyper()
		h.Batch, h.MicroBatch = c.batch, c.micro
		got, err := DevicesFor(c.asked, c.have, h)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("DevicesFor(%d, %d, batch %d micro %d) = %d, %v; want %d (error %v)", c.asked, c.have, c.batch, c.micro, got, err, c.want, c.err)
		}
	}
}

// TestDataParallelCheckpoints: checkpoints do not depend on the devices. A step on 4
// devices, saved, resumed on one, gives the weights, the optimizer's moments and the
// next loss of a run that stayed on 4 devices; and the reverse.
func TestDataParallelCheckpoints(t *testing.T) {
	spec := xlaSpec(t)
	cfg := mustPreset(t, "tiny")
	h := DefaultHyper()
	h.Batch, h.LR, h.Warmup, h.Steps = 8, 1e-3, 0, 10
	b1, b2 := randomBatch(cfg, 8, 3), randomBatch(cfg, 8, 4)
	for _, c := range []struct{ from, to int }{{4, 1}, {1, 4}} {
		on := func(devices int) *Trainer {
			if devices == 1 {
				return trainerOn(t, spec, h)
			}
			return parallelTrainer(t, spec, h, devices)
		}
		a := on(c.from)
		if _, _, err := a.TrainStep(b1); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		saved, err := a.SaveCheckpoint(dir, State{}, 1)
		if err != nil {
			t.Fatal(err)
		}
		b := on(c.to)
		if _, err := b.LoadCheckpoint(saved); err != nil {
			t.Fatal(err)
		}
		want, _ := a.ComputeGradients(b2)
		got, err := b.ComputeGradients(b2)
		if err != nil {
			t.Fatal(err)
		}
		if e := math.Abs(got-want) / want; e > 1e-5 || b.Step != a.Step {
			t.Errorf("%d → %d devices: step %d loss %.7f, the run that stayed: step %d loss %.7f", c.from, c.to, b.Step, got, a.Step, want)
		}
		for _, pair := range [][2][]*gmodel.Variable{{a.params, b.params}, {a.moment2, b.moment2}} {
			for i := range pair[0] {
				va, _ := pair[0][i].Value()
				vb, err := pair[1][i].Value()
				if err != nil {
					t.Fatal(err)
				}
				if e := relErr(tensors.MustCopyFlatData[float32](vb), tensors.MustCopyFlatData[float32](va)); e > 1e-6 {
					t.Errorf("%d → %d devices: %s off by %.2e after loading", c.from, c.to, pair[0][i].Path(), e)
				}
			}
		}
	}
}

// TestRunOnDevices: a run with each batch split over 4 devices for 2 steps, resumed on
// one device for 2 more, gives every step's loss of a run on one device throughout (to
// float rounding): the loader reads each batch once, and the checkpoint carries over.
func TestRunOnDevices(t *testing.T) {
	spec := xlaSpec(t)
	dir := t.TempDir()
	if _, err := synth.WriteShards(filepath.Join(dir, "shards"), 2, 10, 32, 3); err != nil {
		t.Fatal(err)
	}
	h := DefaultHyper()
	h.Batch, h.Warmup, h.LR = 8, 4, 1e-3
	// The warm-up spans the run, so a step's learning rate does not depend on the steps
	// asked for: the split run asks for 2, then is resumed for 4.
	run := func(out string, devices, steps int, resume bool) string {
		t.Helper()
		var log strings.Builder
		h.Steps = steps
		_, err := Run(context.Background(), Options{Data: filepath.Join(dir, "shards", "*.tar"), Out: filepath.Join(dir, out), ModelConfig: "tiny",
			Backend: spec, Devices: devices, Hyper: h, Workers: 2, Resume: resume, Log: &log})
		if err != nil {
			t.Fatalf("%s on %d devices: %v", out, devices, err)
		}
		return log.String()
	}
	run("one", 1, 4, false)
	if log := run("split", 4, 2, false); !strings.Contains(log, "split over 4 devices") {
		t.Errorf("the run does not say it splits its batches: %q", log)
	}
	run("split", 1, 4, true)
	a := metricLosses(t, filepath.Join(dir, "one", "metrics.jsonl"))
	b := metricLosses(t, filepath.Join(dir, "split", "metrics.jsonl"))
	if len(a) != 4 || len(b) != 4 {
		t.Fatalf("losses: one device %v, split then resumed %v", a, b)
	}
	for i := range a {
		if math.Abs(a[i]-b[i])/a[i] > 1e-4 {
			t.Errorf("step %d: loss %.6f split over 4 devices (then resumed on one), %.6f on one", i+1, b[i], a[i])
		}
	}
}

// TestRunDefaultsToCPUPlugin: without --backend or $GOMLX_BACKEND, a run trains on XLA's
// CPU plugin where one is installed (faster than the Go backend), says so, and by default
// takes one of its devices (they share the cores).
func TestRunDefaultsToCPUPlugin(t *testing.T) {
	xlaSpec(t)
	if spec, _ := model.InstalledCPUPlugin(); spec == "" {
		t.Skip("no CPU plugin on PJRT_PLUGIN_LIBRARY_PATH or in ~/.local/lib/go-xla/cpu")
	}
	t.Setenv("GOMLX_BACKEND", "")
	dir := t.TempDir()
	if _, err := synth.WriteShards(filepath.Join(dir, "shards"), 1, 8, 32, 3); err != nil {
		t.Fatal(err)
	}
	h := DefaultHyper()
	h.Steps, h.Batch, h.Warmup = 1, 8, 1
	var log strings.Builder
	if _, err := Run(context.Background(), Options{Data: filepath.Join(dir, "shards", "*.tar"), Out: filepath.Join(dir, "run"),
		ModelConfig: "tiny", Hyper: h, Workers: 1, Log: &log}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "training on XLA's CPU plugin") || strings.Contains(log.String(), "split over") {
		t.Errorf("log %q: want training on the CPU plugin, on one device", log.String())
	}
}
