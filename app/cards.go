//go:build js && wasm

package main

import (
	"slices"
	"syscall/js"
)

// The result cards are kept out of Vugu's tree. Vugu v0.4.0 rebuilds every node of the
// page on every render and has its renderer visit each one (setting its attributes
// again, comparing them in JavaScript), with no way for a component to skip an
// unchanged subtree; with 20 cards that was most of the page, and a render took up to
// 71 ms of the main thread (docs/web-app.md). Here each card's DOM is built once and
// changed only when what it shows changed, and the container's children are replaced
// only when the order or the filter changed. Everything is set as text or attributes,
// never as HTML.

// cardsID is the container's id in root.vugu; it has no children in the markup, so
// Vugu leaves its children alone.
const cardsID = "cards"

// cardView is one card's elements and what they show.
type cardView struct {
	el, body, thumb js.Value
	drawn           bool
	state, err      string
	top             []prediction
	dyn             []js.Value // the body's children after the name, rebuilt on a change
}

// cardList is the cards' DOM, by image ID.
type cardList struct {
	host  js.Value // the container they are in (a new one after the view is switched)
	views map[int]*cardView
	shown []int // IDs in the container's order
}

// newCardsPerRender bounds the cards built in one render. Building one is a dozen calls
// into JavaScript plus its layout, about 1 ms of the main thread; 20 dropped at once
// made a 20 ms task, which with both cores busy encoding took 60 ms of wall time and
// left the page's timers waiting 115 ms. The rest are built in the renders after.
const newCardsPerRender = 4

// syncCards brings the cards' DOM up to date with the visible images; it reports whether
// cards are still to be built (the caller asks for another render). It runs after each
// render, with the render's lock held.
func (c *Root) syncCards() (more bool) {
	l := &c.cards
	if l.views == nil { // the first time, or after clearImages forgot every card
		l.views = map[int]*cardView{}
	}
	host := js.Global().Get("document").Call("getElementById", cardsID)
	if !host.Truthy() { // the labelling view is shown
		l.host, l.shown = js.Null(), nil
		return false
	}
	if !host.Equal(l.host) { // a new container (or one Vugu reused): fill it afresh
		l.host, l.shown = host, nil
	}
	visible := c.visibleItems()
	ids := make([]int, 0, len(visible))
	built := 0
	for _, it := range visible {
		v := l.views[it.ID]
		if v == nil {
			if built == newCardsPerRender {
				more = true
				continue
			}
			v, built = newCardView(it), built+1
			l.views[it.ID] = v
		}
		v.update(it)
		ids = append(ids, it.ID)
	}
	if slices.Equal(ids, l.shown) {
		return more
	}
	els := make([]any, len(ids))
	for i, id := range ids {
		els[i] = l.views[id].el
	}
	host.Call("replaceChildren", els...)
	l.shown = ids
	return more
}

func newCardView(it *imageItem) *cardView {
	v := &cardView{el: element("article", "card")}
	v.el.Call("setAttribute", "data-testid", "result")
	v.el.Call("setAttribute", "data-name", it.Name)
	box := element("div", "thumb-box")
	v.thumb = element("img", "thumb")
	for _, a := range [][2]string{{"alt", ""}, {"decoding", "async"}, {"loading", "lazy"}, {"src", it.Thumb}} {
		v.thumb.Call("setAttribute", a[0], a[1])
	}
	box.Call("append", v.thumb)
	v.body = element("div", "card-body")
	v.body.Call("append", textElement("h3", "name", it.Name))
	v.el.Call("append", box, v.body)
	return v
}

// update changes the card's state and rows when they differ from what it shows.
func (v *cardView) update(it *imageItem) {
	if v.drawn && v.state == it.State && v.err == it.Err && slices.Equal(v.top, it.Top) {
		return
	}
	v.drawn, v.state, v.err, v.top = true, it.State, it.Err, slices.Clone(it.Top)
	v.el.Call("setAttribute", "data-state", it.State)
	for _, e := range v.dyn {
		e.Call("remove")
	}
	v.dyn = v.dyn[:0]
	if it.State == stateError {
		p := textElement("p", "card-error", it.Err)
		p.Call("setAttribute", "data-testid", "error")
		v.dyn = append(v.dyn, p)
	}
	if note := cardNote(it); note != "" {
		v.dyn = append(v.dyn, textElement("p", "note", note))
	}
	if len(it.Top) > 0 {
		ol := element("ol", "preds")
		for _, p := range it.Top {
			ol.Call("append", predictionRow(p))
		}
		v.dyn = append(v.dyn, ol)
	}
	args := make([]any, len(v.dyn))
	for i, e := range v.dyn {
		args[i] = e
	}
	v.body.Call("append", args...)
}

// predictionRow is one of the top-5: the label, its percentage and a bar (the tests
// read data-label and data-prob, which keeps every digit).
func predictionRow(p prediction) js.Value {
	li := js.Global().Get("document").Call("createElement", "li")
	li.Call("setAttribute", "data-testid", "prediction")
	li.Call("setAttribute", "data-label", p.Label)
	li.Call("setAttribute", "data-prob", probAttr(p.Prob))
	m := js.Global().Get("document").Call("createElement", "meter")
	m.Call("setAttribute", "min", "0")
	m.Call("setAttribute", "max", "1")
	m.Call("setAttribute", "value", probAttr(p.Prob))
	li.Call("append", textElement("span", "plabel", p.Label), " ", textElement("span", "pct", percent(p.Prob)), m)
	return li
}

func element(tag, class string) js.Value {
	e := js.Global().Get("document").Call("createElement", tag)
	e.Set("className", class)
	return e
}

// textElement is an element holding text (as text, never as HTML).
func textElement(tag, class, text string) js.Value {
	e := element(tag, class)
	e.Set("textContent", text)
	return e
}
