// Package project is the labelling workflow's logic that needs no browser: a project's
// images with the model's top-5 and the person's choices, the keyboard's actions on
// them with undo, the review order, the bulk accept above a threshold, and the files a
// project is exported to or resumed from (export.go, import.go). The page (package app,
// js/wasm) renders it and keeps it in IndexedDB as JSON.
package project

import (
	"fmt"
	"sort"
	"strings"

	"github.com/clip-go/clip/model/zeroshot"
)

// State is where an image stands in the review.
type State string

const (
	Suggested State = "suggested" // the model's top-1, not yet looked at
	Accepted  State = "accepted"  // the person took the model's top-1
	Corrected State = "corrected" // the person chose another label
	Skipped   State = "skipped"   // the person left it out
)

// Decided says whether the person chose the image's label: new scores never change it.
func (s State) Decided() bool { return s == Accepted || s == Corrected }

// Pred is one of the model's top labels for an image, with its probability.
type Pred struct {
	Label string  `json:"label"`
	Prob  float64 `json:"prob"`
}

// Image is one image of a project.
type Image struct {
	ID    string `json:"id"`   // unique in the project; the key of its bytes in storage
	File  string `json:"file"` // its path as given (a folder's relative path, or the file's name)
	Hash  string `json:"hash"` // SHA-256 of the bytes, hex: the key of its embeddings
	Top   []Pred `json:"top,omitempty"`
	Label string `json:"label,omitempty"` // the person's label (Accepted, Corrected)
	State State  `json:"state"`
	Err   string `json:"err,omitempty"` // why it could not be scored (a file that does not decode)
}

// Final is the image's label as exported: the person's, or the suggestion, or "" for a
// skipped or unscored image.
func (im *Image) Final() string {
	switch {
	case im.State.Decided():
		return im.Label
	case im.State == Suggested && len(im.Top) > 0:
		return im.Top[0].Label
	}
	return ""
}

// Score is the model's probability for the final label, and whether the model's top-5
// holds it.
func (im *Image) Score() (float64, bool) {
	l := im.Final()
	for _, p := range im.Top {
		if p.Label == l && l != "" {
			return p.Prob, true
		}
	}
	return 0, false
}

// Confidence is the model's top-1 probability (-1 for an unscored image).
func (im *Image) Confidence() float64 {
	if len(im.Top) == 0 {
		return -1
	}
	return im.Top[0].Prob
}

// Project is a set of images and a label list.
type Project struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Labels    []string `json:"labels"`
	Templates []string `json:"templates,omitempty"` // the prompts the scores were made with
	Model     string   `json:"model,omitempty"`     // the scoring model's id
	Images    []*Image `json:"images"`

	undo []undoStep // not saved: undo is for this session's keystrokes
}

// undoStep restores images to what they were before one action, and the label list to
// its length then (an action adds at most labels at the end).
type undoStep struct {
	before  []Image
	index   []int
	nLabels int
}

// maxUndo bounds the undo history.
const maxUndo = 500

func (p *Project) remember(idx ...int) {
	st := undoStep{nLabels: len(p.Labels), index: idx}
	for _, i := range idx {
		st.before = append(st.before, *p.Images[i])
	}
	p.undo = append(p.undo, st)
	if len(p.undo) > maxUndo {
		p.undo = p.undo[len(p.undo)-maxUndo:]
	}
}

// Undo reverts the last action; it reports the first image it touched (-1 if there was
// nothing to undo).
func (p *Project) Undo() int {
	if len(p.undo) == 0 {
		return -1
	}
	st := p.undo[len(p.undo)-1]
	p.undo = p.undo[:len(p.undo)-1]
	for k, i := range st.index {
		if i < len(p.Images) {
			*p.Images[i] = st.before[k]
		}
	}
	if st.nLabels <= len(p.Labels) {
		p.Labels = p.Labels[:st.nLabels]
	}
	if len(st.index) == 0 {
		return -1
	}
	return st.index[0]
}

// CanUndo says whether Undo has something to revert.
func (p *Project) CanUndo() bool { return len(p.undo) > 0 }

func (p *Project) valid(i int) error {
	if i < 0 || i >= len(p.Images) {
		return fmt.Errorf("no image %d", i)
	}
	return nil
}

// Pick sets image i's label to its k-th suggestion (0-based): accepted for the top-1,
// corrected for the others.
func (p *Project) Pick(i, k int) error {
	if err := p.valid(i); err != nil {
		return err
	}
	im := p.Images[i]
	if k < 0 || k >= len(im.Top) {
		return fmt.Errorf("%s has no suggestion %d", im.File, k+1)
	}
	p.remember(i)
	im.Label = im.Top[k].Label
	im.State = Corrected
	if k == 0 {
		im.State = Accepted
	}
	return nil
}

