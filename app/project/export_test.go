package project

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

// hostile is a project whose file names and labels hold what CSV, JSON and zip paths
// must survive: commas, quotes, line breaks, path separators, "..", a leading dot,
// Unicode, and two files of one name.
func hostile() *Project {
	p := &Project{ID: "h", Name: "hostile", Model: "tiny-int8/abc", Templates: []string{"a photo of a {}."},
		Labels: []string{"cat, black", `the "dog"`, "line\nbreak", "../x", "ünï cödé"}}
	files := []string{"a,b.png", `q"uote.png`, "new\nline.png", "../../etc/passwd", "dir/sub/.hidden.png", "dir/other/.hidden.png", "ok.jpg"}
	for i, f := range files {
		l := p.Labels[i%len(p.Labels)]
		im := &Image{ID: fmt.Sprint(i), File: f, Hash: fmt.Sprintf("%064d", i), State: Suggested,
			Top: []Pred{{l, 0.8}, {p.Labels[(i+1)%len(p.Labels)], 0.2}}}
		p.Images = append(p.Images, im)
	}
	p.Pick(0, 0)
	p.Pick(1, 1)
	p.SetLabel(2, "typed, new")
	p.Accept(3)
	p.Accept(4)
	p.SetLabel(5, "ünï cödé")
	p.Skip(6)
	return p
}

// TestCSVRoundTrip: the CSV export read back gives every image's file, label and state;
// applied to a fresh copy of the project it restores the choices and the typed label.
func TestCSVRoundTrip(t *testing.T) {
	p := hostile()
	var buf bytes.Buffer
	if err := p.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "file,label,score,state\n") {
		t.Errorf("header: %q", buf.String()[:30])
	}
	rows, err := ReadCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(p.Images) {
		t.Fatalf("%d rows for %d images", len(rows), len(p.Images))
	}
	for i, r := range rows {
		im := p.Images[i]
		if r.File != im.File || r.Label != im.Final() || r.State != im.State {
			t.Errorf("row %d: %+v, image %q %q %s", i, r, im.File, im.Final(), im.State)
		}
	}
	fresh := hostile()
	for _, im := range fresh.Images {
		im.State, im.Label = Suggested, ""
	}
	fresh.Labels = fresh.Labels[:5]
	set, missing := fresh.ApplyRows(append(rows, Row{File: "gone.png", Label: "cat, black", State: Accepted}))
	if set != len(p.Images) || !slices.Equal(missing, []string{"gone.png"}) {
		t.Errorf("applied %d, missing %q", set, missing)
	}
	// Another tool's CSV has no state: it follows the label.
	other, err := ReadCSV(strings.NewReader("label,file\nbird,b.png\ncat,a.png\n"))
	if err != nil {
		t.Fatal(err)
	}
	q := sample()
	if set, _ := q.ApplyRows(other); set != 2 || !strings.HasPrefix(states(q), "a.png=accepted/cat b.png=corrected/bird c.png=suggested/bird ") {
		t.Errorf("a CSV without states: %s", states(q))
	}
	if states(fresh) != states(p) || !slices.Equal(fresh.Labels, p.Labels) {
		t.Errorf("resumed:\n %s %q\nwant\n %s %q", states(fresh), fresh.Labels, states(p), p.Labels)
	}
	fresh.Undo()
	if fresh.Tally()[Suggested] != len(fresh.Images) {
		t.Error("undo of an import left choices")
	}
}

