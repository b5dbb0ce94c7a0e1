//go:build js && wasm

package main

import (
	"fmt"
	"strconv"
	"strings"
	"syscall/js"
	"time"
	"unicode/utf8"

	"github.com/clip-go/clip/app/core"
	"github.com/clip-go/clip/app/project"
	"github.com/vugu/vugu"
)

// Labeller is the labelling view (labeller.vugu): projects of images whose suggested
// labels the person reviews by keyboard, kept in IndexedDB, exported as files. It uses
// the page's model and worker (Root's); its state lives in labelling, so that it
// outlasts the component when the person switches views.
type Labeller struct {
	Root *Root
}

// labelState is the labelling view's state. Its fields are read and written with the
// event lock held.
type labelState struct {
	loaded        bool
	projects      []*project.Project
	cur           int // the project shown
	sel           int // the selected image, as a position in the shown order
	shownSel      int // the selection last scrolled into view
	byConf        bool
	typed         string // a label being typed for the selected image
	thresh        string // the accept-above threshold as typed
	valPct        string // the zip's validation share, in percent, as typed
	msg, err      string
	busy          string                    // what the background work is doing
	rescoring     bool                      // a re-score for a new model is under way
	thumbs        map[string]string         // blob key → object URL
	dirty         map[*project.Project]bool // changed since their last write
	saving        bool                      // a write is under way (labelwork.go's flush)
	confirmDelete bool                      // the delete button asks again
}

var labelling = &labelState{thresh: "0.9", valPct: "0", byConf: true, thumbs: map[string]string{}}

// Init loads the saved projects the first time the view opens.
func (c *Labeller) Init(vugu.InitCtx) {
	if !labelling.loaded {
		labelling.loaded = true
		go c.loadSaved()
	}
}

// Compute, before each render, starts a re-score of the shown project when the page's
// model is not the one its scores came from (a model loaded since, or none then): the
// worker encodes each image once for the new model, with progress, and decided labels
// stay.
func (c *Labeller) Compute() {
	p, s := c.project(), c.st()
	m := c.Root.model
	if p == nil || len(p.Images) == 0 || len(p.Labels) == 0 || m.Phase != phaseReady || p.Model == m.Info.ID || s.rescoring {
		return
	}
	s.rescoring = true
	go func() {
		c.rescore(p)
		c.Root.env.Lock()
		s.rescoring = false
		c.Root.unlockRender()
	}()
}

func (c *Labeller) st() *labelState { return labelling }

// Rendered keeps the selected image in view after the keyboard moved the selection.
func (c *Labeller) Rendered() {
	s := c.st()
	if s.sel == s.shownSel {
		return
	}
	s.shownSel = s.sel
	if el := js.Global().Get("document").Call("querySelector", ".litem.selected"); el.Truthy() {
		el.Call("scrollIntoView", map[string]any{"block": "nearest"})
	}
}

// project is the shown project, or nil.
func (c *Labeller) project() *project.Project {
	s := c.st()
	if s.cur < 0 || s.cur >= len(s.projects) {
		return nil
	}
	return s.projects[s.cur]
}

// order is the shown project's images in the chosen order.
func (c *Labeller) order() []int {
	p := c.project()
	if p == nil {
		return nil
	}
	return p.Order(c.st().byConf)
}

// selected is the index of the selected image in the project, or -1.
func (c *Labeller) selected() int {
	o := c.order()
	s := c.st()
	if len(o) == 0 {
		return -1
	}
	s.sel = max(0, min(s.sel, len(o)-1))
	return o[s.sel]
}

// pressed is the view button's aria-pressed: whether view is the one shown.
func (c *Root) pressed(view string) string { return strconv.FormatBool(c.view == view) }

// Handlers.

