package train

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clip-go/clip/train/data/synth"
)

func TestBudgetSteps(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		name       string
		budget     time.Duration
		first      int
		ends       []time.Duration
		max, steps int
	}{
		{"steady pace", 20 * s, 0, []time.Duration{1 * s, 2 * s, 3 * s, 4 * s}, 1000, 20},
		{"slow first steps (compiling) are left out of the pace", 20 * s, 0, []time.Duration{9 * s, 10 * s, 11 * s, 12 * s}, 1000, 12},
		{"capped by max", 20 * s, 0, []time.Duration{1 * s, 2 * s, 3 * s, 4 * s}, 12, 12},
		{"budget already spent: stop now", 3 * s, 0, []time.Duration{1 * s, 2 * s, 3 * s, 4 * s}, 1000, 4},
		{"resumed at step 100", 20 * s, 100, []time.Duration{1 * s, 2 * s, 3 * s, 4 * s}, 1000, 120},
		{"half-second steps", 10 * s, 0, []time.Duration{s / 2, s, 3 * s / 2, 2 * s}, 1000, 20},
		{"too few steps to tell", 20 * s, 0, []time.Duration{1 * s}, 1000, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := budgetSteps(tc.budget, tc.first, tc.ends, tc.max); got != tc.steps {
				t.Errorf("budgetSteps = %d, want %d", got, tc.steps)
			}
		})
	}
}

// TestRunBudget: a run given a budget instead of a number of steps, on a clock where every
// step takes a second, fixes its steps at the end of the warm-up and is then, loss for
// loss, the run that was given that number of steps; so is one stopped in the warm-up
// and resumed with a budget.
func TestRunBudget(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.WriteShards(filepath.Join(dir, "shards"), 1, 24, 32, 5); err != nil {
		t.Fatal(err)
	}
	h := DefaultHyper()
	h.Batch, h.Warmup, h.LR = 8, 10, 1e-3
	if _, err := synth.WriteEvalFolder(filepath.Join(dir, "eval"), 1, 32, 4); err != nil {
		t.Fatal(err)
	}
	// run trains into out; with stopAfter it stops after that step, as a signal would
	// (the evaluation's log line comes during the step).
	run := func(out string, steps int, budget time.Duration, resume bool, stopAfter int) Result {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		tick := time.Unix(0, 0)
		o := Options{Data: filepath.Join(dir, "shards", "*.tar"), Out: filepath.Join(dir, out), ModelConfig: "tiny",
			Backend: "go", Hyper: h, Workers: 1, Budget: budget, Resume: resume,
			now: func() time.Time { tick = tick.Add(time.Second); return tick }}
		o.Hyper.Steps = steps
		if stopAfter > 0 {
			o.Eval, o.EvalEvery = filepath.Join(dir, "eval"), stopAfter
			o.Log = logFunc(func(line string) {
				if strings.HasPrefix(line, fmt.Sprintf("step %d:", stopAfter)) {
					cancel()
				}
			})
		}
		res, err := Run(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// Every step takes a second of the clock: at step 10, 10 seconds are gone, the pace is
	// a second a step and 4 of the 14 seconds are left.
	budget := run("budget", 100, 14*time.Second, false, 0)
	if budget.Steps != 14 {
		t.Fatalf("the budget run took %d steps, want 14", budget.Steps)
	}
	run("fixed", 14, 0, false, 0)
	a := metricLosses(t, filepath.Join(dir, "budget", "metrics.jsonl"))
	b := metricLosses(t, filepath.Join(dir, "fixed", "metrics.jsonl"))
	if !slices.Equal(a, b) {
		t.Errorf("losses differ:\nbudget %v\nfixed  %v", a, b)
	}

	// Stopped in the warm-up and resumed with a budget, the run decides on the time given
	// to the resumption: steps 6 to 10 take its first 5 seconds, a second a step, so 9
	// more fit in 14 seconds.
	if res := run("cut", 100, 14*time.Second, false, 5); !res.Stopped || res.Steps != 5 {
		t.Fatalf("the cut run: %+v, want stopped after step 5", res)
	}
	if res := run("cut", 0, 14*time.Second, true, 0); res.Steps != 19 {
		t.Fatalf("resumed with a budget: %d steps, want 19", res.Steps)
	}
	run("fixed19", 19, 0, false, 0)
	a = metricLosses(t, filepath.Join(dir, "cut", "metrics.jsonl"))
	b = metricLosses(t, filepath.Join(dir, "fixed19", "metrics.jsonl"))
	if !slices.Equal(a, b) {
		t.Errorf("losses differ:\ncut and resumed %v\nfixed           %v", a, b)
	}
}
