package evaluate

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// table renders a markdown table; numeric columns (all but the first) align right.
func table(header []string, rows [][]string) string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(header, " | ") + " |\n|")
	for i := range header {
		if i == 0 {
			b.WriteString("---|")
		} else {
			b.WriteString("---:|")
		}
	}
	b.WriteString("\n")
	for _, r := range rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	return b.String()
}

// pct formats an accuracy as a percentage with one decimal.
func pct(x float64) string { return fmt.Sprintf("%.1f", 100*x) }

// fileName turns a set or model name into a file name.
func fileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, s)
}

// writeReport writes report.md into dir (creating it) after draw has drawn its charts
// there. gonum/plot panics on some degenerate data (a log axis reaching 0): that is an
// error of the report, not a crash of the command.
func writeReport(dir, markdown string, draw func() error) (err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("report: drawing a chart: %v", r)
		}
	}()
	if err := draw(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, "report.md"), []byte(markdown), 0o644)
}

// ZeroShotRow is one set measured with one template variant.
type ZeroShotRow struct {
	Set       string
	Classes   int
	Templates string
	Result    *ZeroShotResult
}

// WriteZeroShotReport writes the zero-shot table, each set's confusions and per-class
// chart (for its first template variant) into dir.
func WriteZeroShotReport(dir, model string, rows []ZeroShotRow) error {
	var md strings.Builder
	fmt.Fprintf(&md, "# Zero-shot accuracy\n\nModel: %s. Accuracies in %%; mean per class is top-1 averaged over the classes.\n\n", model)
	var cells [][]string
	for _, r := range rows {
		cells = append(cells, []string{r.Set, r.Templates, fmt.Sprint(r.Classes), fmt.Sprint(r.Result.Images),
			pct(r.Result.Top1), pct(r.Result.Top5), pct(r.Result.MeanPerClass)})
	}
	md.WriteString(table([]string{"set", "templates", "classes", "images", "top-1", "top-5", "mean per class"}, cells))
	md.WriteString(templatePivot(rows))
	var charts []func() error
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.Set] {
			continue
		}
		seen[r.Set] = true
		fmt.Fprintf(&md, "\n## %s\n\n", r.Set)
		if len(r.Result.Confusions) > 0 {
			var conf [][]string
			for _, c := range r.Result.Confusions {
				conf = append(conf, []string{c.True, c.Predicted, fmt.Sprint(c.Count)})
			}
			fmt.Fprintf(&md, "Most frequent confusions (templates: %s):\n\n%s\n", r.Templates, table([]string{"class", "taken for", "images"}, conf))
		}
		png := "per-class-" + fileName(r.Set) + ".png"
		fmt.Fprintf(&md, "![per-class top-1 on %s](%s)\n", r.Set, png)
		title := fmt.Sprintf("%s: per-class top-1 (mean %s%%)", r.Set, pct(r.Result.MeanPerClass))
		pc := r.Result.PerClass
		charts = append(charts, func() error { return perClassChart(filepath.Join(dir, png), title, pc) })
	}
	return writeReport(dir, md.String(), func() error {
		for _, c := range charts {
			if err := c(); err != nil {
				return err
			}
		}
		return nil
	})
}

// templatePivot is the template comparison at a glance: top-1 per set (rows) and
// template variant (columns); "" when each set was measured with one variant.
func templatePivot(rows []ZeroShotRow) string {
	var sets, variants []string
	top1 := map[[2]string]float64{}
	for _, r := range rows {
		if !slices.Contains(sets, r.Set) {
			sets = append(sets, r.Set)
		}
		if !slices.Contains(variants, r.Templates) {
			variants = append(variants, r.Templates)
		}
		top1[[2]string{r.Set, r.Templates}] = r.Result.Top1
	}
	if len(variants) < 2 {
		return ""
	}
	var cells [][]string
	for _, s := range sets {
		row := []string{s}
		for _, v := range variants {
			acc, ok := top1[[2]string{s, v}]
			cell := ""
			if ok {
				cell = pct(acc)
			}
			row = append(row, cell)
		}
		cells = append(cells, row)
	}
	return "\nTop-1 by templates:\n\n" + table(append([]string{"set"}, variants...), cells)
}

