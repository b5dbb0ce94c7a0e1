package core

import (
	"testing"

	"github.com/clip-go/clip/wasm/engine"
)

func TestPoolSize(t *testing.T) {
	const mb = 1 << 20
	for _, tc := range []struct {
		cores int
		bytes int64
		want  int
	}{
		{2, 1 * mb, 2},     // the tiny test model on this machine
		{0, 1 * mb, 1},     // a browser without hardwareConcurrency
		{-3, 1 * mb, 1},    //
		{64, 1 * mb, 8},    // capped
		{16, 0, 8},         // size unknown: cores only
		{16, 162 * mb, 4},  // ViT-B/32 int8: 4 × 226 MB fit in 1 GiB
		{2, 162 * mb, 2},   //
		{16, 430 * mb, 2},  // ViT-L/14 int8
		{16, 600 * mb, 1},  // two copies would not fit
		{16, 3000 * mb, 1}, // one worker even past the budget: its load says whether it fits
	} {
		if got := PoolSize(tc.cores, tc.bytes); got != tc.want {
			t.Errorf("PoolSize(%d, %d MB) = %d, want %d", tc.cores, tc.bytes/mb, got, tc.want)
		}
	}
}

// The budget counts each copy as the engine does.
func TestPoolOverheadIsTheEngines(t *testing.T) {
	if got := engine.EstimateMemory(0); got != engineOverhead {
		t.Errorf("engine overhead %d, pool rule assumes %d", got, engineOverhead)
	}
}
