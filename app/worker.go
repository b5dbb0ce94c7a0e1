//go:build js && wasm

package main

import (
	"errors"
	"sync"
	"syscall/js"
)

// Worker is the engine's Web Worker (wasm/web/clip-worker.js) seen from Go: Call sends
// one {id, op, args} message and blocks until its reply. Calls may come from several
// goroutines; the worker answers them in order. Nothing here knows which ops exist; the
// pool of workers (pool.go) does.
type Worker struct {
	w        js.Value
	mu       sync.Mutex
	next     int
	pending  map[int]chan reply
	progress map[int]func(js.Value)
	onMsg    js.Func
	onErr    js.Func
	answered bool  // the worker has replied at least once: its script runs
	dead     error // why the worker never started; every call fails with it
}

type reply struct {
	result js.Value
	err    error
}

// NewWorker starts the worker script at url.
func NewWorker(url string) *Worker {
	w := &Worker{w: js.Global().Get("Worker").New(url), pending: map[int]chan reply{}, progress: map[int]func(js.Value){}}
	w.onMsg = js.FuncOf(func(_ js.Value, args []js.Value) any {
		data := args[0].Get("data")
		id := data.Get("id").Int()
		if p := data.Get("progress"); !p.IsUndefined() { // a report before the reply
			w.mu.Lock()
			fn := w.progress[id]
			w.mu.Unlock()
			if fn != nil {
				fn(p)
			}
			return nil
		}
		w.mu.Lock()
		w.answered = true
		delete(w.progress, id)
		ch := w.pending[id]
		delete(w.pending, id)
		w.mu.Unlock()
		if ch == nil {
			return nil
		}
		if e := data.Get("error"); !e.IsUndefined() {
			ch <- reply{err: errors.New(e.String())}
		} else {
			ch <- reply{result: data.Get("result")}
		}
		return nil
	})
	w.w.Set("onmessage", w.onMsg)
	// A worker whose script does not load or throws before it listens (a failed fetch
	// of clip-worker.js or of a script it imports) never answers: without this, every
	// call would wait forever and the status line would stay at "loading".
	w.onErr = js.FuncOf(func(_ js.Value, args []js.Value) any {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.answered || w.dead != nil {
			return nil // an error after the start is an op's, answered by the op itself
		}
		w.dead = errors.New("the engine's worker did not start")
		if len(args) > 0 && args[0].Get("message").Type() == js.TypeString {
			w.dead = errors.New("the engine's worker did not start: " + args[0].Get("message").String())
		}
		for id, ch := range w.pending {
			ch <- reply{err: w.dead}
			delete(w.pending, id)
			delete(w.progress, id)
		}
		return nil
	})
	w.w.Set("onerror", w.onErr)
	return w
}

// Call runs op with args in the worker. transfer lists ArrayBuffers to move rather than
// copy (the model's bytes).
func (w *Worker) Call(op string, args []any, transfer ...js.Value) (js.Value, error) {
	return w.CallProgress(op, args, nil, transfer...)
}

// CallProgress is Call for ops that report progress before they reply: progress gets
// each report, on the JavaScript callback (it must not block).
func (w *Worker) CallProgress(op string, args []any, progress func(js.Value), transfer ...js.Value) (js.Value, error) {
	r := <-w.send(op, args, progress, transfer...)
	return r.result, r.err
}

// send posts one call and returns where its reply will come: messages reach the worker
// in the order they are sent, which a caller that must come first (init) relies on.
func (w *Worker) send(op string, args []any, progress func(js.Value), transfer ...js.Value) <-chan reply {
	ch := make(chan reply, 1)
	w.mu.Lock()
	if w.dead != nil {
		w.mu.Unlock()
		ch <- reply{err: w.dead}
		return ch
	}
	id := w.next
	w.next++
	w.pending[id] = ch
	if progress != nil {
		w.progress[id] = progress
	}
	w.mu.Unlock()
	msg := map[string]any{"id": id, "op": op, "args": args}
	list := make([]any, len(transfer))
	for i, t := range transfer {
		list[i] = t
	}
	w.w.Call("postMessage", msg, list)
	return ch
}
