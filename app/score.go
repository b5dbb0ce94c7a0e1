//go:build js && wasm

package main

import (
	"encoding/json"
	"strings"
	"syscall/js"
	"time"

	"github.com/clip-go/clip/app/core"
)

// rescoreDelay lets a burst of keystrokes in the labels box end before re-scoring.
const rescoreDelay = 250 * time.Millisecond

// labelsChanged reads the labels box and the template choice, and schedules a re-score
// of every encoded image. The caller holds the event lock.
func (c *Root) labelsChanged() {
	c.version++
	c.labels, c.labelsErr = nil, ""
	labels, err := core.ParseLabels(c.labelsText)
	if err != nil && strings.TrimSpace(c.labelsText) != "" { // an empty box has its placeholder
		c.labelsErr = err.Error()
	}
	templates, terr := core.Templates(c.templateSet, c.customTemplates)
	if terr != nil {
		c.templatesErr = terr.Error()
	} else {
		c.templatesErr = ""
	}
	if err == nil && terr == nil {
		c.labels, c.templates = labels, templates
	}
	if c.rescoreTimer != nil {
		c.rescoreTimer.Stop()
	}
	c.rescoreTimer = time.AfterFunc(rescoreDelay, func() { c.score(true) })
}

// score classifies the encoded images (all: those already scored too, for new labels;
// else only those not scored yet) with the current labels and templates in one call to
// the worker, from the image embeddings it already has: no image is encoded again, and
// the worker encodes only prompts it has not seen. A result for labels that changed
// meanwhile is dropped; the change scheduled its own re-score.
func (c *Root) score(all bool) {
	c.env.Lock()
	var todo []*imageItem
	var embs []any
	for _, it := range c.items {
		if !it.emb.IsUndefined() && (it.State == stateEncoded || all && it.State == stateScored) {
			todo = append(todo, it)
			embs = append(embs, it.emb)
		}
	}
	version, labels, templates := c.version, c.labels, c.templates
	if len(todo) == 0 || len(labels) == 0 || c.model.Phase != phaseReady {
		if len(labels) == 0 {
			for _, it := range todo {
				it.State, it.Top = stateEncoded, nil
			}
		}
		c.unlockRender()
		return
	}
	c.env.UnlockOnly()

	req := map[string]any{"images": embs, "labels": anySlice(labels), "templates": anySlice(templates), "top": topK}
	res, err := c.pool.Call("classify", []any{req})
	var tops [][]prediction
	if err == nil {
		err = json.Unmarshal([]byte(js.Global().Get("JSON").Call("stringify", res).String()), &tops)
	}

	c.env.Lock()
	defer c.unlockRender()
	if version != c.version {
		return
	}
	if err != nil {
		c.labelsErr = err.Error()
		return
	}
	for i, it := range todo {
		if i < len(tops) && !it.emb.IsUndefined() {
			it.State, it.Top = stateScored, tops[i]
		}
	}
	c.statsNow.Ask()
}

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// engineStats are the worker's counters (see clipEngine.stats).
type engineStats struct {
	ImagesEncoded int `json:"imagesEncoded"`
	TextsEncoded  int `json:"textsEncoded"`
	TextCacheHits int `json:"textCacheHits"`
}

// refreshStats fetches the workers' counters (added up) for the page's footer.
func (c *Root) refreshStats() {
	s, err := c.pool.Stats()
	if err != nil {
		return
	}
	c.env.Lock()
	c.stats = s
	c.unlockRender()
}
