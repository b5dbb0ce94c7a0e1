//go:build !js

package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/clip-go/clip/app/project"
	"github.com/clip-go/clip/model/zeroshot"
	"github.com/clip-go/clip/wasm/engine"
	"github.com/clip-go/clip/wasm/quanttest"
)

// item is one image of the labelling view as shown.
type item struct {
	File    string   `json:"file"`
	State   string   `json:"state"`
	Label   string   `json:"label"`
	Conf    float64  `json:"conf"`
	Top     int      `json:"top"`     // number of suggestions shown
	Choices []string `json:"choices"` // their labels, in order
	Err     string   `json:"err"`
	Thumb   bool     `json:"thumb"`
}

func (p *tab) items(t *testing.T) []item {
	t.Helper()
	var items []item
	p.eval(t, `Array.from(document.querySelectorAll("[data-testid=label-item]")).map((e) => ({
		file: e.dataset.file, state: e.dataset.state, label: e.dataset.label, conf: parseFloat(e.dataset.conf),
		top: e.querySelectorAll(".choices li").length, choices: Array.from(e.querySelectorAll(".choices li")).map((c) => c.dataset.label), err: (e.querySelector(".card-error") || {}).textContent || "",
		thumb: (e.querySelector("img.thumb").getAttribute("src") || "").startsWith("blob:")}))`, &items)
	return items
}

// textOf is the text of the first element sel matches ("" if none).
func (p *tab) textOf(t *testing.T, sel string) string {
	t.Helper()
	var s string
	p.eval(t, `(document.querySelector(`+jsString(sel)+`) || {}).textContent || ""`, &s)
	return s
}

func (p *tab) text(t *testing.T, testid string) string {
	t.Helper()
	var s string
	p.eval(t, `(document.querySelector("[data-testid=`+testid+`]") || {}).textContent || ""`, &s)
	return s
}

// setField sets a field's value and sends the event the page listens for, as a paste does.
func (p *tab) setField(t *testing.T, sel, value, event string) {
	t.Helper()
	p.eval(t, `(() => { const el = document.querySelector(`+jsString(sel)+`); el.value = `+jsString(value)+`;
		el.dispatchEvent(new Event(`+jsString(event)+`, {bubbles: true})); return true; })()`, nil)
}

// waitStored waits until IndexedDB holds a project whose images are want's files with
// their states and labels (state "error": an image that did not decode; label "": any),
// so that a reload that follows tests what the page keeps.
func (p *tab) waitStored(t *testing.T, want map[string][2]string) {
	t.Helper()
	p.waitFor(t, "IndexedDB to hold the states", func() bool {
		var saved []string
		p.eval(t, `window.clipStore.projects()`, &saved)
		for _, js := range saved {
			var pr project.Project
			if json.Unmarshal([]byte(js), &pr) == nil && storedMatches(&pr, want) {
				return true
			}
		}
		return false
	})
}

// waitStates waits until the view shows want's files with their states and labels, as
// waitStored reads want.
func (p *tab) waitStates(t *testing.T, when string, want map[string][2]string) {
	t.Helper()
	p.waitFor(t, "the states "+when, func() bool {
		got := p.items(t)
		if len(got) != len(want) {
			return false
		}
		for _, it := range got {
			if !wanted(want, it.File, it.State, it.Label, it.Err != "") {
				return false
			}
		}
		return true
	})
}

// reloadKeeps waits until IndexedDB holds want, reloads the page, opens the labelling
// view and waits for it to show want again.
func (p *tab) reloadKeeps(t *testing.T, want map[string][2]string) {
	t.Helper()
	p.waitStored(t, want)
	p.run(t, chromedp.Reload())
	p.openLabeller(t)
	p.waitStates(t, "after a reload", want)
}

// screenshots saves the page at 1280×800 and 390×844 as name-WxH.png.
func (p *tab) screenshots(t *testing.T, name string) {
	t.Helper()
	p.screenshot(t, name+"-1280x800.png", 1280, 800)
	p.screenshot(t, name+"-390x844.png", 390, 844)
	p.run(t, chromedp.EmulateViewport(1280, 800))
}

func storedMatches(pr *project.Project, want map[string][2]string) bool {
	if len(pr.Images) != len(want) {
		return false
	}
	for _, im := range pr.Images {
		if !wanted(want, im.File, string(im.State), im.Final(), im.Err != "") {
			return false
		}
	}
	return true
}

