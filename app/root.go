//go:build js && wasm

package main

import (
	"fmt"
	"sort"
	"strconv"
	"sync"
	"syscall/js"
	"time"

	"github.com/clip-go/clip/app/core"
	"github.com/clip-go/clip/model/zeroshot"
	"github.com/vugu/vugu"
)

// Root is the page (root.vugu): its state, and the handlers the markup calls. Handlers
// run with the event lock held; the goroutines that talk to the worker take it with
// env.Lock and release it with unlockRender, which schedules a render.
type Root struct {
	env  vugu.EventEnv
	pool *Pool // the engine's workers

	model      modelState
	previous   modelState // the model in use while another one loads
	stats      engineStats
	models     modelsView // the model picker (models.go)
	bundledSet string     // the bundled model's own template set, if it has one

	labelsText, labelsErr        string
	templateSet, customTemplates string
	templatesErr                 string
	labels, templates            []string
	version                      int // bumped by every change of labels or templates
	rescoreTimer                 *time.Timer

	// The queue's follow-ups, each one call at a time (core.Coalesced): every encoded image
	// asks for its scores and the counters, and asks that come while a call is out
	// are answered by the one call after it, not one call each.
	scoreNew, statsNow core.Coalesced

	items             []*imageItem
	nextID            int
	queued, processed int // the queue's progress since it was last empty
	kick              chan struct{}
	embeddings        map[string]js.Value      // model id + "/" + SHA-256 → Float32Array
	inflight          map[string]chan struct{} // the keys being encoded, closed when done
	embMu             sync.Mutex               // guards both (the queue encodes on several workers)

	sortBy, filter string   // how the cards are shown (core.Order)
	cards          cardList // the cards' DOM (cards.go)

	dragging bool
	view     string // "label" shows the labelling view (labeller.vugu), else the classify one
}

func newRoot(env vugu.EventEnv, pool *Pool) *Root {
	c := &Root{
		env: env, pool: pool, model: modelState{Phase: phaseLoading, Name: "default"},
		templateSet: zeroshot.DefaultTemplateSet, customTemplates: "a photo of a {}.", sortBy: core.SortGiven,
		kick: make(chan struct{}, 1), embeddings: map[string]js.Value{}, inflight: map[string]chan struct{}{},
	}
	c.scoreNew.Fn = func() { c.score(false) }
	c.statsNow.Fn = c.refreshStats
	c.labelsChanged()
	return c
}

// Handlers.

func (c *Root) onFiles(e vugu.DOMEvent) {
	t := js.Value(e.JSEventTarget())
	c.addFiles(filesOf(t.Get("files")))
	t.Set("value", "") // so that choosing the same files again is a change
}

// onFolder takes the images of a chosen folder (and its subfolders), in path order;
// other files are skipped.
func (c *Root) onFolder(e vugu.DOMEvent) {
	t := js.Value(e.JSEventTarget())
	files := imagesOnly(filesOf(t.Get("files")))
	sort.SliceStable(files, func(a, b int) bool { return relPath(files[a]) < relPath(files[b]) })
	c.addFiles(files)
	t.Set("value", "")
}

func relPath(f js.Value) string { return f.Get("webkitRelativePath").String() }

func (c *Root) onDragOver(e vugu.DOMEvent) {
	e.PreventDefault() // without it the browser opens the dropped file instead
	c.dragging = true
}

func (c *Root) onDragLeave(vugu.DOMEvent) { c.dragging = false }

func (c *Root) onDrop(e vugu.DOMEvent) {
	e.PreventDefault()
	c.dragging = false
	if dt := js.Value(e.JSEvent()).Get("dataTransfer"); dt.Truthy() && c.view == "label" {
		c.dropToLabeller(dt)
	} else if dt.Truthy() {
		files := filesOf(dt.Get("files"))
		if !c.takeModelFiles(files) { // a model's files load the model
			c.addFiles(imagesOnly(files))
		}
	}
}

func (c *Root) onLabels(e vugu.DOMEvent) {
	c.labelsText = js.Value(e.JSEventTarget()).Get("value").String()
	c.labelsChanged()
}

func (c *Root) onTemplateSet(e vugu.DOMEvent) {
	c.templateSet = js.Value(e.JSEventTarget()).Get("value").String()
	c.labelsChanged()
}

func (c *Root) onCustomTemplates(e vugu.DOMEvent) {
	c.customTemplates = js.Value(e.JSEventTarget()).Get("value").String()
	c.labelsChanged()
}

func (c *Root) onSort(e vugu.DOMEvent) { c.sortBy = js.Value(e.JSEventTarget()).Get("value").String() }

