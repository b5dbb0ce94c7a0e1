package core

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestCoalesced: asks during a run make exactly one more run; runs never overlap; an ask
// after the last run starts a new one.
func TestCoalesced(t *testing.T) {
	var runs, inside, overlaps atomic.Int32
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	c := &Coalesced{Fn: func() {
		if inside.Add(1) > 1 {
			overlaps.Add(1)
		}
		runs.Add(1)
		started <- struct{}{}
		<-release
		inside.Add(-1)
	}}
	c.Ask()
	<-started // the first run is blocked inside Fn
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() { defer wg.Done(); c.Ask() }()
	}
	wg.Wait()
	release <- struct{}{} // end run 1; the 20 asks make run 2
	<-started
	release <- struct{}{}
	waitIdle(t, c)
	if got := runs.Load(); got != 2 {
		t.Fatalf("1 ask then 20 during the run: %d runs, want 2", got)
	}
	c.Ask()
	<-started
	release <- struct{}{}
	waitIdle(t, c)
	if got := runs.Load(); got != 3 {
		t.Errorf("an ask when idle: %d runs in all, want 3", got)
	}
	if overlaps.Load() != 0 {
		t.Errorf("%d runs overlapped", overlaps.Load())
	}
}

func waitIdle(t *testing.T, c *Coalesced) {
	t.Helper()
	for start := time.Now(); time.Since(start) < 5*time.Second; time.Sleep(time.Millisecond) {
		c.mu.Lock()
		running := c.running
		c.mu.Unlock()
		if !running {
			return
		}
	}
	t.Fatal("still running after 5 s")
}
