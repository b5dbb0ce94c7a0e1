package engine

import "sync"

// parallel runs fn over [0, n) split into one contiguous range per worker. Contiguous
// ranges keep each worker on neighbouring items (the same weight panels, the same rows),
// which is what the caches want; the work items are uniform, so static splitting
// balances well. With one worker (always, in WebAssembly) it is a plain call.
func (m *Model) parallel(n int, fn func(lo, hi int)) {
	w := min(m.workers, n)
	if w <= 1 {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	var wg sync.WaitGroup
	for i := range w {
		lo, hi := i*n/w, (i+1)*n/w
		if lo == hi {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}
