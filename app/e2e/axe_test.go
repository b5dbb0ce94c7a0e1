//go:build !js

package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/clip-go/clip/wasm/quanttest"
)

// axeScript is axe-core (MPL-2.0, a pinned npm package: make axe), the accessibility
// checker browsers' own tools use; $CLIP_AXE names its axe.min.js (make test sets it).
// Without it the test skips, except in CI.
func axeScript(t *testing.T) string {
	t.Helper()
	file := os.Getenv("CLIP_AXE")
	if file == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CLIP_AXE is not set (make test sets it)")
		}
		t.Skip("CLIP_AXE is not set: run make test, or CLIP_AXE=$PWD/.cache/npm/axe-core/axe.min.js after make axe")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkAxe runs axe-core on the page as it is (the script is injected through the
// debugger, which the page's CSP does not govern) and fails on any violation, at any
// impact, of the WCAG 2.x A and AA rules and axe's best practices.
func (p *tab) checkAxe(t *testing.T, axe, view string) {
	t.Helper()
	var violations []axeViolation
	p.eval(t, `(async () => {
		if (!window.axe) { `+axe+`
		}
		const r = await axe.run(document, {resultTypes: ["violations"]});
		return r.violations.map((v) => ({id: v.id, impact: v.impact || "", help: v.help,
			nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + ": " + n.failureSummary)}));
	})()`, &violations)
	for _, v := range violations {
		t.Errorf("%s: axe %s (%s): %s\n\t%s", view, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n\t"))
	}
}

// TestAccessible: axe finds no violation on either view: the classify view empty and
// with results, the labelling view empty and with a project under review (an item
// selected by keyboard, its suggestions shown). The keyboard review is announced: the
// live region says which image is selected and what its suggestion is.
func TestAccessible(t *testing.T) {
	s := newSite(t)
	axe := axeScript(t)
	p := s.open(t, "/")
	p.waitStatus(t, "ready")
	p.checkAxe(t, axe, "classify view, empty")
	imgs := s.images(t, map[string][]byte{"a.png": quanttest.PNG(t, 48, 40, 3), "b.png": quanttest.PNG(t, 40, 56, 9)}, "a.png", "b.png")
	labels := []string{"a red circle", "a blue square", "a tree"}
	p.pasteLabels(t, strings.Join(labels, "\n"))
	p.run(t, chromedp.SetUploadFiles("#images", imgs, chromedp.ByQuery))
	p.waitCards(t, 2, labels)
	p.checkAxe(t, axe, "classify view, with results")

	p.openLabeller(t)
	p.checkAxe(t, axe, "labelling view, empty")
	p.setField(t, "#project-labels", "sun\nmoon", "change")
	p.run(t, chromedp.SetUploadFiles("#label-images", imgs, chromedp.ByQuery))
	p.waitFor(t, "both images scored", func() bool {
		items := p.items(t)
		return len(items) == 2 && items[0].Top == 2 && items[1].Top == 2
	})
	p.run(t, chromedp.Focus("[data-testid=label-list]", chromedp.ByQuery), chromedp.KeyEvent(kb.ArrowDown))
	p.checkAxe(t, axe, "labelling view, under review")

	// The review by keyboard is announced: the selected image, its place, its state and
	// the suggestions; the next announcement follows an accepted one.
	items := p.items(t)
	announced := func(want ...string) {
		t.Helper()
		var said string
		p.waitFor(t, fmt.Sprintf("the announcement %q", want), func() bool {
			said = p.text(t, "review-announce")
			for _, w := range want {
				if !strings.Contains(said, w) {
					return false
				}
			}
			return true
		})
	}
	announced(items[1].File+", 2 of 2: suggested "+items[1].Label, "Suggestions: 1 "+items[1].Choices[0])
	p.run(t, chromedp.KeyEvent(kb.Enter))
	announced(items[1].File + ", 2 of 2: accepted " + items[1].Choices[0])
	p.run(t, chromedp.KeyEvent(kb.ArrowUp))
	announced(items[0].File + ", 1 of 2: suggested")
	p.checkAxe(t, axe, "labelling view, one accepted")
}