// wanted says whether an image is as want has it: state "error" for one that did not
// decode, else its state, and its label unless want's is "".
func wanted(want map[string][2]string, file, state, label string, failed bool) bool {
	w, ok := want[file]
	switch {
	case !ok:
		return false
	case w[0] == "error":
		return failed
	}
	return state == w[0] && (w[1] == "" || label == w[1])
}

// downloadsTo lets the tab download files, into a new temporary folder it returns.
func (p *tab) downloadsTo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	p.run(t, browser.SetDownloadBehavior(browser.SetDownloadBehaviorBehaviorAllow).WithDownloadPath(dir))
	return dir
}

func (p *tab) openLabeller(t *testing.T) {
	t.Helper()
	p.waitStatus(t, "ready")
	p.run(t, chromedp.Click("#view-label", chromedp.ByQuery), chromedp.WaitVisible("#project-labels", chromedp.ByQuery))
}

// TestLabelling: a labelling project in the page. Eight images (one that does not
// decode) and a text file are added under three labels: the text file is skipped and
// counted, the broken image is marked, the others get the engine's top-1, least
// confident first. By keyboard only: 2 picks the second suggestion, Enter accepts,
// Delete skips, a typed label (new to the list) is set, u undoes it, it is typed again,
// arrows move. The threshold's preview counts what it accepts. After a reload every
// state is still there. The exports (CSV, JSON lines, Label Studio, zip with the
// image bytes) agree with the states, and the unpacked zip is read by clip eval's loader.
func TestLabelling(t *testing.T) {
	s := newSite(t)
	files := map[string][]byte{"notes.txt": []byte("not an image"), "broken.png": []byte("\x89PNG\r\n\x1a\nbroken")}
	order := []string{"notes.txt", "broken.png"}
	for i := range 7 {
		name := fmt.Sprintf("img%d.png", i)
		files[name] = quanttest.PNG(t, 40+3*i, 36, uint64(200+i))
		order = append(order, name)
	}
	paths := s.images(t, files, order...)
	p := s.open(t, "/")
	downloads := p.downloadsTo(t)
	p.openLabeller(t)

	labels := []string{"red", "green", "blue"}
	p.setField(t, "#project-labels", strings.Join(labels, "\n"), "change")
	p.run(t, chromedp.SetUploadFiles("#label-images", paths, chromedp.ByQuery))
	var items []item
	defer func() {
		if t.Failed() {
			t.Logf("items %+v; error %q; busy %q; message %q; status %q", p.items(t), p.text(t, "label-error"), p.text(t, "label-busy"), p.text(t, "label-msg"), p.text(t, "status"))
		}
	}()
	p.waitFor(t, "8 images scored or marked", func() bool {
		items = p.items(t)
		if len(items) != 8 {
			return false
		}
		for _, it := range items {
			if it.Top != 3 && it.Err == "" || !it.Thumb {
				return false
			}
		}
		return true
	})
	if msg := p.text(t, "label-msg"); !strings.Contains(msg, "Added 8 images") || !strings.Contains(msg, "Skipped 1 files that are not images") {
		t.Errorf("message %q", msg)
	}
	last := items[len(items)-1]
	if last.File != "broken.png" || last.Err == "" {
		t.Errorf("the broken image should be marked and last: %+v", last)
	}
	// Least confident first, and each top-1 the engine's.
	clip7, _ := zeroshot.TemplateSet(zeroshot.DefaultTemplateSet)
	native := s.native(t)
	clf, err := zeroshot.Build(native.m, labels, clip7, false)
	if err != nil {
		t.Fatal(err)
	}
	for k, it := range items[:7] {
		if k > 0 && it.Conf < items[k-1].Conf {
			t.Errorf("order: %s (%.3f) after %s (%.3f)", it.File, it.Conf, items[k-1].File, items[k-1].Conf)
		}
		feats, _, err := native.m.EncodeImageFiles([]string{filepath.Join(filepath.Dir(paths[0]), it.File)})
		if err != nil {
			t.Fatal(err)
		}
		want := clf.Top(feats[0], 3)
		if it.Label != want[0].Label || it.State != "suggested" || abs(it.Conf-want[0].Prob) > 1e-4 {
			t.Errorf("%s: %s %q %.5f, the engine %q %.5f", it.File, it.State, it.Label, it.Conf, want[0].Label, want[0].Prob)
		}
	}
	// The keyboard review.
	second := func(file string) string {
		feats, _, _ := native.m.EncodeImageFiles([]string{filepath.Join(filepath.Dir(paths[0]), file)})
		return clf.Top(feats[0], 3)[1].Label
	}
	p.run(t, chromedp.Focus("[data-testid=label-list]", chromedp.ByQuery),
		chromedp.KeyEvent("2"), chromedp.KeyEvent(kb.Enter), chromedp.KeyEvent(kb.Delete),
		chromedp.KeyEvent("purple"), chromedp.KeyEvent(kb.Enter))
	p.waitFor(t, "purple set", func() bool { return p.items(t)[3].Label == "purple" })
	p.run(t, chromedp.KeyEvent("u"))
	p.waitFor(t, "purple undone", func() bool { return p.items(t)[3].State == "suggested" })
	p.run(t, chromedp.KeyEvent("purple"), chromedp.KeyEvent(kb.Enter), chromedp.KeyEvent(kb.ArrowUp), chromedp.KeyEvent(kb.ArrowDown))
	want := map[string][2]string{ // file → state, label
		items[0].File: {"corrected", second(items[0].File)},
		items[1].File: {"accepted", items[1].Label},
		items[2].File: {"skipped", ""},
		items[3].File: {"corrected", "purple"},
	}
	for _, it := range items[4:7] {
		want[it.File] = [2]string{"accepted", it.Label}
	}
	want["broken.png"] = [2]string{"suggested", ""}
	p.waitFor(t, "the keyboard's choices", func() bool {
		got := p.items(t)
		return got[3].State == "corrected" && got[3].Label == "purple"
	})
	// Accept the rest above 0: the preview counts them per label.
	p.setField(t, "#threshold", "0", "input")
	p.waitFor(t, "the preview", func() bool { return strings.Contains(p.text(t, "accept-preview"), "Accepts 3 suggestions") })
	preview := p.text(t, "accept-preview")
	counts := map[string]int{}
	for _, it := range items[4:7] {
		counts[it.Label]++
	}
	for l, n := range counts {
		if !strings.Contains(preview, fmt.Sprintf("%s %d", l, n)) {
			t.Errorf("preview %q lacks %s %d", preview, l, n)
		}
	}
	p.run(t, chromedp.Click("#accept-above", chromedp.ByQuery))
	p.waitStates(t, "after the review", want)
	var projectLabels string
	p.eval(t, `document.querySelector("#project-labels").value`, &projectLabels)
	if projectLabels != "red\ngreen\nblue\npurple" {
		t.Errorf("labels %q: want purple added", projectLabels)
	}
	p.screenshots(t, "labelling")
	p.reloadKeeps(t, want) // IndexedDB

	// The exports.
	want["broken.png"] = [2]string{"error", ""}
	set := checkExports(t, p, downloads, "Project 1", want, files, clip7, 3)
	if !slices.Contains(set.Classes, "purple") {
		t.Errorf("clip eval reads classes %q", set.Classes)
	}
	p.checkClean(t)
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestLabellingStorageFull: a suggestion picked by a tap and undone with the Undo button;
// when the browser's storage refuses an image (the store's test
// hook lowers its limit the way a full quota does), the import stops with a clear message
// and the images labelled before it are kept, across a reload.
func TestLabellingStorageFull(t *testing.T) {
	s := newSite(t)
	files := map[string][]byte{}
	var names []string
	for i := range 4 {
		names = append(names, fmt.Sprintf("q%d.png", i))
		files[names[i]] = quanttest.PNG(t, 30+i, 30, uint64(300+i))
	}
	paths := s.images(t, files, names...)
	p := s.open(t, "/")
	p.openLabeller(t)
	p.setField(t, "#project-labels", "cat\ndog", "change")
	p.run(t, chromedp.SetUploadFiles("#label-images", paths[:2], chromedp.ByQuery))
	p.waitFor(t, "two images scored", func() bool {
		items := p.items(t)
		return len(items) == 2 && items[0].Top == 2 && items[1].Top == 2
	})
	p.run(t, chromedp.Focus("[data-testid=label-list]", chromedp.ByQuery), chromedp.KeyEvent(kb.Enter))
	var shown []item
	p.waitFor(t, "one accepted", func() bool { shown = p.items(t); return shown[0].State == "accepted" })
	// On a phone: tap the second row's second suggestion, then Undo.
	p.run(t, chromedp.Click(`[data-testid=label-item]:nth-child(2) .choices li:nth-child(2)`, chromedp.ByQuery))
	p.waitFor(t, "the tapped suggestion", func() bool {
		it := p.items(t)[1]
		return it.State == "corrected" && it.Label == shown[1].Choices[1]
	})
	p.run(t, chromedp.Click("#undo", chromedp.ByQuery))
	p.waitFor(t, "the tap undone", func() bool { return p.items(t)[1].State == "suggested" })
	p.eval(t, `window.clipStore.limitBytes = 1; true`, nil)
	p.run(t, chromedp.SetUploadFiles("#label-images", paths[2:], chromedp.ByQuery))
	p.waitFor(t, "the storage error", func() bool { return strings.Contains(p.text(t, "label-error"), "storage") })
	msg := p.text(t, "label-error")
	if !strings.Contains(msg, "Stopped after 0 of 2 images") || !strings.Contains(msg, "full") {
		t.Errorf("message %q", msg)
	}
	p.waitStored(t, map[string][2]string{shown[0].File: {"accepted", ""}, shown[1].File: {"suggested", ""}})
	p.run(t, chromedp.Reload())
	p.openLabeller(t)
	var items []item
	p.waitFor(t, "the two images after a reload", func() bool {
		items = p.items(t)
		return len(items) == 2 && items[0].Thumb
	})
	if items[0].State != "accepted" || items[1].State != "suggested" {
		t.Errorf("after the reload: %+v", items)
	}
}

// TestLabellingModelChange: images dropped on the page join the project; another model,
// picked mid-project, re-scores every image
// with it (each encoded once more, as the engine does with that model) while the
// corrected label stays; a label that is HTML shows as text; a CSV of labels (another
// tool's columns) resumes a choice; a second project sits beside the first, and deleting
// the first (after a question) removes it and its images from storage.
func TestLabellingModelChange(t *testing.T) {
	s := newSite(t)
	files := map[string][]byte{}
	var names []string
	for i := range 3 {
		names = append(names, fmt.Sprintf("m%d.png", i))
		files[names[i]] = quanttest.PNG(t, 36, 30+i, uint64(400+i))
	}
	paths := s.images(t, files, names...)
	p := s.open(t, "/")
	p.openLabeller(t)
	labels := []string{"cat", xssLabel, "dog"}
	p.setField(t, "#project-labels", strings.Join(labels, "\n"), "change")
	// Dropped on the page, as the browser delivers a drop: a DataTransfer holding Files.
	var add []string
	for _, n := range names {
		add = append(add, fmt.Sprintf(`dt.items.add(new File([Uint8Array.from(atob(%q), (c) => c.charCodeAt(0))], %q, {type: "image/png"}));`,
			base64.StdEncoding.EncodeToString(files[n]), n))
	}
	p.eval(t, `(() => { const dt = new DataTransfer(); `+strings.Join(add, "\n")+`
		const el = document.querySelector(".labeller");
		el.dispatchEvent(new DragEvent("dragover", {dataTransfer: dt, bubbles: true, cancelable: true}));
		el.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true})); return true; })()`, nil)
	p.waitFor(t, "three images scored", func() bool {
		items := p.items(t)
		return len(items) == 3 && items[0].Top == 3 && items[2].Top == 3
	})
	p.run(t, chromedp.Focus("[data-testid=label-list]", chromedp.ByQuery), chromedp.KeyEvent("3"))
	var first item
	p.waitFor(t, "the first image corrected", func() bool {
		first = p.items(t)[0]
		return first.State == "corrected"
	})
	before := p.stats(t)

	picked := filepath.Join(t.TempDir(), "picked-int4.safetensors")
	data := quanttest.Model(t, quanttest.TinyConfig, 4, 32, 6)
	os.WriteFile(picked, data, 0o644)
	p.run(t, chromedp.Click("#view-classify", chromedp.ByQuery),
		chromedp.SetUploadFiles("#model-file", []string{picked}, chromedp.ByQuery))
	p.waitFor(t, "the 4-bit model", func() bool { return strings.Contains(p.text(t, "status"), "picked-int4.safetensors: ready") })
	p.run(t, chromedp.Click("#view-label", chromedp.ByQuery))
	m, err := engine.Load(data, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	clip7, _ := zeroshot.TemplateSet(zeroshot.DefaultTemplateSet)
	clf, err := zeroshot.Build(m, labels, clip7, false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]zeroshot.Prediction{}
	for i, path := range paths {
		feats, _, err := m.EncodeImageFiles([]string{path})
		if err != nil {
			t.Fatal(err)
		}
		want[names[i]] = clf.Top(feats[0], 1)[0]
	}
	p.waitFor(t, "the scores of the new model", func() bool {
		for _, it := range p.items(t) {
			if abs(it.Conf-want[it.File].Prob) > 1e-4 {
				return false
			}
		}
		return true
	})
	for _, it := range p.items(t) {
		if it.File == first.File {
			if it.State != "corrected" || it.Label != first.Label {
				t.Errorf("the corrected image after the model change: %+v, want %+v", it, first)
			}
		} else if it.Label != want[it.File].Label {
			t.Errorf("%s: suggestion %q, the new model's %q", it.File, it.Label, want[it.File].Label)
		}
	}
	// The worker's counters start again with each model: 3 images, each encoded once.
	if after := p.stats(t); before.Images != 3 || after.Images != 3 {
		t.Errorf("%d then %d images encoded by the two models, want 3 each", before.Images, after.Images)
	}
	var xss struct {
		Injected int  `json:"injected"`
		Literal  bool `json:"literal"`
	}
	p.eval(t, `({injected: document.querySelectorAll('img[src="x"]').length,
		literal: document.querySelector("#project-labels").value.includes(`+jsString(xssLabel)+`) &&
			Array.from(document.querySelectorAll(".choices li")).some((e) => e.textContent.includes(`+jsString(xssLabel)+`))})`, &xss)
	if xss.Injected != 0 || !xss.Literal {
		t.Errorf("the HTML label: %d injected elements, shown as text %v", xss.Injected, xss.Literal)
	}

	csvFile := filepath.Join(t.TempDir(), "labels.csv")
	os.WriteFile(csvFile, []byte("Label,File\nhorse,"+names[2]+"\nzebra,not-here.png\n"), 0o644)
	p.run(t, chromedp.SetUploadFiles("#import-csv", []string{csvFile}, chromedp.ByQuery))
	p.waitFor(t, "the CSV applied", func() bool { return strings.Contains(p.text(t, "label-msg"), "Set 1 labels") })
	if msg := p.text(t, "label-msg"); !strings.Contains(msg, "1 rows name files not in this project") {
		t.Errorf("message %q", msg)
	}
	for _, it := range p.items(t) {
		if it.File == names[2] && (it.State != "corrected" || it.Label != "horse") {
			t.Errorf("after the CSV: %+v", it)
		}
	}

	// A second project beside the first; deleting the first asks, then removes it and its
	// images from storage.
	tabs := func() []string {
		var out []string
		p.eval(t, `Array.from(document.querySelectorAll("[data-testid=project-tab]")).map((e) => e.textContent)`, &out)
		return out
	}
	var stored []string
	p.eval(t, `window.clipStore.projects()`, &stored)
	var saved struct {
		ID     string
		Images []struct{ ID string }
	}
	json.Unmarshal([]byte(stored[0]), &saved)
	p.run(t, chromedp.Click("#new-project", chromedp.ByQuery))
	p.waitFor(t, "two projects", func() bool { return len(tabs()) == 2 })
	p.run(t, chromedp.Click("[data-testid=project-tab]", chromedp.ByQuery), chromedp.Click("#delete-project", chromedp.ByQuery))
	p.waitFor(t, "the question", func() bool { return len(tabs()) == 2 && strings.Contains(p.textOf(t, ".confirm"), "3 images") })
	p.run(t, chromedp.Click("#delete-confirmed", chromedp.ByQuery))
	p.waitFor(t, "one project left, and the deleted one's images gone from storage", func() bool {
		var left int
		var blob bool
		p.eval(t, `(async () => (await window.clipStore.projects()).length)()`, &left)
		p.eval(t, `(async () => !!(await window.clipStore.getBlob(`+jsString(saved.ID+"/"+saved.Images[0].ID)+`)))()`, &blob)
		return len(tabs()) == 1 && left == 1 && !blob
	})
	if got := tabs(); !strings.HasPrefix(got[0], "Project 2: 0 images") {
		t.Errorf("tabs after the delete: %q", got)
	}
	p.checkClean(t)
}
