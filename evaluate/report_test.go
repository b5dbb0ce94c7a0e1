package evaluate

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReports: each report writes its table and decodable PNG charts, also for edge
// cases a chart must survive (one k on the log axis, one model, a class without hits).
func TestReports(t *testing.T) {
	acc := Accuracy{Images: 4, Top1: 0.5, PerClass: []ClassAccuracy{{"a", 2, 1}, {"b", 2, 0}}, Confusions: []Confusion{{"b", "a", 2}}}
	for _, tc := range []struct {
		name  string
		write func(dir string) error
		files []string
		says  []string // in report.md
	}{
		{"zero-shot with two template variants", func(dir string) error {
			return WriteZeroShotReport(dir, "m", []ZeroShotRow{
				{"s", 2, "bare label", &ZeroShotResult{Accuracy: acc}},
				{"s", 2, "pictogram", &ZeroShotResult{Accuracy: acc}}})
		}, []string{"per-class-s.png"}, []string{"| s | bare label | 2 | 4 | 50.0 |", "Top-1 by templates", "| b | a | 2 |"}},
		{"probe with one k", func(dir string) error {
			r := &ProbeReport{Model: "m", ZeroShot: Accuracy{Top1: 0.2}, Probe: &ProbeResult{Accuracy: Accuracy{Top1: 0.7}, C: 1},
				Shots: []ShotResult{{K: 1, Mean: 0.3, Std: 0.05, Top1: []float64{0.25, 0.35}, Train: 10}}}
			return r.Write(dir)
		}, []string{"kshot.png"}, []string{"overtakes zero-shot at k = 1", "| 1-shot probe (2 seeds) | 10 | 30.0 | 5.0 |"}},
		{"robustness of one model", func(dir string) error {
			r := &RobustnessReport{Reference: "ref", Shifted: []string{"x", "y"}, Rows: []RobustnessRow{{"m", "t", []float64{0.8, 0.3, 0}}}}
			return r.Write(dir)
		}, []string{"robustness.png"}, []string{"| m | t | 80.0 | 30.0 (-50.0) | 0.0 (-80.0) |"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := tc.write(dir); err != nil {
				t.Fatal(err)
			}
			md, err := os.ReadFile(filepath.Join(dir, "report.md"))
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.says {
				if !strings.Contains(string(md), s) {
					t.Errorf("report.md lacks %q:\n%s", s, md)
				}
			}
			for _, f := range tc.files {
				b, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := png.Decode(bytes.NewReader(b)); err != nil {
					t.Errorf("%s: %v", f, err)
				}
			}
		})
	}
}