// Accept takes image i's top-1 suggestion; an image already decided keeps its label.
func (p *Project) Accept(i int) error {
	if err := p.valid(i); err != nil {
		return err
	}
	im := p.Images[i]
	if im.State.Decided() {
		return nil
	}
	if len(im.Top) == 0 {
		return fmt.Errorf("%s has no suggestion yet", im.File)
	}
	return p.Pick(i, 0)
}

// SetLabel gives image i a label the person typed, adding it to the project's labels if
// it is new; a label of the list typed in other case is that label ("Umbrella" is
// "umbrella": a typed label cannot start with the undo key u). It counts as accepted
// when it is the model's top-1.
func (p *Project) SetLabel(i int, label string) error {
	if err := p.valid(i); err != nil {
		return err
	}
	clean, err := zeroshot.CleanLabels([]string{label})
	if err != nil || len(clean) != 1 {
		return fmt.Errorf("not a label: %q", label)
	}
	label = clean[0]
	for _, l := range p.Labels {
		if strings.EqualFold(l, label) {
			label = l
			break
		}
	}
	p.remember(i)
	p.addLabel(label)
	im := p.Images[i]
	im.Label, im.State = label, Corrected
	if len(im.Top) > 0 && im.Top[0].Label == label {
		im.State = Accepted
	}
	return nil
}

func (p *Project) addLabel(label string) {
	for _, l := range p.Labels {
		if l == label {
			return
		}
	}
	p.Labels = append(p.Labels, label)
}

// Skip leaves image i out of the labelled set.
func (p *Project) Skip(i int) error {
	if err := p.valid(i); err != nil {
		return err
	}
	p.remember(i)
	p.Images[i].Label, p.Images[i].State = "", Skipped
	return nil
}

// SetLabels replaces the label list (the labels box); the images' choices stay, and
// their suggestions are re-scored by the caller. Labels are cleaned as classify's are.
func (p *Project) SetLabels(labels []string) error {
	clean, err := zeroshot.CleanLabels(labels)
	if err != nil {
		return err
	}
	p.Labels = clean
	return nil
}

// SetScores records new top-5s (tops[k] for image idx[k]) from the labels and templates
// given; a decided image keeps its label, only its suggestions change.
func (p *Project) SetScores(idx []int, tops [][]Pred, model string, templates []string) {
	for k, i := range idx {
		if i >= 0 && i < len(p.Images) && k < len(tops) {
			p.Images[i].Top, p.Images[i].Err = tops[k], ""
		}
	}
	p.Model, p.Templates = model, templates
}

// Order returns image indices in review order: by confidence, lowest first (the doubtful
// ones), unscored images last, ties in the order given; or, with byConfidence false, in
// the order given.
func (p *Project) Order(byConfidence bool) []int {
	idx := make([]int, len(p.Images))
	for i := range idx {
		idx[i] = i
	}
	if byConfidence {
		sort.SliceStable(idx, func(a, b int) bool {
			ca, cb := p.Images[idx[a]].Confidence(), p.Images[idx[b]].Confidence()
			if (ca < 0) != (cb < 0) {
				return cb < 0
			}
			return ca < cb
		})
	}
	return idx
}

// Count is a label's number of images.
type Count struct {
	Label string
	N     int
}

// AcceptPreview lists the images that AcceptAbove(threshold) would accept (suggested,
// top-1 at least threshold) and how many per label, most first.
func (p *Project) AcceptPreview(threshold float64) (idx []int, counts []Count) {
	n := map[string]int{}
	for i, im := range p.Images {
		if im.State == Suggested && len(im.Top) > 0 && im.Top[0].Prob >= threshold {
			idx = append(idx, i)
			n[im.Top[0].Label]++
		}
	}
	for l, c := range n {
		counts = append(counts, Count{l, c})
	}
	sort.Slice(counts, func(a, b int) bool {
		if counts[a].N != counts[b].N {
			return counts[a].N > counts[b].N
		}
		return counts[a].Label < counts[b].Label
	})
	return idx, counts
}

// AcceptAbove accepts every suggestion with a top-1 probability of at least threshold,
// as one undoable action, and returns how many it accepted.
func (p *Project) AcceptAbove(threshold float64) int {
	idx, _ := p.AcceptPreview(threshold)
	if len(idx) == 0 {
		return 0
	}
	p.remember(idx...)
	for _, i := range idx {
		im := p.Images[i]
		im.Label, im.State = im.Top[0].Label, Accepted
	}
	return len(idx)
}

// Tally counts the images per state.
func (p *Project) Tally() map[State]int {
	n := map[State]int{}
	for _, im := range p.Images {
		n[im.State]++
	}
	return n
}

// FindFile returns the index of the image with that file path, or -1.
func (p *Project) FindFile(file string) int {
	for i, im := range p.Images {
		if im.File == file {
			return i
		}
	}
	return -1
}

// Describe is a one-line summary of the project for its tab.
func (p *Project) Describe() string {
	t := p.Tally()
	done := t[Accepted] + t[Corrected]
	return fmt.Sprintf("%s: %d images, %d labelled, %d skipped", strings.TrimSpace(p.Name), len(p.Images), done, t[Skipped])
}
