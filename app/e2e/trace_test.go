//go:build !js

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"
)

// mainTask is the longest top-level task a trace saw on the page's main thread: its
// wall time, and the CPU time the thread spent in it.
type mainTask struct {
	Wall, CPU time.Duration
	Name      string
	Tasks     int // top-level tasks on the main thread while tracing
}

// traceMainThread starts Chromium's trace of top-level tasks; the function it returns
// stops it and finds the longest task on a renderer's main thread. A task's CPU time
// (the trace's tdur) is what the page's own work blocks the thread for; its wall time
// (dur) adds the time the thread waited for a core, which on a shared 2-core machine
// is mostly other processes' doing.
func (p *tab) traceMainThread(t testing.TB) func() mainTask {
	t.Helper()
	var events []traceEvent
	done := make(chan struct{})
	chromedp.ListenTarget(p.ctx, func(ev any) {
		switch e := ev.(type) {
		case *tracing.EventDataCollected:
			for _, raw := range e.Value {
				var te traceEvent
				if json.Unmarshal(raw, &te) == nil {
					p.mu.Lock()
					events = append(events, te)
					p.mu.Unlock()
				}
			}
		case *tracing.EventTracingComplete:
			close(done)
		}
	})
	p.run(t, tracing.Start().
		WithTransferMode(tracing.TransferModeReportEvents).
		WithTraceConfig(&tracing.TraceConfig{IncludedCategories: []string{"toplevel", "__metadata"}}))
	return func() mainTask {
		t.Helper()
		p.run(t, chromedp.ActionFunc(func(ctx context.Context) error { return tracing.End().Do(ctx) }))
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Fatal("the trace did not complete")
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		return longestMainTask(events)
	}
}

// traceEvent is the part of a Chrome trace event the measurement reads (times in µs).
type traceEvent struct {
	Ph, Name  string
	Pid, Tid  int64
	Dur, Tdur float64
	Args      struct{ Name string }
}

// longestMainTask picks, among complete events on threads named CrRendererMain, the
// one with the most CPU time.
func longestMainTask(events []traceEvent) mainTask {
	type thread struct{ pid, tid int64 }
	main := map[thread]bool{}
	for _, e := range events {
		if e.Ph == "M" && e.Name == "thread_name" && e.Args.Name == "CrRendererMain" {
			main[thread{e.Pid, e.Tid}] = true
		}
	}
	var m mainTask
	us := func(v float64) time.Duration { return time.Duration(v * float64(time.Microsecond)) }
	for _, e := range events {
		if e.Ph != "X" || !main[thread{e.Pid, e.Tid}] {
			continue
		}
		m.Tasks++
		if us(e.Tdur) > m.CPU {
			m.Wall, m.CPU, m.Name = us(e.Dur), us(e.Tdur), e.Name
		}
	}
	return m
}

func TestLongestMainTask(t *testing.T) {
	ev := func(ph, name string, tid int64, dur, tdur float64) traceEvent {
		return traceEvent{Ph: ph, Name: name, Pid: 1, Tid: tid, Dur: dur, Tdur: tdur}
	}
	meta := ev("M", "thread_name", 7, 0, 0)
	meta.Args.Name = "CrRendererMain"
	worker := ev("M", "thread_name", 8, 0, 0)
	worker.Args.Name = "DedicatedWorker thread"
	for _, c := range []struct {
		name   string
		events []traceEvent
		want   mainTask
	}{
		{"none", nil, mainTask{}},
		{"main thread only", []traceEvent{meta, worker, ev("X", "RunTask", 7, 50000, 20000), ev("X", "RunTask", 8, 900000, 900000)},
			mainTask{Wall: 50 * time.Millisecond, CPU: 20 * time.Millisecond, Name: "RunTask", Tasks: 1}},
		{"most CPU, not most wall", []traceEvent{ev("X", "A", 7, 300000, 10000), ev("X", "B", 7, 90000, 80000), meta},
			mainTask{Wall: 90 * time.Millisecond, CPU: 80 * time.Millisecond, Name: "B", Tasks: 2}},
		{"no thread names", []traceEvent{ev("X", "A", 7, 300000, 10000)}, mainTask{}},
		{"instant events skipped", []traceEvent{meta, ev("I", "A", 7, 300000, 300000)}, mainTask{}},
	} {
		if got := longestMainTask(c.events); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

// ms is d in milliseconds, for logs.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// loadAverage is the machine's one-minute load average (0 where /proc has none), logged
// beside wall-clock figures that other processes inflate.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var v float64
	fmt.Sscan(string(b), &v)
	return v
}
