//go:build !js

package wasmtest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clip-go/clip/internal/browser"
	"github.com/clip-go/clip/wasm/quanttest"
)

// TestBrowserMatchesNative: the engine in headless Chromium, through the Web Worker of
// wasm/web with its SIMD kernel modules, gives the native engine's embeddings and
// classifies: an int8 model on the SIMD128 module, an int4 one with the relaxed-SIMD
// module beside it (Chromium ships relaxed SIMD, so the worker must load it and use it),
// an int8 one with both (with 8-bit activations the relaxed module's int8 matmul does
// not apply: SIMD128 runs), and an int8 one with 7-bit activations (the relaxed int8
// matmul runs). Skipped without Chromium (apt-get install chromium).
func TestBrowserMatchesNative(t *testing.T) {
	simd := simdKernel(t)
	for _, c := range []struct {
		bits, actBits int
		relaxed       string // clip-simd-relaxed.wasm, or "" for none
		kernel        string
	}{{8, 8, "", "wasm-simd128"}, {4, 8, relaxedKernel(t), "wasm-relaxed-simd"}, {8, 8, relaxedKernel(t), "wasm-simd128"},
		{8, 7, relaxedKernel(t), "wasm-relaxed-simd"}, {8, 7, "", "wasm-simd128"}} {
		t.Run(fmt.Sprintf("int%d/act%d/relaxed-module=%v", c.bits, c.actBits, c.relaxed != ""), func(t *testing.T) {
			files := map[string]string{"clip-simd.wasm": simd}
			if c.relaxed != "" {
				files["clip-simd-relaxed.wasm"] = c.relaxed
			}
			browserMatchesNative(t, c.bits, c.actBits, files, c.kernel)
		})
	}
}

func browserMatchesNative(t *testing.T, bits, actBits int, files map[string]string, kernel string) {
	src := t.TempDir()
	modelPath := filepath.Join(src, "model.bin")
	data := quanttest.Model(t, quanttest.TinyConfig, bits, 32, 8)
	if actBits != 8 {
		data = quanttest.WithActBits(t, data, actBits)
	}
	os.WriteFile(modelPath, data, 0o644)
	imgPath := filepath.Join(src, "a.png")
	os.WriteFile(imgPath, quanttest.PNG(t, 48, 40, 3), 0o644)
	files["model.bin"], files["a.png"] = modelPath, imgPath
	run := site(t, files)
	var res struct {
		Info struct {
			ID     string `json:"id"`
			Kernel string `json:"kernel"`
		} `json:"info"`
		Image []float32   `json:"image"`
		Texts [][]float32 `json:"texts"`
		Top   [][]struct {
			Label string `json:"label"`
		} `json:"top"`
		BadError string `json:"badError"`
	}
	err := run(`(async () => {
		const info = await call("load", await bytes("model.bin"));
		const image = Array.from(await call("embedImage", await bytes("a.png")));
		const texts = (await call("embedTexts", ["a photo of a dog.", "a diagram"])).map((e) => Array.from(e));
		const top = await call("classify", {images: [await bytes("a.png")], labels: ["cat", "dog"], top: 1});
		let badError = "";
		try { await call("embedImage", new Uint8Array([1, 2, 3])); } catch (e) { badError = e.message; }
		return {info, image, texts, top, badError};
	})()`, &res)
	if err != nil {
		t.Fatal(err)
	}
	native := loadNative(t, modelPath)
	if res.Info.ID != native.ID() || res.Info.Kernel != kernel {
		t.Errorf("model id %q (native %q), kernel %q", res.Info.ID, native.ID(), res.Info.Kernel)
	}
	wantImg, _, _ := native.EncodeImageFiles([]string{imgPath})
	wantTxt, _ := native.EncodeTexts([]string{"a photo of a dog.", "a diagram"}, false)
	var worst float64
	for i, pair := range [][2][]float32{{res.Image, wantImg[0]}, {res.Texts[0], wantTxt[0]}, {res.Texts[1], wantTxt[1]}} {
		if len(pair[0]) != len(pair[1]) {
			t.Fatalf("embedding %d: %d values from the browser, %d native", i, len(pair[0]), len(pair[1]))
		}
		for k := range pair[1] {
			worst = max(worst, math.Abs(float64(pair[0][k]-pair[1][k])))
		}
	}
	t.Logf("largest difference browser vs native: %g", worst)
	if worst > 1e-5 {
		t.Errorf("browser and native differ by %g", worst)
	}
	if len(res.Top) != 1 || len(res.Top[0]) != 1 || res.BadError == "" {
		t.Errorf("classify %+v, bad image error %q", res.Top, res.BadError)
	}
}

