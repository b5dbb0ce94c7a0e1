//go:build js && wasm

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"syscall/js"
)

// Image states, also the card's data-state.
const (
	stateQueued    = "queued"
	stateEncoding  = "encoding"
	stateEncoded   = "encoded" // waiting for valid labels
	stateScored    = "scored"
	stateError     = "error"
	stateCancelled = "cancelled"
)

// imageItem is one image the user gave, in the order given.
type imageItem struct {
	ID    int
	Name  string
	Thumb string // an object URL of the file
	State string
	Err   string
	Top   []prediction

	file js.Value
	hash string   // SHA-256 of the bytes, hex
	emb  js.Value // Float32Array from the current model, or undefined
}

type prediction struct {
	Label string  `json:"label"`
	Prob  float64 `json:"prob"`
}

// topK is the number of prediction rows per card.
const topK = 5

// addFiles appends images to the list and queues them. The caller holds the event lock.
func (c *Root) addFiles(files []js.Value) {
	url := js.Global().Get("URL")
	for _, f := range files {
		c.nextID++
		c.items = append(c.items, &imageItem{
			ID: c.nextID, Name: f.Get("name").String(), Thumb: url.Call("createObjectURL", f).String(),
			State: stateQueued, file: f, emb: js.Undefined(),
		})
		c.queued++
	}
	c.kickQueue()
}

// clearImages drops every image. The caller holds the event lock.
func (c *Root) clearImages() {
	for _, it := range c.items {
		js.Global().Get("URL").Call("revokeObjectURL", it.Thumb)
	}
	c.items, c.queued, c.processed = nil, 0, 0
}

// requeueAll queues every image again (a new model). The caller holds the event lock.
func (c *Root) requeueAll() {
	c.queued, c.processed = 0, 0
	for _, it := range c.items {
		it.State, it.Err, it.Top, it.emb = stateQueued, "", nil, js.Undefined()
		c.queued++
	}
}

func (c *Root) kickQueue() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// runQueue encodes queued images one at a time, for as long as the page lives.
func (c *Root) runQueue() {
	for range c.kick {
		for c.step() {
		}
	}
}

// step encodes and scores the next queued image; it reports whether there may be more.
func (c *Root) step() bool {
	c.env.Lock()
	if c.model.Phase != phaseReady {
		c.env.UnlockOnly()
		return false
	}
	if c.cancel {
		c.cancel = false
		for _, it := range c.items {
			if it.State == stateQueued {
				it.State = stateCancelled
			}
		}
		c.queued, c.processed = 0, 0
		c.unlockRender()
		return false
	}
	var it *imageItem
	for _, x := range c.items {
		if x.State == stateQueued {
			it = x
			break
		}
	}
	if it == nil {
		c.queued, c.processed = 0, 0
		c.unlockRender()
		return false
	}
	it.State = stateEncoding
	modelID := c.model.Info.ID
	c.unlockRender()

	emb, err := c.embed(it, modelID)

	c.env.Lock()
	c.processed++
	switch {
	case c.model.Info.ID != modelID: // the model changed meanwhile: requeueAll took care of it
	case err != nil:
		it.State, it.Err = stateError, err.Error()
	default:
		it.State, it.emb = stateEncoded, emb
	}
	c.unlockRender()
	if err == nil {
		c.score([]*imageItem{it})
	}
	c.refreshStats()
	return true
}

// embed returns the image's embedding, from the cache when this model has seen these
// bytes (the key is the model and the SHA-256 of the content, not the file name).
func (c *Root) embed(it *imageItem, modelID string) (js.Value, error) {
	data, err := fileBytes(it.file)
	if err != nil {
		return js.Value{}, fmt.Errorf("could not read the file: %v", err)
	}
	if it.hash == "" {
		it.hash = hashBytes(data)
	}
	key := modelID + "/" + it.hash
	if e, ok := c.embeddings[key]; ok {
		return e, nil
	}
	emb, err := c.worker.Call("embedImage", []any{data}, data.Get("buffer"))
	if err != nil {
		return js.Value{}, err
	}
	c.embeddings[key] = emb
	return emb, nil
}

// hashBytes is the SHA-256 of a Uint8Array, in hex. It copies the bytes into Go, which is
// synchronous and works on any page (SubtleCrypto needs a secure context).
func hashBytes(u8 js.Value) string {
	sum := sha256.Sum256(goBytes(u8))
	return hex.EncodeToString(sum[:])
}
