//go:build !js

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/clip-go/clip/internal/browser"
)

// chromiumBench times the engine in headless Chromium (one thread, in the Web Worker,
// with the SIMD kernel module simd), through the same bench function as Node: ms per
// image at batch 1.
func chromiumBench(name, dir, wasm, simd, modelPath string, iters int) (float64, error) {
	return chromiumBenchKernel(name, dir, wasm, simd, "", "wasm-simd128", modelPath, iters)
}

// chromiumBenchKernel is chromiumBench with the relaxed-SIMD module too where relaxed
// is not empty; the worker must report kernel.
func chromiumBenchKernel(name, dir, wasm, simd, relaxed, kernel, modelPath string, iters int) (float64, error) {
	chromium, err := browser.Find(name)
	if err != nil {
		return 0, err
	}
	site := filepath.Join(dir, "site-"+kernel) // one site per kernel: Prepare adds files, never removes
	if err := os.MkdirAll(site, 0o755); err != nil {
		return 0, err
	}
	if err := browser.Prepare(site, "wasm/web/clip-worker.js", wasm, map[string]string{"model.bin": modelPath, "clip-simd.wasm": simd, "clip-simd-relaxed.wasm": relaxed}); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var res struct {
		Kernel  string  `json:"kernel"`
		ImageMs float64 `json:"imageMs"`
	}
	script := fmt.Sprintf(`(async () => {
		const info = await call("load", await bytes("model.bin"));
		const b = await call("bench", {batch: 1, iters: %d});
		return {kernel: info.kernel, imageMs: b.imageMs};
	})()`, iters)
	if err := browser.Run(ctx, chromium, site, script, &res); err != nil {
		return 0, err
	}
	if res.Kernel != kernel {
		return 0, fmt.Errorf("the worker ran the %q kernel, not %s", res.Kernel, kernel)
	}
	return res.ImageMs, nil
}
