package train

import (
	"sync"

	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/train/data"
)

// prepared is a batch ready for a training step, with the loader's position just after
// it: what a checkpoint taken after this step must record for an exact resume.
type prepared struct {
	batch Batch
	data  data.State
	err   error
}

// prefetch reads and packs the next count batches of n pairs in the background, one
// ahead of the training step, so that the data's time (decoding waits, tokenizing,
// copying pixels) overlaps the step's instead of adding to it: on a GPU the step took
// about 100 ms and the data 230 ms, one after the other. The batches are the ones a
// loop calling loader.Batch would read, in the same order; only the timing changes.
// stop ends the goroutine (call it before closing the loader) and waits for it.
func prefetch(loader *data.Loader, m *model.Model, n, count int, groups bool) (batches <-chan prepared, stop func()) {
	out := make(chan prepared, 1)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(out)
		for range count {
			var p prepared
			samples, err := loader.Batch(n)
			if err == nil {
				p.data = loader.State() // this goroutine is the loader's only reader
				p.batch, err = toBatch(m, samples, groups)
			}
			p.err = err
			select {
			case out <- p:
			case <-done:
				return
			}
			if err != nil {
				return
			}
		}
	})
	var once sync.Once
	return out, func() {
		once.Do(func() {
			close(done)
			loader.Close() // unblocks a Batch in progress
			wg.Wait()
		})
	}
}
