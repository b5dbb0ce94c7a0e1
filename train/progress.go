package train

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Plain progress lines come every progressEvery steps or progressInterval, whichever is
// first, and at the last step.
const (
	progressEvery    = 50
	progressInterval = 10 * time.Second
)

// isTerminal reports whether w is a terminal. A variable, so tests can pretend.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress shows a run's progress on Options.Progress. On a terminal it is a bar redrawn
// in place. Elsewhere (a log file, a pipe, CI) a redrawn bar is one endless line of
// carriage returns, so it writes a plain line now and then instead. All its methods do
// nothing on a nil *progress (no Options.Progress).
type progress struct {
	w            io.Writer
	bar          *progressbar.ProgressBar // on a terminal; nil for plain lines
	total, batch int
	now          func() time.Time

	start      time.Time // when the run (or its resumption) began
	startStep  int
	lastLine   time.Time // when the last plain line was written
	lastStep   int
	sinceSteps int           // steps since the last plain line
	sinceTime  time.Duration // their training time (without evaluations and checkpoints)
}

// newProgress starts the display of a run of total steps of batch pairs, at step step,
// with the clock now (time.Now but in tests); nil for a nil w.
func newProgress(w io.Writer, total, step, batch int, now func() time.Time) *progress {
	if w == nil {
		return nil
	}
	p := &progress{w: w, total: total, batch: batch, now: now, startStep: step, lastStep: step}
	p.start = p.now()
	p.lastLine = p.start
	if isTerminal(w) {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w), progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true), progressbar.OptionSetElapsedTime(true),
			progressbar.OptionSetItsString("step"), progressbar.OptionShowIts(),
			progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionSetWidth(20))
		p.bar.Set(step)
	}
	return p
}

// update reports that step is done, with its loss, learning rate and how long the
// training step itself took.
func (p *progress) update(step int, loss, lr float64, stepTime time.Duration) {
	if p == nil {
		return
	}
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("loss %.4f lr %.2e %.1f samples/s", loss, lr, float64(p.batch)/stepTime.Seconds()))
		p.bar.Set(step)
		return
	}
	p.sinceSteps++
	p.sinceTime += stepTime
	now := p.now()
	if step-p.lastStep < progressEvery && now.Sub(p.lastLine) < progressInterval && step < p.total {
		return
	}
	// samples/s over the steps since the last line, as the bar and metrics.jsonl count it
	// (training only); the ETA from the wall clock, evaluations and checkpoints included.
	rate := float64(p.sinceSteps*p.batch) / p.sinceTime.Seconds()
	line := fmt.Sprintf("step %d/%d: loss %.4f, lr %.2e, %.1f samples/s", step, p.total, loss, lr, rate)
	if done := step - p.startStep; done > 0 && step < p.total {
		eta := now.Sub(p.start) / time.Duration(done) * time.Duration(p.total-step)
		line += ", ETA " + eta.Round(time.Second).String()
	}
	fmt.Fprintln(p.w, line)
	p.lastLine, p.lastStep, p.sinceSteps, p.sinceTime = now, step, 0, 0
}

// clear takes the bar off its line, so that a log line written next starts at the
// beginning of a line instead of inside the bar; the bar redraws at the next update.
func (p *progress) clear() {
	if p != nil && p.bar != nil {
		p.bar.Clear()
	}
}

// setTotal changes the number of steps the run will take (a --budget run fixes it late).
func (p *progress) setTotal(total int) {
	if p == nil {
		return
	}
	p.total = total
	if p.bar != nil {
		p.bar.ChangeMax(total)
	}
}

// finish completes the bar and ends its line; later log lines need no clearing.
func (p *progress) finish() {
	if p != nil && p.bar != nil {
		p.bar.Finish()
		fmt.Fprintln(p.w)
		p.bar = nil
	}
}