func (c *Labeller) onNewProject(vugu.DOMEvent) {
	s := c.st()
	p := &project.Project{ID: strconv.FormatInt(time.Now().UnixNano(), 36), Name: fmt.Sprintf("Project %d", len(s.projects)+1)}
	if l := c.Root.labels; len(l) > 0 {
		p.Labels = append([]string(nil), l...) // start from the classify view's labels
	}
	s.projects = append(s.projects, p)
	s.cur, s.sel, s.msg, s.err = len(s.projects)-1, 0, "", ""
	c.save(p)
}

// onDelete asks first: the second button deletes the project, its images and choices.
func (c *Labeller) onDelete(vugu.DOMEvent) { c.st().confirmDelete = true }

func (c *Labeller) onKeep(vugu.DOMEvent) { c.st().confirmDelete = false }

func (c *Labeller) onDeleteConfirmed(vugu.DOMEvent) {
	s, p := c.st(), c.project()
	s.confirmDelete = false
	if p == nil {
		return
	}
	var keys []any
	for _, im := range p.Images {
		keys = append(keys, blobKey(p, im))
		if u := s.thumbs[blobKey(p, im)]; u != "" {
			js.Global().Get("URL").Call("revokeObjectURL", u)
			delete(s.thumbs, blobKey(p, im))
		}
	}
	s.projects = append(s.projects[:s.cur:s.cur], s.projects[s.cur+1:]...)
	delete(s.dirty, p)
	s.cur, s.sel, s.msg = max(0, s.cur-1), 0, "Deleted "+p.Name+"."
	if len(s.projects) == 0 {
		c.onNewProject(nil)
	}
	go func() {
		if _, err := await(store().Call("deleteProject", p.ID, keys)); err != nil {
			c.setErr(fmt.Errorf("could not delete the project's storage: %v", err))
		}
	}()
}

func (c *Labeller) deleteText() string {
	p := c.project()
	if p == nil {
		return ""
	}
	return fmt.Sprintf("Delete %s and its %d images from this browser?", p.Name, len(p.Images))
}

func (c *Labeller) onPickProject(i int) {
	s := c.st()
	s.cur, s.sel, s.typed, s.msg, s.err = i, 0, "", "", ""
	go c.loadThumbs(c.project())
}

func (c *Labeller) onProjectName(e vugu.DOMEvent) {
	if p := c.project(); p != nil {
		p.Name = js.Value(e.JSEventTarget()).Get("value").String()
		c.save(p)
	}
}

func (c *Labeller) onLabels(e vugu.DOMEvent) {
	p := c.project()
	if p == nil {
		return
	}
	labels, err := core.ParseLabels(js.Value(e.JSEventTarget()).Get("value").String())
	if err == nil {
		err = p.SetLabels(labels)
	}
	if err != nil {
		c.st().err = err.Error()
		return
	}
	c.st().err = ""
	c.save(p)
	go c.rescore(p)
}

func (c *Labeller) onImages(e vugu.DOMEvent) {
	t := js.Value(e.JSEventTarget())
	files := refsOfInput(t.Get("files"))
	t.Set("value", "")
	if p := c.project(); p != nil {
		go c.importFiles(p, files)
	}
}

// onPickFolder opens the browser's folder picker (File System Access), in the click's
// user gesture as the browser requires.
func (c *Labeller) onPickFolder(vugu.DOMEvent) {
	if p := c.project(); p != nil {
		go c.importFrom(p, store().Call("pickFolder"))
	}
}

func (c *Labeller) canPickFolder() bool { return store().Call("canPickFolder").Bool() }

// dropToLabeller imports a drop on the page while the labelling view is shown: the
// files, and dropped folders walked. The caller holds the event lock, in the drop event.
func (c *Root) dropToLabeller(dt js.Value) {
	l := &Labeller{Root: c}
	if p := l.project(); p != nil {
		go l.importFrom(p, store().Call("filesFromDrop", dt)) // listed now, read later
	}
}

func (c *Labeller) onSort(e vugu.DOMEvent) {
	c.st().byConf = js.Value(e.JSEventTarget()).Get("value").String() == "confidence"
	c.st().sel = 0
}

