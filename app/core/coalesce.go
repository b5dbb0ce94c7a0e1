package core

import "sync"

// Coalesced runs Fn in a goroutine of its own when asked, one run at a time: the asks
// that come while it runs are answered by one more run after it. The page's queue asks
// for scores and counters after every image; twenty images encoded in a row so make a
// few calls to the workers rather than twenty, each of which would wake the main thread
// (a message, a Go callback, JSON, a render) while both cores encode.
type Coalesced struct {
	Fn func()

	mu             sync.Mutex
	running, again bool
}

// Ask runs Fn soon: now if it is not running, else once more after the current run.
func (r *Coalesced) Ask() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running {
		r.again = true
		return
	}
	r.running = true
	go r.loop()
}

func (r *Coalesced) loop() {
	for {
		r.Fn()
		r.mu.Lock()
		if !r.again {
			r.running = false
			r.mu.Unlock()
			return
		}
		r.again = false
		r.mu.Unlock()
	}
}