func (c *Root) onFilter(e vugu.DOMEvent) {
	c.filter = js.Value(e.JSEventTarget()).Get("value").String()
}

func (c *Root) onCancel(vugu.DOMEvent) { c.cancelQueued() }

func (c *Root) onClear(vugu.DOMEvent) { c.clearImages() }

func (c *Root) onModelFile(e vugu.DOMEvent) {
	t := js.Value(e.JSEventTarget())
	files := filesOf(t.Get("files"))
	t.Set("value", "")
	c.takeModelFiles(files)
}

// imagesOnly keeps the files whose type says image (a drop or a folder may bring
// anything).
func imagesOnly(files []js.Value) []js.Value {
	var out []js.Value
	for _, f := range files {
		if t := f.Get("type").String(); len(t) > 6 && t[:6] == "image/" {
			out = append(out, f)
		}
	}
	return out
}

// View helpers.

func (c *Root) statusText() string { return c.model.statusText() }

func (c *Root) statusClass() string { return "status " + c.model.Phase }

// workersAttr is the status line's data-workers: the engine workers holding the model.
func (c *Root) workersAttr() string { return strconv.Itoa(c.model.Workers) }

func (c *Root) queueActive() bool { return c.queued > 0 }

func (c *Root) queueText() string {
	return fmt.Sprintf("%d of %d images encoded", c.processed, c.queued)
}

// busyAttr is the cards' aria-busy while the queue runs. (The attribute is also what
// keeps the container dynamic: vugugen gives a static element an empty innerHTML on
// every render, which would wipe the cards that cards.go puts there.)
func (c *Root) busyAttr() string { return strconv.FormatBool(c.queueActive()) }

func (c *Root) queueMax() string   { return strconv.Itoa(c.queued) }
func (c *Root) queueValue() string { return strconv.Itoa(c.processed) }

func (c *Root) dropClass() string {
	if c.dragging {
		return "dropzone dragging"
	}
	return "dropzone"
}

// visibleItems are the cards to show, filtered and sorted as chosen.
func (c *Root) visibleItems() []*imageItem {
	tops := make([]core.Top1, len(c.items))
	for i, it := range c.items {
		if it.State == stateScored && len(it.Top) > 0 {
			tops[i] = core.Top1{Label: it.Top[0].Label, Prob: it.Top[0].Prob, OK: true}
		}
	}
	var out []*imageItem
	for _, i := range core.Order(tops, c.sortBy, c.filter) {
		out = append(out, c.items[i])
	}
	return out
}

func (c *Root) hiddenCount() int { return len(c.items) - len(c.visibleItems()) }

func (c *Root) hiddenText() string {
	return fmt.Sprintf("%d of %d images hidden by the filter.", c.hiddenCount(), len(c.items))
}

func (c *Root) summary() []core.Count {
	var top1 []string
	for _, it := range c.items {
		if it.State == stateScored && len(it.Top) > 0 {
			top1 = append(top1, it.Top[0].Label)
		}
	}
	return core.Summary(top1, c.labels)
}

func (c *Root) templateChoices() []string { return core.TemplateChoices() }

func (c *Root) isCustom() bool { return c.templateSet == core.CustomTemplates }

func templateTitle(name string) string {
	switch name {
	case zeroshot.DefaultTemplateSet:
		return name + " (default, as clip classify)"
	case core.CustomTemplates:
		return "my own sentences"
	}
	if t, err := zeroshot.TemplateSet(name); err == nil {
		if len(t) == 1 {
			return fmt.Sprintf("%s (%s)", name, t[0])
		}
		return fmt.Sprintf("%s (%d templates)", name, len(t))
	}
	return name
}

func (c *Root) countText(n core.Count) string { return fmt.Sprintf("%s: %d", n.Label, n.N) }

func cardNote(it *imageItem) string {
	switch it.State {
	case stateQueued:
		return "Waiting…"
	case stateEncoding:
		return "Encoding…"
	case stateEncoded:
		return "Type labels to classify."
	case stateCancelled:
		return "Cancelled."
	}
	return ""
}

func percent(p float64) string { return core.Percent(p) }

// probAttr keeps every digit, for the tests that compare with the engine.
func probAttr(p float64) string { return strconv.FormatFloat(p, 'g', -1, 64) }

func (c *Root) statsText() string {
	return fmt.Sprintf("Engine: %d images and %d prompts encoded, %d prompt cache hits.",
		c.stats.ImagesEncoded, c.stats.TextsEncoded, c.stats.TextCacheHits)
}
