package core

// The page encodes images on a pool of engine workers: Go's js/wasm is single-threaded,
// so each worker is its own Go program holding its own copy of the model.

const (
	// MaxPoolWorkers bounds the pool whatever the browser reports.
	MaxPoolWorkers = 8
	// PoolMemoryBudget is the memory all the workers' engines may hold together. A tab
	// gets a few GiB at most (less on phones), and the page, Chromium and the labelling
	// view's stores need their share.
	PoolMemoryBudget = 1 << 30
	// engineOverhead is what an engine needs beyond its model file (wasm/engine's
	// memoryOverhead: the tokenizer, the activations, the Go runtime).
	engineOverhead = 64 << 20
)

// PoolSize is the number of engine workers for a model file of modelBytes on a device
// with cores logical cores (navigator.hardwareConcurrency): one per core, as many as fit
// the memory budget with a copy of the model each, and at least one (a model too large
// for two copies runs on one worker).
func PoolSize(cores int, modelBytes int64) int {
	n := min(max(cores, 1), MaxPoolWorkers)
	if modelBytes > 0 {
		n = min(n, int(PoolMemoryBudget/(modelBytes+engineOverhead)))
	}
	return max(n, 1)
}