// ProbeReport is a probe run: zero-shot, the probe on all training images and the
// k-shot probes, on one test set.
type ProbeReport struct {
	Model, Train, Test, Templates string
	ZeroShot                      Accuracy
	Probe                         *ProbeResult
	Shots                         []ShotResult
}

// Overtakes returns the smallest k whose mean k-shot top-1 beats zero-shot's.
func (r *ProbeReport) Overtakes() (int, bool) {
	for _, s := range r.Shots {
		if s.Mean > r.ZeroShot.Top1 {
			return s.K, true
		}
	}
	return 0, false
}

// Write writes report.md and, with k-shot results, kshot.png into dir.
func (r *ProbeReport) Write(dir string) error {
	var md strings.Builder
	fmt.Fprintf(&md, "# Linear probe vs zero-shot\n\nModel: %s. Probe trained on %s, tested on %s (%d images); zero-shot with templates %s. "+
		"Logistic regression on L2-normalised image features (gonum L-BFGS), C chosen on a validation split.\n\n",
		r.Model, r.Train, r.Test, r.ZeroShot.Images, r.Templates)
	rows := [][]string{
		{"zero-shot", "0", pct(r.ZeroShot.Top1), "", pct(r.ZeroShot.MeanPerClass), ""},
		{"linear probe, all training images", fmt.Sprint(r.Probe.Train), pct(r.Probe.Top1), "", pct(r.Probe.MeanPerClass), fmt.Sprintf("%.3g", r.Probe.C)},
	}
	for _, s := range r.Shots {
		rows = append(rows, []string{fmt.Sprintf("%d-shot probe (%d seeds)", s.K, len(s.Top1)), fmt.Sprint(s.Train), pct(s.Mean), pct(s.Std), "", ""})
	}
	md.WriteString(table([]string{"classifier", "training images", "top-1", "± sd", "mean per class", "C"}, rows))
	if len(r.Shots) == 0 {
		return writeReport(dir, md.String(), func() error { return nil })
	}
	if k, ok := r.Overtakes(); ok {
		fmt.Fprintf(&md, "\nThe probe overtakes zero-shot at k = %d labelled images per class.\n", k)
	} else {
		md.WriteString("\nNo k-shot probe measured here beats zero-shot.\n")
	}
	md.WriteString("\n![k-shot curve](kshot.png)\n")
	title := fmt.Sprintf("%s → %s", r.Train, r.Test)
	return writeReport(dir, md.String(), func() error {
		return kShotChart(filepath.Join(dir, "kshot.png"), title, r.Shots, r.ZeroShot.Top1, r.Probe.Top1)
	})
}

// RobustnessRow is one model's top-1 on the reference set (Top1[0]) and each shifted
// set (Top1[1:], in RobustnessReport.Shifted's order).
type RobustnessRow struct {
	Model, Templates string
	Top1             []float64
}

// RobustnessReport compares models across a distribution shift.
type RobustnessReport struct {
	Reference string
	Shifted   []string
	Rows      []RobustnessRow
}

// Write writes the table (top-1 per set, and each shifted set's drop from the
// reference) and robustness.png into dir.
func (r *RobustnessReport) Write(dir string) error {
	var md strings.Builder
	md.WriteString("# Robustness to distribution shift\n\nZero-shot top-1 (%) on the reference set and on each shifted set; in brackets, the change from the reference.\n\n")
	header := append([]string{"model", "templates", r.Reference + " (reference)"}, r.Shifted...)
	var rows [][]string
	for _, row := range r.Rows {
		cells := []string{row.Model, row.Templates, pct(row.Top1[0])}
		for _, acc := range row.Top1[1:] {
			cells = append(cells, fmt.Sprintf("%s (%+.1f)", pct(acc), 100*(acc-row.Top1[0])))
		}
		rows = append(rows, cells)
	}
	md.WriteString(table(header, rows))
	md.WriteString("\n![reference vs shifted top-1](robustness.png)\n")
	return writeReport(dir, md.String(), func() error { return robustnessScatter(filepath.Join(dir, "robustness.png"), r) })
}
