package project

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode"
)

// csvHeader is the CSV export's header row; ReadCSV reads the same columns back.
var csvHeader = []string{"file", "label", "score", "state"}

// WriteCSV writes one row per image: file, final label, the model's probability for
// it (empty when its top-5 does not hold it), state. encoding/csv quotes fields with
// commas, quotes or line breaks.
func (p *Project) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(csvHeader)
	for _, im := range p.Images {
		score := ""
		if s, ok := im.Score(); ok {
			score = strconv.FormatFloat(s, 'f', 6, 64)
		}
		state := string(im.State)
		if im.Err != "" {
			state = "error"
		}
		cw.Write([]string{im.File, im.Final(), score, state})
	}
	cw.Flush()
	return cw.Error()
}

// jsonLine is one image in the JSON lines export.
type jsonLine struct {
	File      string   `json:"file"`
	Label     string   `json:"label"`
	State     State    `json:"state"`
	Score     *float64 `json:"score"`
	Top       []Pred   `json:"top"`
	Model     string   `json:"model"`
	Templates []string `json:"templates"`
	Error     string   `json:"error,omitempty"`
}

// WriteJSONL writes one JSON object per image: its file, final label, state, score, the
// model's top-5, the model's id and the prompt templates.
func (p *Project) WriteJSONL(w io.Writer) error {
	enc := json.NewEncoder(w)
	for _, im := range p.Images {
		l := jsonLine{File: im.File, Label: im.Final(), State: im.State, Top: im.Top, Model: p.Model, Templates: p.Templates, Error: im.Err}
		if s, ok := im.Score(); ok {
			l.Score = &s
		}
		if l.Top == nil {
			l.Top = []Pred{}
		}
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	return nil
}

// ZipOptions says what goes into the image-folder zip.
type ZipOptions struct {
	// ValFraction puts about this share of each label's images under val/ and the rest
	// under train/ (0: no split, label folders at the top).
	ValFraction float64
	// Suggested includes the images still at the model's suggestion (by default only
	// the accepted and corrected ones are written).
	Suggested bool
}

// Entry is an image's place in the image-folder layout: Images[Index] at Path.
type Entry struct {
	Index int
	Path  string
}

// Layout places the images in the image-folder layout that `clip eval` and most
// trainers read: label/file (train/label/file and val/label/file with a split), the
// label's folder name with spaces as underscores (eval reads underscores back as
// spaces). Folder and file names are made safe: no path separators, no "..", no control
// characters; two files of one name in a folder get -2, -3… The split is by a hash of
// the file's path, so it does not change between exports.
func (p *Project) Layout(o ZipOptions) []Entry {
	used := map[string]bool{}
	var out []Entry
	for i, im := range p.Images {
		label := im.Final()
		if label == "" || im.Err != "" || !(im.State.Decided() || o.Suggested && im.State == Suggested) {
			continue
		}
		dir := safeName(strings.ReplaceAll(label, " ", "_"))
		if o.ValFraction > 0 {
			dir = path.Join(splitOf(im.File, o.ValFraction), dir)
		}
		name := path.Join(dir, uniqueName(used, dir, safeName(path.Base(strings.ReplaceAll(im.File, "\\", "/")))))
		out = append(out, Entry{i, name})
	}
	return out
}

// WriteZip writes the Layout as a zip; bytesOf returns an image's bytes. It returns the
// number of images written.
func (p *Project) WriteZip(w io.Writer, o ZipOptions, bytesOf func(i int) ([]byte, error)) (int, error) {
	zw := zip.NewWriter(w)
	n := 0
	for _, e := range p.Layout(o) {
		b, err := bytesOf(e.Index)
		if err != nil {
			return n, fmt.Errorf("%s: %w", p.Images[e.Index].File, err)
		}
		f, err := zw.CreateHeader(&zip.FileHeader{Name: e.Path, Method: zip.Store}) // images are compressed already
		if err != nil {
			return n, err
		}
		if _, err := f.Write(b); err != nil {
			return n, err
		}
		n++
	}
	return n, zw.Close()
}

func splitOf(file string, val float64) string {
	h := fnv.New64a()
	h.Write([]byte(file))
	if float64(h.Sum64()%10000)/10000 < val {
		return "val"
	}
	return "train"
}

// safeName makes one path component: path separators, control characters and the
// characters Windows forbids become "_", leading dots go (no "..", no hidden files),
// and it is at most 120 bytes; an empty result is "_".
func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) || strings.ContainsRune(`/\:*?"<>|`, r) {
			r = '_'
		}
		b.WriteRune(r)
	}
	out := strings.TrimLeft(strings.TrimSpace(b.String()), ".")
	for len(out) > 120 {
		_, size := lastRune(out)
		out = out[:len(out)-size]
	}
	if out == "" {
		return "_"
	}
	return out
}

