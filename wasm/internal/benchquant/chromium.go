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
	chromium, err := browser.Find(name)
	if err != nil {
		return 0, err
	}
	site := filepath.Join(dir, "site")
	if err := os.MkdirAll(site, 0o755); err != nil {
		return 0, err
	}
	if err := browser.Prepare(site, "wasm/web/clip-worker.js", wasm, map[string]string{"model.bin": modelPath, "clip-simd.wasm": simd}); err != nil {
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
	if res.Kernel != "wasm-simd128" {
		return 0, fmt.Errorf("the worker ran the %q kernel, not the SIMD one", res.Kernel)
	}
	return res.ImageMs, nil
}