// TestReadCSV: other tools' CSVs (columns in another order, no state, a BOM) and bad ones.
func TestReadCSV(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     string
		err      string
	}{
		{"minimal", "file,label\na.png,cat\nb.png,\n", "[{a.png cat accepted}]", ""},
		{"reordered, BOM, upper case", "\ufeffState,Label,File\nCorrected,dog,x.png\nskipped,,y.png\n", "[{x.png dog corrected} {y.png  skipped}]", ""},
		{"error rows dropped", "file,label,score,state\nz.png,,,error\n", "[]", ""},
		{"no header", "a.png,cat\n", "", "must name the columns"},
		{"unknown state", "file,label,state\na.png,cat,maybe\n", "", "unknown state"},
		{"no file", "file,label\n,cat\n", "", "no file"},
		{"bad quoting", "file,label\n\"a.png,cat\n", "", "labels CSV"},
		{"empty", "", "", "EOF"},
		{"too large", "file,label\n" + strings.Repeat("a.png,cat\n", MaxImportBytes/10+1), "", "larger than"},
	} {
		rows, err := ReadCSV(strings.NewReader(c.in))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := fmt.Sprint(rows); got != c.want && !(c.want == "[]" && len(rows) == 0) {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// TestJSONL: one line per image with its top-5, the model and the templates; the
// hostile strings come back as they were.
func TestJSONL(t *testing.T) {
	p := hostile()
	var buf bytes.Buffer
	if err := p.WriteJSONL(&buf); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(p.Images) {
		t.Fatalf("%d lines for %d images", len(lines), len(p.Images))
	}
	for i, line := range lines {
		var l jsonLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		im := p.Images[i]
		if l.File != im.File || l.Label != im.Final() || l.State != im.State || l.Model != p.Model ||
			!slices.Equal(l.Templates, p.Templates) || !slices.Equal(l.Top, im.Top) {
			t.Errorf("line %d: %+v", i, l)
		}
		if s, ok := im.Score(); ok != (l.Score != nil) || ok && *l.Score != s {
			t.Errorf("line %d: score %v, want %v (%v)", i, l.Score, s, ok)
		}
	}
}

// TestZip: label/file folders with safe names (no "..", no separators from labels or
// files, no hidden files), duplicates renamed, only decided images unless asked, the
// bytes of each image, and a train/val split that is stable and keeps every image once.
func TestZip(t *testing.T) {
	p := hostile()
	bytesOf := func(i int) ([]byte, error) { return []byte("image " + p.Images[i].ID), nil }
	for _, c := range []struct {
		name string
		o    ZipOptions
		want map[string]string // zip path → image ID
	}{
		{"decided only", ZipOptions{}, map[string]string{
			"cat,_black/a,b.png":      "0",
			"line_break/q_uote.png":   "1", // corrected to its 2nd suggestion, "line\nbreak"
			"typed,_new/new_line.png": "2",
			"_x/passwd":               "3", // "../x" as a folder: no way up
			"ünï_cödé/hidden.png":     "4",
			"ünï_cödé/hidden-2.png":   "5", // typed: the same folder and name as 4
		}},
		{"with suggestions", ZipOptions{Suggested: true}, nil},
	} {
		var buf bytes.Buffer
		n, err := p.WriteZip(&buf, c.o, bytesOf)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := readZip(t, buf.Bytes())
		if len(got) != n {
			t.Errorf("%s: %d files, %d reported", c.name, len(got), n)
		}
		for name := range got {
			if strings.Contains(name, "..") || strings.HasPrefix(name, "/") || strings.Count(name, "/") != 1 {
				t.Errorf("%s: unsafe or misplaced path %q", c.name, name)
			}
		}
		if c.want != nil {
			for name, id := range c.want {
				if got[name] != "image "+id {
					t.Errorf("%s: %q holds %q, want image %s", c.name, name, got[name], id)
				}
			}
			if len(got) != len(c.want) || t.Failed() {
				t.Errorf("%s: files %q", c.name, keys(got))
			}
		}
	}
	if p.Images[6].State != Skipped {
		t.Fatal("the skipped image is not skipped")
	}

	var a, b bytes.Buffer
	p.WriteZip(&a, ZipOptions{ValFraction: 0.5}, bytesOf)
	p.WriteZip(&b, ZipOptions{ValFraction: 0.5}, bytesOf)
	split := readZip(t, a.Bytes())
	if !maps(split, readZip(t, b.Bytes())) {
		t.Error("the split changed between two exports")
	}
	seen := map[string]bool{}
	for name, body := range split {
		if !strings.HasPrefix(name, "train/") && !strings.HasPrefix(name, "val/") || strings.Count(name, "/") != 2 {
			t.Errorf("split path %q", name)
		}
		if seen[body] {
			t.Errorf("%s written twice", body)
		}
		seen[body] = true
	}
	if len(split) != 6 {
		t.Errorf("split has %d files, want 6", len(split))
	}
	if _, err := p.WriteZip(io.Discard, ZipOptions{}, func(int) ([]byte, error) { return nil, fmt.Errorf("blob gone") }); err == nil ||
		!strings.Contains(err.Error(), "blob gone") {
		t.Errorf("a missing image: %v", err)
	}
}

func readZip(t *testing.T, b []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(rc)
		rc.Close()
		out[f.Name] = string(body)
	}
	return out
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func maps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestSafeName: one path component out of anything.
func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"cat": "cat", "../x": "_x", "..": "_", "": "_", "a/b\\c": "a_b_c", ".hidden": "hidden",
		"tab\there": "tab_here", `c:*?"<>|`: "c_______", strings.Repeat("é", 100): strings.Repeat("é", 60),
	} {
		if got := safeName(in); got != want {
			t.Errorf("safeName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLabelStudio: a task per image with data.image, the model's top-1 as a prediction
// with model_version and score, the person's choice as an annotation when decided; the
// labelling config escapes the labels as XML.
func TestLabelStudio(t *testing.T) {
	p := hostile()
	var buf bytes.Buffer
	if err := p.WriteLabelStudio(&buf, "/data/local-files/?d=photos/"); err != nil {
		t.Fatal(err)
	}
	var tasks []lsTask
	if err := json.Unmarshal(buf.Bytes(), &tasks); err != nil {
		t.Fatal(err)
	}
	if len(tasks) != len(p.Images) {
		t.Fatalf("%d tasks", len(tasks))
	}
	for i, task := range tasks {
		im := p.Images[i]
		if task.Data["image"] != "/data/local-files/?d=photos/"+im.File {
			t.Errorf("task %d image %q", i, task.Data["image"])
		}
		pr := task.Predictions
		if len(pr) != 1 || pr[0].ModelVersion != p.Model || *pr[0].Score != im.Top[0].Prob ||
			pr[0].Result[0].Value["choices"][0] != im.Top[0].Label || pr[0].Result[0].FromName != "choice" || pr[0].Result[0].ToName != "image" {
			t.Errorf("task %d predictions %+v", i, pr)
		}
		if im.State.Decided() != (len(task.Annotations) == 1) || im.State.Decided() && task.Annotations[0].Result[0].Value["choices"][0] != im.Label {
			t.Errorf("task %d (%s) annotations %+v", i, im.State, task.Annotations)
		}
	}
	cfg := p.LabelStudioConfig()
	if !strings.Contains(cfg, `<Choice value="the &quot;dog&quot;"/>`) || !strings.Contains(cfg, `toName="image"`) {
		t.Errorf("config:\n%s", cfg)
	}
}
