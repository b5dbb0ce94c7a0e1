//go:build js && wasm

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
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

// cancelQueued drops the images still waiting; the one being encoded finishes. The
// caller holds the event lock.
func (c *Root) cancelQueued() {
	for _, it := range c.items {
		if it.State == stateQueued {
			it.State = stateCancelled
		}
	}
	c.queued, c.processed = 0, 0
}

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
	c.cards.views = nil // their DOM goes with them (IDs are never reused)
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

// runQueue encodes queued images, as many at a time as the pool has workers, for as
// long as the page lives.
func (c *Root) runQueue() {
	for range c.kick {
		var wg sync.WaitGroup
		for range c.pool.Size() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for c.step() {
				}
			}()
		}
		wg.Wait()
	}
}

// step encodes and scores the next queued image; it reports whether there may be more.
func (c *Root) step() bool {
	c.env.Lock()
	if c.model.Phase != phaseReady {
		c.env.UnlockOnly()
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
		if !c.encoding() { // the last one finished
			c.queued, c.processed = 0, 0
		}
		c.unlockRender()
		return false
	}
	it.State = stateEncoding
	modelID := c.model.Info.ID
	c.unlockRender()

	emb, encodedBy, err := c.embed(it, modelID)

	c.env.Lock()
	switch {
	case c.model.Info.ID != encodedBy: // the model changed meanwhile: requeueAll took care of it
	case err != nil:
		it.State, it.Err = stateError, err.Error()
		c.processed++
	default:
		it.State, it.emb = stateEncoded, emb
		c.processed++
	}
	c.unlockRender()
	// Scoring and the counters wait for the main worker, which may be encoding an image:
	// this goroutine goes on to the next one meanwhile, and the images encoded until
	// then are scored together.
	if err == nil {
		c.scoreNew.Ask()
	}
	c.statsNow.Ask()
	return true
}

// encoding reports whether an image is being encoded. The caller holds the event lock.
func (c *Root) encoding() bool {
	for _, x := range c.items {
		if x.State == stateEncoding {
			return true
		}
	}
	return false
}

// embed returns the image's embedding and the model that made it, from the cache when
// this model has seen these bytes (the key is the model and the SHA-256 of the content,
// not the file name). Several run at once (one per worker): a copy of an image being
// encoded waits for that encoding rather than encoding it again.
func (c *Root) embed(it *imageItem, modelID string) (js.Value, string, error) {
	data, err := fileBytes(it.file)
	if err != nil {
		return js.Value{}, modelID, fmt.Errorf("could not read the file: %v", err)
	}
	if it.hash == "" {
		it.hash = hashBytes(data)
	}
	key := modelID + "/" + it.hash
	c.embMu.Lock()
	for wait, ok := c.inflight[key]; ok; wait, ok = c.inflight[key] {
		c.embMu.Unlock()
		<-wait
		c.embMu.Lock()
	}
	if e, ok := c.embeddings[key]; ok {
		c.embMu.Unlock()
		return e, modelID, nil
	}
	done := make(chan struct{})
	c.inflight[key] = done
	c.embMu.Unlock()
	emb, encodedBy, err := c.pool.EmbedImage(data)
	c.embMu.Lock()
	defer c.embMu.Unlock()
	delete(c.inflight, key)
	close(done)
	if err != nil {
		return js.Value{}, encodedBy, err
	}
	if len(c.embeddings) >= maxEmbeddings {
		clear(c.embeddings) // the cards keep theirs; only re-added files pay again
	}
	c.embeddings[encodedBy+"/"+it.hash] = emb
	return emb, encodedBy, nil
}

// maxEmbeddings bounds the image embeddings kept (a few kB each).
const maxEmbeddings = 8192

// hashBytes is the SHA-256 of a Uint8Array, in hex: by SubtleCrypto, which hashes off
// the main thread without copying the bytes into Go, or, where it is missing (a page
// served over plain http from another machine is not a secure context), in Go.
func hashBytes(u8 js.Value) string {
	if sum, ok := subtleSHA256(u8); ok {
		return sum
	}
	sum := sha256.Sum256(goBytes(u8))
	return hex.EncodeToString(sum[:])
}
