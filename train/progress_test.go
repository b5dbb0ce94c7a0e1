package train

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeClock advances only when told to.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// TestPlainProgressLines: where the progress writer is no terminal, a plain line comes
// every 50 steps or 10 s, whichever is first, and at the last step; no carriage returns.
func TestPlainProgressLines(t *testing.T) {
	tests := []struct {
		name         string
		start, total int
		wall         time.Duration // per step, evaluations and checkpoints included
		want         []int         // the steps with a line
	}{
		{"fast steps", 0, 120, 100 * time.Millisecond, []int{50, 100, 120}},
		{"slow steps", 0, 10, 3 * time.Second, []int{4, 8, 10}},
		{"resumed", 100, 260, 100 * time.Millisecond, []int{150, 200, 250, 260}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			clock := &fakeClock{time.Unix(1e9, 0)}
			p := newProgress(&out, tc.total, tc.start, 8, clock.now)
			for step := tc.start + 1; step <= tc.total; step++ {
				clock.t = clock.t.Add(tc.wall)
				p.update(step, 2.5, 1e-4, 80*time.Millisecond) // 8 pairs in 80 ms: 100 samples/s
			}
			p.finish()
			if strings.Contains(out.String(), "\r") {
				t.Errorf("carriage returns in plain output: %q", out.String())
			}
			var steps []int
			for _, l := range lines(out.String()) {
				var step, total int
				if _, err := fmt.Sscanf(l, "step %d/%d:", &step, &total); err != nil || total != tc.total {
					t.Fatalf("line %q (%v)", l, err)
				}
				if !strings.Contains(l, "loss 2.5000, lr 1.00e-04, 100.0 samples/s") {
					t.Errorf("line %q lacks loss, learning rate or samples/s", l)
				}
				steps = append(steps, step)
			}
			if !slices.Equal(steps, tc.want) {
				t.Errorf("lines at steps %v, want %v", steps, tc.want)
			}
		})
	}
	// The ETA counts the wall clock: 50 steps took 5 s, 70 remain.
	var out bytes.Buffer
	clock := &fakeClock{time.Unix(1e9, 0)}
	p := newProgress(&out, 120, 0, 8, clock.now)
	for step := 1; step <= 50; step++ {
		clock.t = clock.t.Add(100 * time.Millisecond)
		p.update(step, 2.5, 1e-4, 80*time.Millisecond)
	}
	if want := "step 50/120: loss 2.5000, lr 1.00e-04, 100.0 samples/s, ETA 7s\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

// TestProgressBarLeavesLogLinesWhole: on a terminal, a log line written after clear
// starts on a line of its own, not inside the bar.
func TestProgressBarLeavesLogLinesWhole(t *testing.T) {
	saved := isTerminal
	t.Cleanup(func() { isTerminal = saved })
	isTerminal = func(io.Writer) bool { return true }
	var out bytes.Buffer
	p := newProgress(&out, 100, 0, 8, time.Now)
	p.update(1, 2.5, 1e-4, 80*time.Millisecond)
	if !strings.Contains(out.String(), "/100") {
		t.Fatalf("no bar drawn: %q", out.String())
	}
	p.clear()
	const logLine = "step 1: zero-shot top-1 12.5%, top-5 50.0%\n"
	out.WriteString(logLine)
	before, _, _ := strings.Cut(out.String(), logLine)
	if !strings.HasSuffix(before, "\r") {
		t.Errorf("the log line does not start at the beginning of a line: %q", out.String())
	}
	if last := before[strings.LastIndex(before[:len(before)-1], "\r")+1 : len(before)-1]; strings.TrimSpace(last) != "" {
		t.Errorf("the bar is not erased before the log line: %q", last)
	}
	p.update(2, 2.4, 1e-4, 80*time.Millisecond)
	p.finish()
	if !strings.HasSuffix(out.String(), "\n") {
		t.Errorf("the finished bar's line is not ended: %q", out.String())
	}
}

// lines splits output into its non-empty lines.
func lines(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' })
}
