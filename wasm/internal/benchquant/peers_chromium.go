//go:build !js

package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/clip-go/clip/internal/browser"
)

// webTimes is what the Chromium page returns: ms per image of each engine, per round.
type webTimes struct {
	Kernel       string               `json:"kernel"`
	Kernel4      string               `json:"kernel4"` // the int4 worker's
	Kernel7      string               `json:"kernel7"` // the workers' on the file with 7-bit activations
	Version      string               `json:"version"`
	Agent        string               `json:"agent"`
	MS           map[string][]float64 `json:"ms"`
	Int8Features []float32            `json:"int8Features"` // ONNX Runtime Web int8, the first image
}

// peersChromium serves our worker and onnxruntime-web's wasm-only build from one folder
// and times, in rounds, our engine's bench (batch 1, in the worker), two workers encoding
// an image each at once (the page's pool on two cores), an int4 worker (relaxed SIMD
// where the browser has it), a worker on an int8 file in blocks of 128, one on the int8
// file with 7-bit activations (relaxed SIMD) and two of those side by side (its pool on
// two cores), and one run of each ONNX model on the page: once with
// onnxruntime-web on one thread, once on two (the page then cross-origin isolated, which
// its threads need).
func peersChromium(name, dir, modelPath, model4Path, model128Path, model7Path string, onnxFile func(string) string, rounds int) (map[int]*webTimes, error) {
	chromium, err := browser.Find(name)
	if err != nil {
		return nil, err
	}
	simd := os.Getenv("CLIP_SIMD_WASM")
	if simd == "" {
		return nil, fmt.Errorf("CLIP_SIMD_WASM unset (make bench-peers sets it)")
	}
	wasm, err := buildWasm(dir)
	if err != nil {
		return nil, err
	}
	site := filepath.Join(dir, "site")
	if err := os.MkdirAll(site, 0o755); err != nil {
		return nil, err
	}
	dist := filepath.Join(peersDir, "node_modules", "onnxruntime-web", "dist")
	files := map[string]string{
		"model.bin":              modelPath,
		"model4.bin":             model4Path,
		"model128.bin":           model128Path,
		"model7.bin":             model7Path,
		"clip-simd.wasm":         simd,
		"clip-simd-relaxed.wasm": os.Getenv("CLIP_RELAXED_WASM"),
		"image-int8.onnx":        onnxFile("int8"),
		"image-f32.onnx":         onnxFile("f32"),
	}
	for _, f := range []string{"ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"} {
		files[f] = filepath.Join(dist, f)
	}
	if err := browser.Prepare(site, "wasm/web/clip-worker.js", wasm, files); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	out := map[int]*webTimes{}
	for _, threads := range []int{1, 2} {
		h := http.FileServer(http.Dir(site))
		if threads > 1 {
			h = browser.CrossOriginIsolated(h)
		}
		res, err := webRounds(ctx, chromium, h, rounds, threads)
		if err != nil {
			return out, fmt.Errorf("onnxruntime-web on %d threads: %w", threads, err)
		}
		out[threads] = res
	}
	return out, nil
}

// webRounds runs the page's interleaved rounds with onnxruntime-web on threads threads.
func webRounds(ctx context.Context, chromium string, h http.Handler, rounds, threads int) (*webTimes, error) {
	script := fmt.Sprintf(`(async () => {
		const ort = await import("./ort.wasm.min.mjs");
		ort.env.wasm.numThreads = %d;
		if (%d > 1 && !crossOriginIsolated) throw new Error("the page is not cross-origin isolated");
		const info = await call("load", await bytes("model.bin"));
		const px = new Float32Array(3 * 224 * 224);
		for (let i = 0; i < px.length; i++) px[i] = (i %% 251) / 64 - 2;
		const feeds = () => ({pixel_values: new ort.Tensor("float32", px, [1, 3, 224, 224])});
		const s = {};
		for (const k of ["int8", "f32"]) {
			s[k] = await ort.InferenceSession.create("image-" + k + ".onnx", {executionProviders: ["wasm"], graphOptimizationLevel: "all"});
			await s[k].run(feeds());
		}
		const first = await s.int8.run(feeds());
		// More workers of our engine, each its own Go instance, as the page's pool makes
		// them: two holding the int8 model (the pool on two cores: two images at once),
		// and one holding the int4 model, which takes the relaxed-SIMD kernel where the
		// browser has it.
		const worker = () => {
			const w = new Worker("clip-worker.js"), pending = new Map();
			let next = 0;
			w.onmessage = (e) => {
				const p = pending.get(e.data.id);
				pending.delete(e.data.id);
				if (e.data.error !== undefined) p.reject(new Error(e.data.error)); else p.resolve(e.data.result);
			};
			return (op, ...args) => new Promise((resolve, reject) => {
				const id = next++;
				pending.set(id, {resolve, reject});
				w.postMessage({id, op, args});
			});
		};
		const pool = [worker(), worker()];
		for (const c of pool) await c("load", await bytes("model.bin"));
		const four = worker();
		const info4 = await four("load", await bytes("model4.bin"));
		const b128 = worker(); // int8 in blocks of 128: fewer float steps per product
		await b128("load", await bytes("model128.bin"));
		const pool7 = [worker(), worker()]; // int8 with 7-bit activations: relaxed SIMD
		let info7;
		for (const c of pool7) info7 = await c("load", await bytes("model7.bin"));
		// Each worker's bench runs an untimed image, then the timed one, then the text
		// encoder: the workers' timed images run side by side, so the pool's time per image
		// is their mean over the pool's size.
		const poolRun = async (pool) => {
			const res = await Promise.all(pool.map((c) => c("bench", {batch: 1, iters: 1})));
			return res.reduce((sum, r) => sum + r.imageMs, 0) / res.length / pool.length;
		};
		await poolRun(pool);
		await poolRun(pool7);
		await four("bench", {batch: 1, iters: 1});
		await b128("bench", {batch: 1, iters: 1});
		const ms = {ours: [], int8: [], f32: [], pool: [], int4: [], b128: [], a7: [], pool7: []};
		for (let r = 0; r < %d; r++) {
			ms.ours.push((await call("bench", {batch: 1, iters: 1})).imageMs);
			ms.pool.push(await poolRun(pool));
			ms.int4.push((await four("bench", {batch: 1, iters: 1})).imageMs);
			ms.b128.push((await b128("bench", {batch: 1, iters: 1})).imageMs);
			ms.a7.push((await pool7[0]("bench", {batch: 1, iters: 1})).imageMs);
			ms.pool7.push(await poolRun(pool7));
			for (const k of ["int8", "f32"]) {
				const t = performance.now();
				await s[k].run(feeds());
				ms[k].push(performance.now() - t);
			}
		}
		return {kernel: info.kernel, kernel4: info4.kernel, kernel7: info7.kernel, version: ort.env.versions.web, ms, agent: navigator.userAgent,
			int8Features: Array.from(first.embeds.data)};
	})()`, threads, threads, rounds)
	var res webTimes
	if err := browser.RunHandler(ctx, chromium, h, script, &res); err != nil {
		return nil, err
	}
	if res.Kernel != "wasm-simd128" {
		return nil, fmt.Errorf("the worker ran the %q kernel, not the SIMD one", res.Kernel)
	}
	return &res, nil
}