func lastRune(s string) (rune, int) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i]&0xc0 != 0x80 {
			return rune(s[i]), len(s) - i
		}
	}
	return 0, 1
}

// uniqueName returns name, or name-2, name-3… (before the extension), whichever is not
// yet used in dir.
func uniqueName(used map[string]bool, dir, name string) string {
	ext := path.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	cand := name
	for k := 2; used[dir+"/"+cand]; k++ {
		cand = stem + "-" + strconv.Itoa(k) + ext
	}
	used[dir+"/"+cand] = true
	return cand
}

// Label Studio's import format (labelstud.io/guide/tasks): a list of tasks, each with
// its data, the model's prediction and, for a decided image, the person's annotation,
// under a Choices control named "choice" over an Image named "image".
type lsTask struct {
	Data        map[string]string `json:"data"`
	Predictions []lsResultSet     `json:"predictions"`
	Annotations []lsResultSet     `json:"annotations,omitempty"`
}

type lsResultSet struct {
	ModelVersion string     `json:"model_version,omitempty"`
	Score        *float64   `json:"score,omitempty"`
	Result       []lsResult `json:"result"`
}

type lsResult struct {
	FromName string              `json:"from_name"`
	ToName   string              `json:"to_name"`
	Type     string              `json:"type"`
	Value    map[string][]string `json:"value"`
	Score    *float64            `json:"score,omitempty"`
}

// LabelStudioConfig is the labelling interface the export's tasks fit: paste it into
// the Label Studio project's settings, with the project's labels as choices.
func (p *Project) LabelStudioConfig() string {
	var b strings.Builder
	b.WriteString("<View>\n  <Image name=\"image\" value=\"$image\"/>\n  <Choices name=\"choice\" toName=\"image\">\n")
	for _, l := range p.Labels {
		b.WriteString("    <Choice value=\"")
		xmlEscape(&b, l)
		b.WriteString("\"/>\n")
	}
	b.WriteString("  </Choices>\n</View>\n")
	return b.String()
}

func xmlEscape(b *strings.Builder, s string) {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")
	b.WriteString(r.Replace(s))
}

// WriteLabelStudio writes the tasks as Label Studio imports them: data.image is
// urlPrefix + the file's path (where the images will be served from), the prediction is
// the model's top-1 with its score and model_version, and an accepted or corrected
// image carries the person's choice as an annotation. Skipped and unscored images have
// no prediction.
func (p *Project) WriteLabelStudio(w io.Writer, urlPrefix string) error {
	tasks := []lsTask{}
	for _, im := range p.Images {
		t := lsTask{Data: map[string]string{"image": urlPrefix + im.File}, Predictions: []lsResultSet{}}
		if len(im.Top) > 0 {
			s := im.Top[0].Prob
			t.Predictions = append(t.Predictions, lsResultSet{ModelVersion: p.Model, Score: &s,
				Result: []lsResult{choice(im.Top[0].Label, &s)}})
		}
		if im.State.Decided() {
			t.Annotations = []lsResultSet{{Result: []lsResult{choice(im.Label, nil)}}}
		}
		tasks = append(tasks, t)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", " ")
	if err := enc.Encode(tasks); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func choice(label string, score *float64) lsResult {
	return lsResult{FromName: "choice", ToName: "image", Type: "choices", Value: map[string][]string{"choices": {label}}, Score: score}
}
