// Command ablation draws an ablation at equal compute: held-out zero-shot accuracy
// against training time for several runs, one panel per measure, as one PNG (the model
// card's picture). Its input is a TSV of checkpoint evaluations, one per line:
//
//	run <TAB> minutes of training <TAB> measure <TAB> accuracy in percent
//
// for example "teacher	12.5	unseen classes top-5	21.3". Lines starting with # are
// comments.
//
//	go run ./train/internal/ablation -in points.tsv -out ablation.png [-title T]
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"image/color"
	"os"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

type point struct{ minutes, acc float64 }

func main() {
	in := flag.String("in", "", "TSV of run, minutes, measure, accuracy")
	out := flag.String("out", "ablation.png", "PNG to write")
	title := flag.String("title", "", "title above the panels")
	flag.Parse()
	if err := run(*in, *out, *title); err != nil {
		fmt.Fprintln(os.Stderr, "ablation:", err)
		os.Exit(1)
	}
}

func run(in, out, title string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	data := map[string]map[string][]point{} // measure → run → points
	var measures, runs []string
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		cols := strings.Split(text, "\t")
		if len(cols) != 4 {
			return fmt.Errorf("%s:%d: want 4 tab-separated columns, got %d", in, line, len(cols))
		}
		mins, err1 := strconv.ParseFloat(cols[1], 64)
		acc, err2 := strconv.ParseFloat(cols[3], 64)
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("%s:%d: %v", in, line, err)
		}
		runName, measure := cols[0], cols[2]
		if data[measure] == nil {
			data[measure] = map[string][]point{}
			measures = append(measures, measure)
		}
		if !slices.Contains(runs, runName) {
			runs = append(runs, runName)
		}
		data[measure][runName] = append(data[measure][runName], point{mins, acc})
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(measures) == 0 {
		return fmt.Errorf("%s: no points", in)
	}
	colors := []color.Color{color.RGBA{0, 90, 180, 255}, color.RGBA{210, 80, 0, 255}, color.RGBA{0, 140, 60, 255}, color.RGBA{120, 0, 160, 255}}
	const panelW, panelH = 4.2 * vg.Inch, 3.2 * vg.Inch
	cols := min(2, len(measures)) // two panels a row, so the picture stays readable on a page
	rows := (len(measures) + cols - 1) / cols
	img := vgimg.New(panelW*vg.Length(cols), panelH*vg.Length(rows))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2}
	for i, measure := range measures {
		p := plot.New()
		p.Title.Text = measure
		if i == 0 && title != "" {
			p.Title.Text = title + ": " + measure
		}
		p.X.Label.Text = "minutes of training (one core)"
		p.Y.Label.Text = "accuracy, %"
		p.Legend.Top, p.Legend.Left = false, false
		for k, r := range runs {
			pts := data[measure][r]
			if len(pts) == 0 {
				continue
			}
			slices.SortFunc(pts, func(a, b point) int { return int(a.minutes*1000 - b.minutes*1000) })
			xy := make(plotter.XYs, len(pts))
			for j, pt := range pts {
				xy[j].X, xy[j].Y = pt.minutes, pt.acc
			}
			line, marks, err := plotter.NewLinePoints(xy)
			if err != nil {
				return err
			}
			c := colors[k%len(colors)]
			line.Color, marks.Color = c, c
			line.Width = vg.Points(1.5)
			p.Add(line, marks)
			p.Legend.Add(r, line, marks)
		}
		p.Draw(tiles.At(dc, i%cols, i/cols))
	}
	fh, err := os.Create(out)
	if err != nil {
		return err
	}
	png := vgimg.PngCanvas{Canvas: img}
	if _, err := png.WriteTo(fh); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}
