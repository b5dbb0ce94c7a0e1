//go:build js && wasm

package main

import (
	"sync/atomic"
	"time"
)

// renderInterval spaces the renders that the queue's goroutines ask for. Each step of
// an image (encoding, encoded, scored, counters) changes the page, and rendering every
// one of them kept the main thread busy enough to stall it (renders of 20 cards take
// about 10 ms each, and the worker is busy on the other core); one render per interval
// shows the same progress.
const renderInterval = 50 * time.Millisecond

var renderPending atomic.Bool

// unlockRender releases the event lock and schedules one render for all the changes
// made within the next renderInterval.
func (c *Root) unlockRender() {
	c.env.UnlockOnly()
	if renderPending.Swap(true) {
		return
	}
	time.AfterFunc(renderInterval, func() {
		renderPending.Store(false)
		c.env.Lock()
		c.env.UnlockRender()
	})
}
