// Command curve draws a training run's learning curve from its metrics.jsonl: the loss
// and the held-out zero-shot top-1 (eval_top1), each against optimizer steps and against
// hours of training, as one PNG (the model card's picture).
//
//	go run ./train/internal/curve -metrics runs/x/metrics.jsonl -out curve.png [-title T]
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// record is the part of a metrics.jsonl line the curve needs.
type record struct {
	Step     int      `json:"step"`
	Loss     *float64 `json:"loss"`
	EvalTop1 *float64 `json:"eval_top1"`
	Time     string   `json:"time"`
}

func main() {
	metrics := flag.String("metrics", "", "metrics.jsonl of a run")
	out := flag.String("out", "learning-curve.png", "PNG to write")
	title := flag.String("title", "", "title above the curves")
	eval := flag.String("eval", "held-out", "name of the zero-shot set, for the axis label")
	flag.Parse()
	if err := run(*metrics, *out, *title, *eval); err != nil {
		fmt.Fprintln(os.Stderr, "curve:", err)
		os.Exit(1)
	}
}

func read(path string) ([]record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var recs []record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if r.Step > 0 && r.Time != "" { // the run's summary lines have neither
			recs = append(recs, r)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, errors.New(path + ": no step records")
	}
	return recs, nil
}

func run(metrics, out, title, evalName string) error {
	recs, err := read(metrics)
	if err != nil {
		return err
	}
	t0, err := time.Parse(time.RFC3339, recs[0].Time)
	if err != nil {
		return err
	}
	var loss, lossH, top1, top1H plotter.XYs
	for _, r := range recs {
		t, err := time.Parse(time.RFC3339, r.Time)
		if err != nil {
			return err
		}
		h := t.Sub(t0).Hours()
		if r.Loss != nil {
			loss = append(loss, plotter.XY{X: float64(r.Step), Y: *r.Loss})
			lossH = append(lossH, plotter.XY{X: h, Y: *r.Loss})
		}
		if r.EvalTop1 != nil {
			top1 = append(top1, plotter.XY{X: float64(r.Step), Y: 100 * *r.EvalTop1})
			top1H = append(top1H, plotter.XY{X: h, Y: 100 * *r.EvalTop1})
		}
	}
	panels := [][]*plot.Plot{
		{panel(loss, "step", "training loss", false), panel(lossH, "hours", "training loss", false)},
		{panel(top1, "step", evalName+" top-1 (%)", true), panel(top1H, "hours", evalName+" top-1 (%)", true)},
	}
	const w, h = 10 * vg.Inch, 7 * vg.Inch
	img := vgimg.New(w, h)
	dc := draw.New(img)
	if title != "" {
		panels[0][0].Title.Text = title
	}
	tiles := draw.Tiles{Rows: 2, Cols: 2, PadX: vg.Inch / 4, PadY: vg.Inch / 4, PadTop: vg.Inch / 8, PadBottom: vg.Inch / 8, PadLeft: vg.Inch / 8, PadRight: vg.Inch / 4}
	canvases := plot.Align(panels, tiles, dc)
	for i := range panels {
		for j := range panels[i] {
			panels[i][j].Draw(canvases[i][j])
		}
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// panel is one curve; points marks the evaluations, which are few.
func panel(xys plotter.XYs, x, y string, points bool) *plot.Plot {
	p := plot.New()
	p.X.Label.Text, p.Y.Label.Text = x, y
	p.Add(plotter.NewGrid())
	if len(xys) == 0 {
		return p
	}
	if points {
		lp, sc, err := plotter.NewLinePoints(xys)
		if err == nil {
			p.Add(lp, sc)
		}
		p.Y.Min = 0
		return p
	}
	if l, err := plotter.NewLine(xys); err == nil {
		p.Add(l)
	}
	return p
}
