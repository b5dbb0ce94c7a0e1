//go:build !js

package e2e

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/clip-go/clip/evaluate"
)

// checkExports downloads the shown project in the four formats (into downloads, as
// base.csv, base.jsonl, base-label-studio.json and base.zip) and checks each against
// want (file → state and label; state "error" for an image that does not decode):
// the CSV's rows, the JSON lines (each scored image's top-n, the model, the templates),
// the Label Studio tasks (a prediction per scored image, an annotation with the label per
// decided one), and the zip (a label/file entry per decided image holding its bytes from
// files). The zip, unpacked, must read as clip eval reads an image folder; the set is
// returned.
func checkExports(t *testing.T, p *tab, downloads, base string, want map[string][2]string, files map[string][]byte, templates []string, topN int) *evaluate.Set {
	t.Helper()
	for _, id := range []string{"export-csv", "export-jsonl", "export-labelstudio", "export-zip"} {
		p.run(t, chromedp.Click("#"+id, chromedp.ByQuery))
	}
	read := func(name string) []byte {
		var b []byte
		p.waitFor(t, "the download "+name, func() bool {
			var err error
			b, err = os.ReadFile(filepath.Join(downloads, name))
			return err == nil && len(b) > 0
		})
		return b
	}
	decided := func(state string) bool { return state == "accepted" || state == "corrected" }

	rows, err := csv.NewReader(bytes.NewReader(read(base + ".csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(want)+1 || !slices.Equal(rows[0], []string{"file", "label", "score", "state"}) {
		t.Fatalf("CSV: %d rows for %d images, header %q", len(rows), len(want), rows[0])
	}
	for _, r := range rows[1:] {
		if w := want[r[0]]; r[3] != w[0] || r[1] != w[1] {
			t.Errorf("CSV row %q, want %v", r, w)
		}
	}

	lines := strings.Split(strings.TrimSpace(string(read(base+".jsonl"))), "\n")
	if len(lines) != len(want) {
		t.Errorf("%d JSON lines for %d images", len(lines), len(want))
	}
	for _, line := range lines {
		var l struct {
			File, Label, State, Model string
			Top                       []struct{ Label string }
			Templates                 []string
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatal(err)
		}
		w := want[l.File]
		if w[0] == "error" {
			continue
		}
		if len(l.Top) != topN || l.Model == "" || !slices.Equal(l.Templates, templates) || l.State != w[0] || l.Label != w[1] {
			t.Errorf("JSON line %s, want %v", line, w)
		}
	}

	var tasks []struct {
		Data        map[string]string
		Predictions []struct {
			ModelVersion string `json:"model_version"`
			Score        float64
		}
		Annotations []struct {
			Result []struct {
				Value struct{ Choices []string }
			}
		}
	}
	if err := json.Unmarshal(read(base+"-label-studio.json"), &tasks); err != nil || len(tasks) != len(want) {
		t.Fatalf("Label Studio file: %d tasks for %d images, %v", len(tasks), len(want), err)
	}
	for _, task := range tasks {
		w := want[strings.TrimPrefix(task.Data["image"], "/data/local-files/?d=")]
		if w[0] != "error" && (len(task.Predictions) != 1 || task.Predictions[0].ModelVersion == "" || task.Predictions[0].Score <= 0) {
			t.Errorf("task %+v: predictions", task)
		}
		if decided(w[0]) != (len(task.Annotations) == 1) ||
			decided(w[0]) && (len(task.Annotations[0].Result) != 1 || !slices.Equal(task.Annotations[0].Result[0].Value.Choices, []string{w[1]})) {
			t.Errorf("task %+v: annotations, want %v", task, w)
		}
	}

	zb := read(base + ".zip")
	zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil {
		t.Fatal(err)
	}
	unpacked := t.TempDir()
	var got, wantZip []string
	classes := map[string]bool{}
	for file, w := range want {
		if decided(w[0]) {
			wantZip = append(wantZip, strings.ReplaceAll(w[1], " ", "_")+"/"+file)
			classes[w[1]] = true
		}
	}
	for _, f := range zr.File {
		got = append(got, f.Name)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var body bytes.Buffer
		body.ReadFrom(rc)
		rc.Close()
		if !bytes.Equal(body.Bytes(), files[filepath.Base(f.Name)]) {
			t.Errorf("zip entry %s: not the image's bytes", f.Name)
		}
		os.MkdirAll(filepath.Join(unpacked, filepath.Dir(f.Name)), 0o755)
		os.WriteFile(filepath.Join(unpacked, f.Name), body.Bytes(), 0o644)
	}
	sort.Strings(got)
	sort.Strings(wantZip)
	if !slices.Equal(got, wantZip) {
		t.Errorf("zip entries %q, want %q", got, wantZip)
	}
	set, err := evaluate.Load(unpacked)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Items) != len(wantZip) || len(set.Classes) != len(classes) {
		t.Errorf("clip eval reads %d items in classes %q; the zip has %d images of %d labels", len(set.Items), set.Classes, len(wantZip), len(classes))
	}
	for _, c := range set.Classes {
		if !classes[c] {
			t.Errorf("clip eval reads class %q", c)
		}
	}
	return set
}