func (c *Labeller) onThreshold(e vugu.DOMEvent) {
	c.st().thresh = js.Value(e.JSEventTarget()).Get("value").String()
}

func (c *Labeller) onValPct(e vugu.DOMEvent) {
	c.st().valPct = js.Value(e.JSEventTarget()).Get("value").String()
}

func (c *Labeller) onAcceptAbove(vugu.DOMEvent) {
	p := c.project()
	th, ok := c.threshold()
	if p == nil || !ok {
		return
	}
	n := p.AcceptAbove(th)
	c.st().msg = fmt.Sprintf("Accepted %d suggestions (u undoes).", n)
	c.save(p)
}

// onKey is the keyboard review: 1–5 pick a suggestion, Enter accepts (or sets the typed
// label), arrows move, Delete skips, u undoes, any other character starts or continues
// a typed label (Backspace edits it, Escape drops it).
func (c *Labeller) onKey(e vugu.DOMEvent) {
	ev := js.Value(e.JSEvent())
	if ev.Get("ctrlKey").Bool() || ev.Get("metaKey").Bool() || ev.Get("altKey").Bool() {
		return
	}
	p, s := c.project(), c.st()
	i := c.selected()
	if p == nil || i < 0 {
		return
	}
	key := ev.Get("key").String()
	var err error
	advance := false
	switch {
	case key == "ArrowDown" || key == "ArrowRight":
		s.sel = min(s.sel+1, len(p.Images)-1)
	case key == "ArrowUp" || key == "ArrowLeft":
		s.sel = max(0, s.sel-1)
	case key == "Escape":
		s.typed = ""
	case key == "Backspace":
		if s.typed != "" {
			_, size := utf8.DecodeLastRuneInString(s.typed)
			s.typed = s.typed[:len(s.typed)-size]
		}
	case key == "Enter" && s.typed != "":
		err, advance = p.SetLabel(i, s.typed), true
		s.typed = ""
	case key == "Enter":
		err, advance = p.Accept(i), true
	case s.typed == "" && len(key) == 1 && key >= "1" && key <= "5":
		err, advance = p.Pick(i, int(key[0]-'1')), true
	case s.typed == "" && key == "u":
		if j := p.Undo(); j >= 0 {
			c.selectImage(j)
		}
	case key == "Delete":
		err, advance = p.Skip(i), true
	case utf8.RuneCountInString(key) == 1:
		s.typed += key
	default:
		return // Tab and the rest keep their usual meaning
	}
	e.PreventDefault()
	if err != nil {
		s.err = err.Error()
		return
	}
	s.err = ""
	// The review order is by confidence, which a choice does not change, so the next
	// image is the next one in the list.
	if advance {
		s.sel++
		if s.sel >= len(p.Images) {
			s.sel = len(p.Images) - 1
		}
	}
	c.save(p)
}

func (c *Labeller) selectImage(i int) {
	for pos, j := range c.order() {
		if j == i {
			c.st().sel = pos
		}
	}
}

func (c *Labeller) onClickImage(i int) { c.selectImage(i) }

// onChoice picks a suggestion by tapping it (a phone has no digit keys at hand).
func (c *Labeller) onChoice(e vugu.DOMEvent, i, k int) {
	e.StopPropagation() // the row's own click would select it again
	p, s := c.project(), c.st()
	if p == nil {
		return
	}
	if err := p.Pick(i, k); err != nil {
		s.err = err.Error()
		return
	}
	c.selectImage(i)
	s.sel++
	s.err = ""
	c.save(p)
}

func (c *Labeller) onUndo(vugu.DOMEvent) {
	if p := c.project(); p != nil {
		if j := p.Undo(); j >= 0 {
			c.selectImage(j)
		}
		c.save(p)
	}
}

func (c *Labeller) canUndo() bool { p := c.project(); return p != nil && p.CanUndo() }

func (c *Labeller) onExport(kind string) { go c.export(c.project(), kind) }

