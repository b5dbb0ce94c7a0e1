package evaluate

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Charts are small PNGs (docs commit them): 6×4 inches at gonum/plot's default DPI.
const chartW, chartH = 6 * vg.Inch, 4 * vg.Inch

// maxNamedBars is the number of classes up to which the per-class chart names each bar;
// beyond it the names would overlap, and the chart shows the distribution instead.
const maxNamedBars = 40

// perClassChart draws each class's top-1, best first.
func perClassChart(path, title string, pc []ClassAccuracy) error {
	pc = slices.Clone(pc)
	slices.SortStableFunc(pc, func(a, b ClassAccuracy) int { return cmp.Compare(b.Top1, a.Top1) })
	values := make(plotter.Values, len(pc))
	for i, c := range pc {
		values[i] = 100 * c.Top1
	}
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = "top-1 (%)"
	p.Y.Min, p.Y.Max = 0, 100
	width := max(chartW/vg.Length(len(pc)+1)*0.8, 0.5)
	bars, err := plotter.NewBarChart(values, width)
	if err != nil {
		return err
	}
	bars.LineStyle.Width = 0
	bars.Color = plotutil.Color(0)
	p.Add(plotter.NewGrid(), bars)
	if len(pc) <= maxNamedBars {
		names := make([]string, len(pc))
		for i, c := range pc {
			names[i] = c.Class
		}
		p.NominalX(names...)
		p.X.Tick.Label.Rotation = math.Pi / 3
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	} else {
		p.X.Label.Text = fmt.Sprintf("the %d classes, best first", len(pc))
		p.X.Tick.Marker = plot.TickerFunc(func(_, _ float64) []plot.Tick { return nil })
	}
	return p.Save(chartW, chartH, path)
}

// kShotChart draws the k-shot probe's mean top-1 (with its spread over seeds) against k,
// and zero-shot and the probe on all training images as horizontal lines: the paper's
// figure of where a few labelled images beat the prompt.
func kShotChart(path, title string, shots []ShotResult, zeroShot, probeAll float64) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "labelled images per class (k)"
	p.Y.Label.Text = "test top-1 (%)"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = kTicks(shots)
	// a margin either side of the ks on the log axis; it also keeps one k from being a
	// zero-width range, which gonum/plot widens to one that reaches 0 (no log there)
	p.X.Min, p.X.Max = float64(shots[0].K)/1.5, float64(shots[len(shots)-1].K)*1.5
	pts := make(plotter.XYs, len(shots))
	errs := make(plotter.YErrors, len(shots))
	for i, s := range shots {
		pts[i] = plotter.XY{X: float64(s.K), Y: 100 * s.Mean}
		errs[i].Low, errs[i].High = 100*s.Std, 100*s.Std
	}
	line, points, err := plotter.NewLinePoints(pts)
	if err != nil {
		return err
	}
	line.Color, points.Color = plotutil.Color(0), plotutil.Color(0)
	bars, err := plotter.NewYErrorBars(struct {
		plotter.XYs
		plotter.YErrors
	}{pts, errs})
	if err != nil {
		return err
	}
	bars.Color = plotutil.Color(0)
	p.Add(plotter.NewGrid(), line, points, bars)
	p.Legend.Add("k-shot linear probe (mean ± sd over seeds)", line, points)
	for i, h := range []struct {
		name string
		y    float64
	}{{"zero-shot", zeroShot}, {"linear probe, all training images", probeAll}} {
		f := plotter.NewFunction(func(float64) float64 { return 100 * h.y })
		f.Color = plotutil.Color(i + 1)
		f.Dashes = plotutil.Dashes(i + 1)
		f.Width = vg.Points(1.5)
		p.Add(f)
		p.Legend.Add(h.name, f)
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.Y.Min = 0
	// headroom above the highest curve for the legend, top left
	p.Y.Max = math.Min(100, 10*math.Ceil(10*max(probeAll, zeroShot, slices.MaxFunc(shots, func(a, b ShotResult) int { return cmp.Compare(a.Mean, b.Mean) }).Mean)+2.5))
	return p.Save(chartW, chartH, path)
}

// kTicks marks each k on the log axis.
func kTicks(shots []ShotResult) plot.Ticker {
	return plot.TickerFunc(func(_, _ float64) []plot.Tick {
		ticks := make([]plot.Tick, len(shots))
		for i, s := range shots {
			ticks[i] = plot.Tick{Value: float64(s.K), Label: fmt.Sprint(s.K)}
		}
		return ticks
	})
}

// robustnessScatter is the paper's figure: accuracy on the reference set (x) against
// accuracy on each shifted set (y), one colour per model, each point named by its set,
// and y = x, where a model would be as good under the shift as without it.
func robustnessScatter(path string, r *RobustnessReport) error {
	p := plot.New()
	p.Title.Text = "robustness to distribution shift"
	p.X.Label.Text = "top-1 on " + r.Reference + " (%)"
	p.Y.Label.Text = "top-1 on the shifted set (%)"
	var hi float64
	for _, row := range r.Rows {
		hi = max(hi, slices.Max(row.Top1))
	}
	hi = math.Min(100, 10*math.Ceil(10*hi+0.5))
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, hi, 0, hi
	diag := plotter.NewFunction(func(x float64) float64 { return x })
	diag.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	diag.Color = color.Gray{Y: 120}
	p.Add(plotter.NewGrid(), diag)
	p.Legend.Add("y = x", diag)
	for i, row := range r.Rows {
		var pts plotter.XYs
		var names []string
		for j, set := range r.Shifted {
			pts = append(pts, plotter.XY{X: 100 * row.Top1[0], Y: 100 * row.Top1[j+1]})
			names = append(names, set)
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return err
		}
		sc.Color = plotutil.Color(i)
		sc.Shape = plotutil.Shape(i)
		sc.Radius = vg.Points(3.5)
		labels, err := plotter.NewLabels(plotter.XYLabels{XYs: pts, Labels: names})
		if err != nil {
			return err
		}
		p.Add(sc)
		if i == 0 { // the sets are the same for every model: name them once, left of the points
			for k := range labels.TextStyle {
				labels.TextStyle[k].Font.Size = vg.Points(8)
				labels.TextStyle[k].XAlign = draw.XRight
			}
			labels.Offset = vg.Point{X: vg.Points(-6), Y: vg.Points(-3)}
			p.Add(labels)
		}
		p.Legend.Add(row.Model, sc)
	}
	p.Legend.Top, p.Legend.Left = true, true
	return p.Save(chartW, chartW, path) // square: y = x at 45°
}