// TestBrowserWithoutSIMDModule: a site without clip-simd.wasm (or a browser that cannot
// compile it) still works: the worker falls back to the portable kernel, same embeddings.
func TestBrowserWithoutSIMDModule(t *testing.T) {
	modelPath := filepath.Join(t.TempDir(), "model.bin")
	os.WriteFile(modelPath, quanttest.Model(t, quanttest.TinyConfig, 4, 32, 8), 0o644)
	run := site(t, map[string]string{"model.bin": modelPath})
	var res struct {
		Kernel string      `json:"kernel"`
		Texts  [][]float32 `json:"texts"`
	}
	err := run(`(async () => {
		const info = await call("load", await bytes("model.bin"));
		const texts = (await call("embedTexts", ["a photo of a dog."])).map((e) => Array.from(e));
		return {kernel: info.kernel, texts};
	})()`, &res)
	if err != nil {
		t.Fatal(err)
	}
	native := loadNative(t, modelPath)
	want, _ := native.EncodeTexts([]string{"a photo of a dog."}, false)
	if res.Kernel != "portable" || len(res.Texts) != 1 || len(res.Texts[0]) != len(want[0]) {
		t.Fatalf("kernel %q, %d embeddings", res.Kernel, len(res.Texts))
	}
	for k := range want[0] {
		if math.Abs(float64(res.Texts[0][k]-want[0][k])) > 1e-5 {
			t.Fatalf("embedding[%d] = %v, native %v", k, res.Texts[0][k], want[0][k])
		}
	}
}

// site serves the worker, the wasm build and files (name → path) to headless Chromium
// (skipping the test without one) and returns a function that evaluates a script there.
func site(t *testing.T, files map[string]string) func(script string, out any) error {
	t.Helper()
	chromium, err := browser.Find("")
	if err != nil {
		t.Skip(err)
	}
	wasm, err := buildWasm()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := browser.Prepare(dir, "../web/clip-worker.js", wasm, files); err != nil {
		t.Fatal(err)
	}
	return func(script string, out any) error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		return browser.Run(ctx, chromium, dir, script, out)
	}
}

// TestBrowserSIMDKernelFunctions runs the engine's TestJSKernel (each function of the
// SIMD module and the relaxed-SIMD int4 matmul against its Go twin, bit for bit: ragged
// shapes, zero blocks, extreme values) as a js/wasm test binary in headless Chromium's
// Web Worker with both modules loaded (testdata/kernel-worker.js). Where Node has no
// exact relaxed SIMD (Node 20, see nodeRelaxedFlags) this is the relaxed kernel's test.
func TestBrowserSIMDKernelFunctions(t *testing.T) {
	simd, relaxed := simdKernel(t), relaxedKernel(t)
	code, out := runEngineTests(t, simd, relaxed, "-test.run=^TestJSKernel$", "-test.v")
	if code != 0 {
		t.Fatalf("TestJSKernel in Chromium: exit %d\n%s", code, out)
	}
	for _, pass := range []string{"--- PASS: TestJSKernel ", "--- PASS: TestJSKernel/mm4-relaxed ", "--- PASS: TestJSKernel/mm8-relaxed ", "--- PASS: TestJSKernel/mm "} {
		if !strings.Contains(out, pass) {
			t.Fatalf("%s not in the output:\n%s", strings.TrimSpace(pass), out)
		}
	}
}

// runEngineTests runs the engine's js/wasm test binary with flags in headless Chromium's
// Web Worker with both kernel modules loaded (testdata/kernel-worker.js) and returns its
// exit code and output. It skips without Chromium.
func runEngineTests(t testing.TB, simd, relaxed string, flags ...string) (int, string) {
	t.Helper()
	chromium, err := browser.Find("")
	if err != nil {
		t.Skip(err)
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "engine.test.wasm")
	cmd := exec.Command("go", "test", "-c", "-o", bin, "github.com/clip-go/clip/wasm/engine")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	// Prepare serves the worker as clip-worker.js, with a clip-models.js from its folder
	workerDir := t.TempDir()
	for name, src := range map[string]string{"kernel-worker.js": "testdata/kernel-worker.js", "clip-models.js": "../web/clip-models.js"} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(workerDir, name), b, 0o644)
	}
	siteDir := t.TempDir()
	if err := browser.Prepare(siteDir, filepath.Join(workerDir, "kernel-worker.js"), bin,
		map[string]string{"clip-simd.wasm": simd, "clip-simd-relaxed.wasm": relaxed}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var res struct {
		Code int    `json:"code"`
		Out  string `json:"out"`
	}
	args, _ := json.Marshal(append([]string{"run"}, flags...))
	if err := browser.Run(ctx, chromium, siteDir, "call(..."+string(args)+")", &res); err != nil {
		t.Fatal(err)
	}
	return res.Code, res.Out
}

// BenchmarkBrowserMatmul runs the engine's BenchmarkJSMatmul (ViT-B/32's MLP matmul,
// SIMD128 int8 and int4, relaxed int4) in headless Chromium's worker once per b.N, so
// -benchtime Nx gives N interleaved rounds, and prints its result lines (b.Log would cut
// them). Not part of make test:
//
//	CLIP_SIMD_WASM=… CLIP_RELAXED_WASM=… go test -run '^$' -bench BrowserMatmul -benchtime 3x ./wasm/wasmtest
func BenchmarkBrowserMatmul(b *testing.B) {
	simd := os.Getenv("CLIP_SIMD_WASM")
	relaxed := os.Getenv("CLIP_RELAXED_WASM")
	if simd == "" || relaxed == "" {
		b.Skip("CLIP_SIMD_WASM and CLIP_RELAXED_WASM must name the kernel modules")
	}
	for round := range b.N {
		code, out := runEngineTests(b, simd, relaxed, "-test.run=^$", "-test.bench=^BenchmarkJSMatmul$")
		if code != 0 {
			b.Fatalf("exit %d\n%s", code, out)
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "BenchmarkJSMatmul") {
				fmt.Printf("round %d  %s\n", round+1, line)
			}
		}
	}
}
