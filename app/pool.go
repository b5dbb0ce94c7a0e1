//go:build js && wasm

package main

import (
	"sync"
	"syscall/js"

	"github.com/clip-go/clip/app/core"
)

// Pool is the engine's workers. Go's js/wasm is single-threaded, so encoding images on
// every core takes several workers, each its own Go program with its own copy of the
// model: images go to whichever is free, everything else (prompts, classify, the model
// ops that download and store) to the first, whose prompt cache then serves every
// classify. How many hold the model follows core.PoolSize: the cores the browser reports
// and the model's size. The compiled clip.wasm is shared: the first worker compiles it
// and hands the WebAssembly.Module back (its init op), the others instantiate it.
type Pool struct {
	url   string
	cores int // navigator.hardwareConcurrency, or the page's ?workers= override

	// gate is held for writing while the model changes and for reading while an image is
	// encoded: an image is never encoded on a worker that is between two models, and
	// modelID is the model every worker in use holds.
	gate    sync.RWMutex
	modelID string

	mu      sync.Mutex
	workers []*Worker // workers[0] is the main one; more are started as the pool grows
	size    int       // the workers in use: the first size of workers hold the model
	busy    map[*Worker]bool
	free    chan struct{} // closed (and replaced) when a worker becomes free
	module  js.Value      // clip.wasm compiled, from the first worker's init
}

// NewPool starts the main worker (the others start when a model is loaded).
func NewPool(url string, cores int) *Pool {
	p := &Pool{url: url, cores: cores, workers: []*Worker{NewWorker(url)}, size: 1,
		busy: map[*Worker]bool{}, free: make(chan struct{}), module: js.Undefined()}
	go p.compiled() // start the engine while the page loads its model
	return p
}

// Size is the number of workers that hold the model.
func (p *Pool) Size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.size
}

func (p *Pool) main() *Worker { return p.workers[0] }

// Call runs op on the main worker.
func (p *Pool) Call(op string, args []any, transfer ...js.Value) (js.Value, error) {
	return p.main().Call(op, args, transfer...)
}

// compiled is clip.wasm's WebAssembly.Module, as the main worker compiled it.
func (p *Pool) compiled() js.Value {
	p.mu.Lock()
	m := p.module
	p.mu.Unlock()
	if !m.IsUndefined() {
		return m
	}
	m, err := p.main().Call("init", nil)
	if err != nil {
		return js.Undefined() // the others compile it themselves
	}
	p.mu.Lock()
	p.module = m
	p.mu.Unlock()
	return m
}

// EmbedImage encodes an image (a Uint8Array, moved to the worker) on a free worker and
// returns its embedding and the id of the model that encoded it.
func (p *Pool) EmbedImage(data js.Value) (js.Value, string, error) {
	p.gate.RLock()
	defer p.gate.RUnlock()
	w := p.acquire()
	defer p.release(w)
	emb, err := w.Call("embedImage", []any{data}, data.Get("buffer"))
	return emb, p.modelID, err
}

// acquire takes a free worker among those in use, the others before the main one (it
// also scores), waiting for one when all are busy.
func (p *Pool) acquire() *Worker {
	for {
		p.mu.Lock()
		for i := p.size - 1; i >= 0; i-- {
			if w := p.workers[i]; !p.busy[w] {
				p.busy[w] = true
				p.mu.Unlock()
				return w
			}
		}
		free := p.free
		p.mu.Unlock()
		<-free
	}
}

func (p *Pool) release(w *Worker) {
	p.mu.Lock()
	delete(p.busy, w)
	close(p.free)
	p.free = make(chan struct{})
	p.mu.Unlock()
}

// Stats adds up the workers' counters (each counts since its model was loaded).
func (p *Pool) Stats() (engineStats, error) {
	p.mu.Lock()
	workers := p.workers[:p.size]
	p.mu.Unlock()
	all := make([]engineStats, len(workers))
	errs := make([]error, len(workers))
	p.each(workers, func(i int, w *Worker) {
		res, err := w.Call("stats", nil)
		if err == nil {
			err = fromJS(res, &all[i])
		}
		errs[i] = err
	})
	var sum engineStats
	for i, s := range all {
		if errs[i] != nil {
			if i == 0 {
				return sum, errs[0] // the main worker has no model
			}
			continue
		}
		sum.ImagesEncoded += s.ImagesEncoded
		sum.TextsEncoded += s.TextsEncoded
		sum.TextCacheHits += s.TextCacheHits
	}
	return sum, nil
}

