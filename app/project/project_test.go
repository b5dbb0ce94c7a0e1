package project

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func top(labels ...string) []Pred {
	var out []Pred
	p := 0.6
	for _, l := range labels {
		out = append(out, Pred{l, p})
		p /= 2
	}
	return out
}

// sample is a project of four scored images and one that failed to decode.
func sample() *Project {
	return &Project{ID: "p1", Name: "shapes", Labels: []string{"cat", "dog", "bird"}, Images: []*Image{
		{ID: "1", File: "a.png", Top: []Pred{{"cat", 0.9}, {"dog", 0.08}, {"bird", 0.02}}, State: Suggested},
		{ID: "2", File: "b.png", Top: []Pred{{"dog", 0.5}, {"cat", 0.3}, {"bird", 0.2}}, State: Suggested},
		{ID: "3", File: "c.png", Top: []Pred{{"bird", 0.95}, {"cat", 0.03}, {"dog", 0.02}}, State: Suggested},
		{ID: "4", File: "d.png", State: Suggested, Err: "not an image"},
		{ID: "5", File: "e.png", Top: []Pred{{"cat", 0.7}, {"bird", 0.2}, {"dog", 0.1}}, State: Suggested},
	}}
}

func states(p *Project) string {
	s := ""
	for _, im := range p.Images {
		s += fmt.Sprintf("%s=%s/%s ", im.File, im.State, im.Final())
	}
	return s
}

// TestActions: each keyboard action's effect, and Undo reverting them one by one,
// the label list included.
func TestActions(t *testing.T) {
	p := sample()
	steps := []struct {
		name string
		do   func() error
		want string
	}{
		{"pick 2nd of b", func() error { return p.Pick(1, 1) }, "b.png=corrected/cat"},
		{"pick 1st of a", func() error { return p.Pick(0, 0) }, "a.png=accepted/cat"},
		{"accept c", func() error { return p.Accept(2) }, "c.png=accepted/bird"},
		{"type a new label on e", func() error { return p.SetLabel(4, "  fish ") }, "e.png=corrected/fish"},
		{"type the top-1 on a", func() error { return p.SetLabel(0, "cat") }, "a.png=accepted/cat"},
		{"type a listed label in capitals", func() error { return p.SetLabel(2, "DOG") }, "c.png=corrected/dog"},
		{"skip b", func() error { return p.Skip(1) }, "b.png=skipped/"},
	}
	var history []string
	for _, s := range steps {
		history = append(history, states(p)+fmt.Sprint(p.Labels))
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := states(p); !strings.Contains(got, s.want) {
			t.Errorf("%s: %s, want %s", s.name, got, s.want)
		}
	}
	if !slices.Equal(p.Labels, []string{"cat", "dog", "bird", "fish"}) {
		t.Errorf("labels %q: want fish added once", p.Labels)
	}
	for k := len(history) - 1; k >= 0; k-- {
		if p.Undo() < 0 {
			t.Fatalf("undo %d: nothing to undo", k)
		}
		if got := states(p) + fmt.Sprint(p.Labels); got != history[k] {
			t.Errorf("after undoing %s:\n %s\nwant\n %s", steps[k].name, got, history[k])
		}
	}
	if p.Undo() != -1 || p.CanUndo() {
		t.Error("undo past the start")
	}

	for _, bad := range []struct {
		name string
		err  error
	}{
		{"pick 6th", p.Pick(0, 5)},
		{"pick on an unscored image", p.Pick(3, 0)},
		{"accept unscored", p.Accept(3)},
		{"image out of range", p.Accept(9)},
		{"empty label", p.SetLabel(0, "  ")},
		{"negative image", p.Skip(-1)},
	} {
		if bad.err == nil {
			t.Errorf("%s: no error", bad.name)
		}
	}
	if p.CanUndo() {
		t.Error("failed actions left undo steps")
	}
}

// TestDecidedKeepTheirLabels: new scores (after a label edit) change suggestions, never
// an accepted or corrected label; Accept on a decided image changes nothing.
func TestDecidedKeepTheirLabels(t *testing.T) {
	p := sample()
	p.Pick(1, 1) // b: corrected to cat
	p.Accept(0)  // a: accepted cat
	p.SetScores([]int{0, 1, 2}, [][]Pred{top("dog", "cat"), top("bird", "dog"), top("dog", "bird")}, "m2", []string{"a {}"})
	want := "a.png=accepted/cat b.png=corrected/cat c.png=suggested/dog "
	if got := states(p); !strings.Contains(got, want) {
		t.Errorf("after re-scoring: %s, want %s", got, want)
	}
	p.Accept(1)
	if p.Images[1].Final() != "cat" || p.Images[1].State != Corrected {
		t.Errorf("accept on a corrected image: %+v", p.Images[1])
	}
	if p.Model != "m2" || p.Templates[0] != "a {}" {
		t.Errorf("model %q templates %q", p.Model, p.Templates)
	}
}

// TestOrderAndAcceptAbove: review order is lowest confidence first with unscored images
// last; the preview counts what AcceptAbove then accepts, in one undo step.
func TestOrderAndAcceptAbove(t *testing.T) {
	p := sample()
	if got, want := p.Order(true), []int{1, 4, 0, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	if got := p.Order(false); !slices.Equal(got, []int{0, 1, 2, 3, 4}) {
		t.Errorf("given order %v", got)
	}
	p.Pick(4, 1) // e decided: not in the preview any more
	for _, c := range []struct {
		th     float64
		idx    []int
		counts string
	}{
		{0.99, nil, "[]"},
		{0.9, []int{0, 2}, "[{bird 1} {cat 1}]"},
		{0.5, []int{0, 1, 2}, "[{bird 1} {cat 1} {dog 1}]"},
		{0, []int{0, 1, 2}, "[{bird 1} {cat 1} {dog 1}]"},
	} {
		idx, counts := p.AcceptPreview(c.th)
		if !slices.Equal(idx, c.idx) || fmt.Sprint(counts) != c.counts {
			t.Errorf("preview at %.2f: %v %v, want %v %s", c.th, idx, counts, c.idx, c.counts)
		}
	}
	if n := p.AcceptAbove(0.9); n != 2 {
		t.Errorf("accepted %d, want 2", n)
	}
	if tl := p.Tally(); tl[Accepted] != 2 || tl[Corrected] != 1 || tl[Suggested] != 2 {
		t.Errorf("tally %v", tl)
	}
	p.Undo()
	if tl := p.Tally(); tl[Accepted] != 0 || tl[Corrected] != 1 {
		t.Errorf("after undo: tally %v", tl)
	}
}