// onWriteFolders asks for a folder (in the click's user gesture, as the browser
// requires) and writes the sorted label/file folders into it.
func (c *Labeller) onWriteFolders(vugu.DOMEvent) {
	if p := c.project(); p != nil {
		go c.writeFolders(p, store().Call("pickWritableFolder"))
	}
}

func (c *Labeller) onImportCSV(e vugu.DOMEvent) {
	t := js.Value(e.JSEventTarget())
	files := filesOf(t.Get("files"))
	t.Set("value", "")
	if p := c.project(); p != nil && len(files) == 1 {
		go c.importCSV(p, files[0])
	}
}

// View helpers.

func (c *Labeller) threshold() (float64, bool) {
	th, err := strconv.ParseFloat(strings.TrimSpace(c.st().thresh), 64)
	return th, err == nil && th >= 0 && th <= 1
}

// previewText says how many suggestions the threshold accepts, and which labels.
func (c *Labeller) previewText() string {
	p := c.project()
	th, ok := c.threshold()
	if p == nil {
		return ""
	}
	if !ok {
		return "The threshold is a probability between 0 and 1."
	}
	idx, counts := p.AcceptPreview(th)
	var parts []string
	for _, n := range counts {
		parts = append(parts, fmt.Sprintf("%s %d", n.Label, n.N))
	}
	if len(idx) == 0 {
		return fmt.Sprintf("No suggestion at %.2f or above.", th)
	}
	return fmt.Sprintf("Accepts %d suggestions at %.2f or above: %s.", len(idx), th, strings.Join(parts, ", "))
}

func (c *Labeller) acceptCount() int {
	p := c.project()
	th, ok := c.threshold()
	if p == nil || !ok {
		return 0
	}
	idx, _ := p.AcceptPreview(th)
	return len(idx)
}

func (c *Labeller) labelsBox() string {
	if p := c.project(); p != nil {
		return strings.Join(p.Labels, "\n")
	}
	return ""
}

func (c *Labeller) tabClass(i int) string {
	if i == c.st().cur {
		return "tab current"
	}
	return "tab"
}

// currentAttr is a project button's aria-current: whether it is the project shown.
func (c *Labeller) currentAttr(i int) string { return strconv.FormatBool(i == c.st().cur) }

// announceText tells a screen reader the selected image: its name, place in the list,
// state and label, and the suggestions the number keys pick.
func (c *Labeller) announceText() string {
	p, i := c.project(), c.selected()
	if p == nil || i < 0 {
		return ""
	}
	im := p.Images[i]
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %d of %d: %s", im.File, c.st().sel+1, len(p.Images), im.State)
	if l := im.Final(); l != "" {
		fmt.Fprintf(&b, " %s", l)
	}
	if im.Err != "" {
		fmt.Fprintf(&b, " (%s)", im.Err)
	}
	for k, pr := range im.Top {
		sep := ", "
		if k == 0 {
			sep = ". Suggestions: "
		}
		b.WriteString(sep + predText(k, pr))
	}
	return b.String()
}

func (c *Labeller) itemClass(pos int) string {
	if pos == c.st().sel {
		return "litem selected"
	}
	return "litem"
}

func (c *Labeller) thumb(im *project.Image) string {
	if p := c.project(); p != nil {
		return c.st().thumbs[blobKey(p, im)]
	}
	return ""
}

func (c *Labeller) tallyText() string {
	p := c.project()
	if p == nil {
		return ""
	}
	t := p.Tally()
	return fmt.Sprintf("%d images: %d accepted, %d corrected, %d suggested, %d skipped",
		len(p.Images), t[project.Accepted], t[project.Corrected], t[project.Suggested], t[project.Skipped])
}

func (c *Labeller) typedText() string {
	if c.st().typed == "" {
		return "Type to give the selected image a new label."
	}
	return "New label: " + c.st().typed + " (Enter sets it, Escape drops it)"
}

func predText(k int, p project.Pred) string {
	return fmt.Sprintf("%d %s %s", k+1, p.Label, percent(p.Prob))
}
