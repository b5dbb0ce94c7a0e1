//go:build !js

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/model/arch"
)

// runRelaxed times the ViT-B/32 image tower with int4 weights (text int8, block 32,
// random weights) in headless Chromium's Web Worker at batch 1, with the SIMD128 kernel
// alone and with the relaxed-SIMD int4 matmul beside it, alternating the two for rounds
// rounds (each a fresh browser, one warm-up and 3 timed images), and prints each round
// and a Markdown table of the medians and the fastest. (int8 has no relaxed kernel: the
// exact one measured slower, see docs/engine.md.)
func runRelaxed(rounds int, chromium string) error {
	simd, relaxed := os.Getenv("CLIP_SIMD_WASM"), os.Getenv("CLIP_RELAXED_WASM")
	if simd == "" || relaxed == "" {
		return fmt.Errorf("CLIP_SIMD_WASM or CLIP_RELAXED_WASM unset (make bench-relaxed sets them)")
	}
	dir, err := os.MkdirTemp("", "benchrelaxed-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg, _ := arch.Preset("ViT-B/32")
	fmt.Fprintln(os.Stderr, "building the random ViT-B/32 int4 file and the engine's wasm…")
	file := filepath.Join(dir, "vitb32-int4.safetensors")
	if err := writeQuantized(cfg, model.InitParams(cfg, 1), 4, 32, 8, file); err != nil {
		return err
	}
	wasm, err := buildWasm(dir)
	if err != nil {
		return err
	}
	kernels := []struct{ name, relaxed string }{{"wasm-simd128", ""}, {"wasm-relaxed-simd", relaxed}}
	ms := map[string][]float64{}
	for round := range rounds {
		for _, k := range kernels {
			t, err := chromiumBenchKernel(chromium, dir, wasm, simd, k.relaxed, k.name, file, 3)
			if err != nil {
				return err
			}
			ms[k.name] = append(ms[k.name], t)
			fmt.Fprintf(os.Stderr, "round %d  %-18s %7.1f ms/image\n", round+1, k.name, t)
		}
	}
	fmt.Printf("| ViT-B/32 image tower, int4, batch 1, headless Chromium, one worker | median ms/image | fastest | rounds |\n|---|---|---|---|\n")
	for _, k := range kernels {
		s := slices.Sorted(slices.Values(ms[k.name]))
		var each []string
		for _, t := range ms[k.name] {
			each = append(each, fmt.Sprintf("%.0f", t))
		}
		fmt.Printf("| %s | %.1f | %.1f | %s |\n", k.name, s[len(s)/2], s[0], strings.Join(each, ", "))
	}
	return nil
}
