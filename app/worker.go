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