// each runs fn for every worker at once and waits for them.
func (p *Pool) each(workers []*Worker, fn func(i int, w *Worker)) {
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(i, w)
		}()
	}
	wg.Wait()
}

// Load loads a model file (a Uint8Array, moved) into the pool: the main worker first,
// so that a file that does not load leaves every worker with the model it had, then
// copies into the others. checked, if not "", is the checksum the bytes were checked
// to record (the main worker then does not hash them). It returns the main worker's info.
func (p *Pool) Load(data js.Value, checked string) (js.Value, error) {
	p.gate.Lock()
	defer p.gate.Unlock()
	n := core.PoolSize(p.cores, int64(data.Get("length").Float()))
	copies := make([]js.Value, n) // made before data moves to the main worker
	for i := 1; i < n; i++ {
		copies[i] = data.Call("slice")
	}
	info, err := p.main().Call("load", []any{data, verified(checked)}, data.Get("buffer"))
	if err != nil {
		return info, err
	}
	p.spread(info, n, func(i int, w *Worker) (js.Value, error) {
		return w.Call("load", []any{copies[i], verified(info.Get("id").String())}, copies[i].Get("buffer"))
	})
	return info, nil
}

// LoadStored loads a model kept in the browser's storage (OPFS): each worker reads it.
func (p *Pool) LoadStored(id string, size int64) (js.Value, error) {
	p.gate.Lock()
	defer p.gate.Unlock()
	info, err := p.main().Call("loadStored", []any{id, map[string]any{}})
	if err != nil {
		return info, err
	}
	p.spread(info, core.PoolSize(p.cores, size), func(_ int, w *Worker) (js.Value, error) {
		return w.Call("loadStored", []any{id, verified(info.Get("id").String())})
	})
	return info, nil
}

// Quantize runs one of the main worker's quantizing ops (clip-models.js), which end
// with the model loaded there and, unless the storage was full, kept in OPFS: the other
// workers then load the kept file. A model that could not be kept runs on the main
// worker alone.
func (p *Pool) Quantize(op string, args []any, progress func(js.Value)) (js.Value, error) {
	p.gate.Lock()
	defer p.gate.Unlock()
	res, err := p.main().CallProgress(op, args, progress)
	if err != nil {
		return res, err
	}
	n, id := 1, res.Get("id").String()
	if res.Get("stored").Truthy() {
		n = core.PoolSize(p.cores, int64(res.Get("info").Get("fileBytes").Float()))
	}
	p.spread(res.Get("info"), n, func(_ int, w *Worker) (js.Value, error) {
		return w.Call("loadStored", []any{id, verified(res.Get("info").Get("id").String())})
	})
	return res, nil
}

// verified is the load options of bytes checked to record the checksum id (a copy of
// the model the main worker has just loaded and verified, or a download checked against
// its manifest): the worker does not hash them again (seconds for a large model in
// WebAssembly); a file that records another checksum is hashed as usual. "": none.
func verified(id string) map[string]any {
	if id == "" {
		return map[string]any{}
	}
	return map[string]any{"verified": id}
}

// spread loads the model the main worker now holds (its info) into workers 1..n-1
// (started when missing) with load, at once, and frees the model in the workers no
// longer used. A worker that fails to load it (memory) is left out, with those after
// it. The caller holds the gate.
func (p *Pool) spread(info js.Value, n int, load func(i int, w *Worker) (js.Value, error)) {
	modelID, kernel := info.Get("id").String(), info.Get("kernel").String()
	p.mu.Lock()
	old := p.size
	p.size = 1 // until the others hold the new model
	p.mu.Unlock()
	var module js.Value
	if n > 1 {
		module = p.compiled()
	}
	p.mu.Lock()
	for len(p.workers) < n {
		w := NewWorker(p.url)
		w.send("init", []any{module}, nil) // the first message, before its load
		p.workers = append(p.workers, w)
	}
	workers := p.workers[1:n]
	p.mu.Unlock()
	ok := make([]bool, len(workers))
	p.each(workers, func(i int, w *Worker) {
		got, err := load(i+1, w)
		ok[i] = err == nil && got.Get("id").String() == modelID
		if ok[i] && got.Get("kernel").String() != kernel { // same results, but slower
			js.Global().Get("console").Call("warn", "clip: worker", i+1, "runs the", got.Get("kernel").String(), "kernel")
		}
	})
	size := 1
	for size < n && ok[size-1] {
		size++
	}
	p.mu.Lock()
	p.size, p.modelID = size, modelID
	unused := p.workers[size:max(old, n)]
	p.mu.Unlock()
	p.each(unused, func(_ int, w *Worker) { w.Call("unload", nil) })
}
