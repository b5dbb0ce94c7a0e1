//go:build !js

// Package browser runs the WebAssembly engine in headless Chromium, driven with chromedp:
// it serves a folder on 127.0.0.1 with the engine's Web Worker (wasm/web/clip-worker.js),
// Go's wasm_exec.js, clip.wasm and a test page, and evaluates a script in the page. For
// the browser test and the benchmark; Chromium is Debian's (apt-get install chromium).
package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Find returns the Chromium binary: name if it is on PATH, else the usual Debian names.
func Find(name string) (string, error) {
	for _, n := range []string{name, "chromium", "chromium-browser", "google-chrome"} {
		if n == "" {
			continue
		}
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no Chromium found (apt-get install chromium)")
}

// page is the test page: call(op, ...args) sends one request to the worker and resolves
// with its result (or rejects with its error).
const page = `<!doctype html><meta charset="utf-8"><title>clip engine</title>
<script>
const worker = new Worker("clip-worker.js");
let next = 0;
const pending = new Map();
worker.onmessage = (e) => {
  const p = pending.get(e.data.id);
  pending.delete(e.data.id);
  if (e.data.error !== undefined) p.reject(new Error(e.data.error)); else p.resolve(e.data.result);
};
window.call = (op, ...args) => new Promise((resolve, reject) => {
  const id = next++;
  pending.set(id, {resolve, reject});
  worker.postMessage({id, op, args});
});
window.bytes = async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer());
</script>`

// Prepare writes the page, the worker, wasm_exec.js and the given files (name → source
// path; an empty path leaves the name out) into dir. workerJS is the path of
// wasm/web/clip-worker.js.
func Prepare(dir, workerJS, wasm string, files map[string]string) error {
	files = maps(files)
	files["clip-worker.js"] = workerJS
	files["clip-models.js"] = filepath.Join(filepath.Dir(workerJS), "clip-models.js") // the worker imports it
	files["clip.wasm"] = wasm
	files["wasm_exec.js"] = filepath.Join(goroot(), "lib", "wasm", "wasm_exec.js")
	for name, src := range files {
		if src == "" {
			continue
		}
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, "index.html"), []byte(page), 0o644)
}

func maps(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func goroot() string { return goruntime.GOROOT() }

// Run serves dir on 127.0.0.1, opens index.html in headless Chromium (see Start) and
// evaluates script, an expression whose value (a promise is awaited) is decoded into out
// as JSON.
func Run(ctx context.Context, chromium, dir, script string, out any) error {
	return RunHandler(ctx, chromium, http.FileServer(http.Dir(dir)), script, out)
}

// CrossOriginIsolated serves h with the headers that make its pages cross-origin
// isolated (COOP same-origin, COEP require-corp): what SharedArrayBuffer, and so
// WebAssembly threads, need.
func CrossOriginIsolated(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
		w.Header().Set("Cross-Origin-Embedder-Policy", "require-corp")
		h.ServeHTTP(w, r)
	})
}

// RunHandler is Run with the folder's server given as a handler (for example
// CrossOriginIsolated(http.FileServer(...))).
func RunHandler(ctx context.Context, chromium string, h http.Handler, script string, out any) error {
	srv := httptest.NewServer(h)
	defer srv.Close()
	bctx, cancel, err := Start(ctx, chromium)
	if err != nil {
		return err
	}
	defer cancel()
	var raw json.RawMessage
	err = chromedp.Run(bctx,
		chromedp.Navigate(srv.URL+"/index.html"),
		chromedp.Evaluate(script, &raw, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
			return p.WithAwaitPromise(true)
		}),
	)
	if err != nil {
		return fmt.Errorf("chromium: %w", err)
	}
	return json.Unmarshal(raw, out)
}

// Start launches headless Chromium with a fresh profile, no sandbox, no GPU and no
// background traffic, and returns a chromedp context for its first tab; cancel closes
// the browser and removes the profile.
func Start(ctx context.Context, chromium string) (context.Context, context.CancelFunc, error) {
	profile, err := os.MkdirTemp("", "clip-chromium-")
	if err != nil {
		return nil, nil, err
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelTab := chromedp.NewContext(actx)
	return bctx, func() {
		cancelTab()
		cancelAlloc()
		os.RemoveAll(profile)
	}, nil
}
