//go:build !js

// Command benchquant measures the quantized engine on the ViT-B/32 shape with random
// weights against the float32 baselines, all in one run on this machine, and prints a
// Markdown table (`make bench-quant`, run from the repository root):
//
//   - the int8 (and int4) engine, batch 1 and 8, all cores and one;
//
//   - PyTorch float32 on the same CPU with the same thread count (Debian's python3-torch);
//
//   - GoMLX float32 on its pure-Go backend (model.New + EncodePixels; build with
//     GOEXPERIMENT=simd for its AVX kernels, as make does);
//
//   - the machine's sgemm peak through numpy/OpenBLAS, same threads;
//
//   - the WebAssembly build, one thread, in Node.js with its portable kernel and with
//     the SIMD kernel module (CLIP_SIMD_WASM, which make sets), and in headless Chromium
//     (when -chromium finds one) through the Web Worker, against the native engine on
//     one thread;
//
//   - the peak resident memory of `clip bench` with the int8 file loaded.
//
// With -peers it measures our engine against ONNX Runtime instead (peers.go, make
// bench-peers).
//
//	go run ./wasm/internal/benchquant [-threads N] [-iters 3] [-python /usr/bin/python3]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/model/arch"
	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/model/tokenizer"
	"github.com/clip-go/clip/wasm/engine"
	"github.com/clip-go/clip/weights"
)

func main() {
	threads := flag.Int("threads", runtime.NumCPU(), "threads for every multi-threaded measurement")
	iters := flag.Int("iters", 3, "timed runs per measurement (the median is reported), after one warm-up")
	python := flag.String("python", "/usr/bin/python3", "python with torch and numpy")
	nodeBin := flag.String("node", "node", "Node.js binary")
	chromium := flag.String("chromium", "chromium", "Chromium binary for the browser measurement (skipped if absent)")
	skipGoMLX := flag.Bool("skip-gomlx", false, "skip the GoMLX baseline")
	peers := flag.Bool("peers", false, "instead: our engine against ONNX Runtime native and Web (make bench-peers; -python then needs onnxruntime and transformers)")
	relaxed := flag.Bool("relaxed", false, "instead: the int4 image tower in headless Chromium, SIMD128 vs relaxed SIMD, interleaved -iters rounds (make bench-relaxed)")
	text := flag.Bool("text", false, "instead: the text tower, 700 prompts (100 labels × 7 templates), int8 and int4 (make bench-text)")
	flag.Parse()
	if *text {
		if err := runText(*threads, *iters); err != nil {
			fmt.Fprintln(os.Stderr, "benchquant:", err)
			os.Exit(1)
		}
		return
	}
	if *relaxed {
		if err := runRelaxed(*iters, *chromium); err != nil {
			fmt.Fprintln(os.Stderr, "benchquant:", err)
			os.Exit(1)
		}
		return
	}
	if *peers {
		if err := runPeers(*threads, *iters, *python, *nodeBin, *chromium); err != nil {
			fmt.Fprintln(os.Stderr, "benchquant:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*threads, *iters, *python, *nodeBin, *chromium, *skipGoMLX); err != nil {
		fmt.Fprintln(os.Stderr, "benchquant:", err)
		os.Exit(1)
	}
}

func run(threads, iters int, python, nodeBin, chromium string, skipGoMLX bool) error {
	cfg, _ := arch.Preset("ViT-B/32")
	dir, err := os.MkdirTemp("", "benchquant-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintln(os.Stderr, "building the random ViT-B/32 and its quantized files…")
	params := model.InitParams(cfg, 1)
	files := map[int]string{}
	sizes := map[int]int64{}
	for _, bits := range []int{8, 4} {
		files[bits] = filepath.Join(dir, fmt.Sprintf("vitb32-int%d.safetensors", bits))
		if err := writeQuantized(cfg, params, bits, weights.DefaultBlock, 8, files[bits]); err != nil {
			return err
		}
		st, _ := os.Stat(files[bits])
		sizes[bits] = st.Size()
	}
	pixels := map[int][]float32{1: benchPixels(1), 8: benchPixels(8)}
	timeIt := func(b int, run func() error) (float64, error) {
		if err := run(); err != nil {
			return 0, err
		}
		ts := make([]float64, iters)
		for i := range ts {
			start := time.Now()
			if err := run(); err != nil {
				return 0, err
			}
			ts[i] = time.Since(start).Seconds()
		}
		slices.Sort(ts)
		return 1000 * ts[len(ts)/2] / float64(b), nil
	}
	ms := map[string]map[int]float64{}
	measure := func(name string, run func(b int) error) error {
		ms[name] = map[int]float64{}
		for _, b := range []int{1, 8} {
			t, err := timeIt(b, func() error { return run(b) })
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			ms[name][b] = t
			fmt.Fprintf(os.Stderr, "%-34s batch %d: %8.1f ms/image\n", name, b, t)
		}
		return nil
	}

	if !skipGoMLX {
		be, err := model.NewBackend("")
		if err != nil {
			return err
		}
		fm, err := model.New(be, cfg, params)
		if err != nil {
			return err
		}
		if err := measure("gomlx", func(b int) error { _, err := fm.EncodePixels(pixels[b], b); return err }); err != nil {
			return err
		}
	}
	params = nil
	runtime.GC()
	debug.FreeOSMemory()

	for _, c := range []struct {
		name string
		bits int
		opt  engine.Options
	}{
		{"int8", 8, engine.Options{Workers: threads}},
		{"int4", 4, engine.Options{Workers: threads}},
		{"int8-1thread", 8, engine.Options{Workers: 1}},
		{"int8-1thread-portable", 8, engine.Options{Workers: 1, Portable: true}},
	} {
		m, err := engine.LoadFile(files[c.bits], c.opt)
		if err != nil {
			return err
		}
		if err := measure(c.name, func(b int) error { _, err := m.EncodePixels(pixels[b], b); return err }); err != nil {
			return err
		}
		if c.name == "int8" {
			fmt.Fprintln(os.Stderr, "kernel:", m.Kernel())
		}
	}

	fmt.Fprintln(os.Stderr, "PyTorch and sgemm…")
	var torch struct {
		Version string             `json:"torch"`
		MS      map[string]float64 `json:"ms_per_image"`
		SGEMM   float64            `json:"sgemm_gflops"`
	}
	cmd := exec.Command(python, "wasm/internal/benchquant/torch_vit.py", fmt.Sprint(threads), fmt.Sprint(iters), "1,8")
	cmd.Env = append(os.Environ(), fmt.Sprintf("OMP_NUM_THREADS=%d", threads), fmt.Sprintf("OPENBLAS_NUM_THREADS=%d", threads))
	cmd.Stderr = os.Stderr
	if out, err := cmd.Output(); err != nil {
		fmt.Fprintf(os.Stderr, "PyTorch not measured: %v\n", err)
	} else if err := json.Unmarshal(out, &torch); err != nil {
		return fmt.Errorf("torch script: %v: %s", err, out)
	}

	// WebAssembly, one thread: Node with the portable kernel (what a page without the
	// SIMD module runs) and with the SIMD kernel, and headless Chromium with the SIMD
	// kernel (the web worker as shipped).
	wasmMs := map[string]float64{}
	var wasmMem float64
	simdKernel := os.Getenv("CLIP_SIMD_WASM")
	if simdKernel == "" {
		fmt.Fprintln(os.Stderr, "CLIP_SIMD_WASM unset (make bench sets it): the WebAssembly SIMD kernel is not measured")
	}
	if wasm, err := buildWasm(dir); err != nil {
		fmt.Fprintln(os.Stderr, "wasm not built:", err)
	} else {
		for _, c := range []struct{ key, simd string }{{"node-portable", ""}, {"node", simdKernel}} {
			if c.key == "node" && simdKernel == "" {
				continue
			}
			t, mem, kernel, err := nodeBench(nodeBin, wasm, files[8], iters, c.simd)
			if err != nil {
				fmt.Fprintln(os.Stderr, "node:", err)
				continue
			}
			wasmMs[c.key] = t
			if c.key == "node" || wasmMem == 0 {
				wasmMem = mem
			}
			fmt.Fprintf(os.Stderr, "%-34s batch 1: %8.1f ms/image\n", "wasm in Node ("+kernel+")", t)
		}
		if simdKernel != "" {
			if t, err := chromiumBench(chromium, dir, wasm, simdKernel, files[8], iters); err != nil {
				fmt.Fprintln(os.Stderr, "chromium:", err)
			} else {
				wasmMs["chromium"] = t
				fmt.Fprintf(os.Stderr, "%-34s batch 1: %8.1f ms/image\n", "wasm in Chromium (wasm-simd128)", t)
			}
		}
	}

	peak, peakCLI, err := peakMemory(dir, files[8])
	if err != nil {
		fmt.Fprintln(os.Stderr, "peak memory:", err)
	}

	// The table.
	cfgJSON, _ := cfg.Marshal()
	ecfg, err := engine.ParseConfig(cfgJSON)
	if err != nil {
		return err
	}
	flops := ecfg.ImageFLOPs()
	gf := func(msPerImage float64) string { return fmt.Sprintf("%.0f", flops/(msPerImage/1000)/1e9) }
	f1 := func(v float64) string { return fmt.Sprintf("%.1f", v) }
	ratio := func(a, b float64) string {
		if a == 0 || b == 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f×", a/b)
	}
	simd := "GOEXPERIMENT unset"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "GOEXPERIMENT" {
				simd = "GOEXPERIMENT=" + s.Value
			}
		}
	}
	fmt.Printf("ViT-B/32 image encoder, random weights, %d threads unless noted, ms per image (median of %d), %s\n\n", threads, iters, runtime.GOARCH)
	fmt.Println("| | batch 1 | batch 8 | GFLOP/s (batch 8) |")
	fmt.Println("|---|---|---|---|")
	line := func(name string, key string) {
		if v, ok := ms[key]; ok {
			fmt.Printf("| %s | %s | %s | %s |\n", name, f1(v[1]), f1(v[8]), gf(v[8]))
		}
	}
	line(fmt.Sprintf("int8 engine (%.1f MB file)", float64(sizes[8])/1e6), "int8")
	line(fmt.Sprintf("int4 engine (%.1f MB file; text tower 8-bit)", float64(sizes[4])/1e6), "int4")
	if torch.MS != nil {
		fmt.Printf("| PyTorch %s float32 (OpenBLAS) | %s | %s | %s |\n", torch.Version, f1(torch.MS["1"]), f1(torch.MS["8"]), gf(torch.MS["8"]))
	}
	line("GoMLX float32, pure-Go backend ("+simd+")", "gomlx")
	line("int8 engine, 1 thread", "int8-1thread")
	line("int8 engine, 1 thread, portable kernel", "int8-1thread-portable")
	for _, w := range wasmRows {
		if v, ok := wasmMs[w.key]; ok {
			fmt.Printf("| int8 WebAssembly in %s, 1 thread | %s | – | %s (batch 1) |\n", w.name, f1(v), gf(v))
		}
	}
	fmt.Println()
	fmt.Println("| ratio | batch 1 | batch 8 | goal |")
	fmt.Println("|---|---|---|---|")
	if torch.MS != nil {
		fmt.Printf("| PyTorch float32 / int8 engine (speed-up) | %s | %s | ≥ 2× |\n", ratio(torch.MS["1"], ms["int8"][1]), ratio(torch.MS["8"], ms["int8"][8]))
	}
	if g, ok := ms["gomlx"]; ok {
		fmt.Printf("| GoMLX float32 / int8 engine (speed-up) | %s | %s | ≥ 4× |\n", ratio(g[1], ms["int8"][1]), ratio(g[8], ms["int8"][8]))
	}
	for _, w := range wasmRows {
		if v, ok := wasmMs[w.key]; ok {
			fmt.Printf("| wasm in %s / native 1 thread (slow-down) | %s (vs the portable kernel natively: %s) | – | ≤ 2.5× |\n",
				w.name, ratio(v, ms["int8-1thread"][1]), ratio(v, ms["int8-1thread-portable"][1]))
		}
	}
	if torch.SGEMM > 0 {
		fmt.Printf("| int8 engine effective GFLOP/s / sgemm peak (%.0f GFLOP/s, numpy/OpenBLAS) | %s | %s | – |\n", torch.SGEMM,
			ratio(flops/(ms["int8"][1]/1000)/1e9, torch.SGEMM), ratio(flops/(ms["int8"][8]/1000)/1e9, torch.SGEMM))
	}
	if peak > 0 {
		mb := float64(sizes[8]) / 1e6
		fmt.Printf("| peak memory with the int8 model loaded / file size: engine alone (memprobe) | %.0f MB / %.0f MB = %s | – | ≤ 1.25× |\n", peak, mb, ratio(peak, mb))
		fmt.Printf("| same, the clip CLI (clip bench --model) | %.0f MB / %.0f MB = %s | – | ≤ 1.25× |\n", peakCLI, mb, ratio(peakCLI, mb))
		if wasmMem > 0 {
			fmt.Printf("| same, WebAssembly memory in Node.js after load and encoding | %.0f MB / %.0f MB = %s | – | ≤ 1.25× |\n", wasmMem, mb, ratio(wasmMem, mb))
		}
	}
	return nil
}

// writeQuantized quantizes the model as `clip quantize` does (its text tower at 8 bits).
func writeQuantized(cfg model.Config, params map[string]*weights.Tensor, bits, block, actBits int, path string) error {
	tok, err := tokenizer.Default()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "benchquant-tok-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := tok.WriteHub(tmp); err != nil {
		return err
	}
	vocab, _ := os.ReadFile(filepath.Join(tmp, "vocab.json"))
	merges, _ := os.ReadFile(filepath.Join(tmp, "merges.txt"))
	cfgJSON, err := cfg.Marshal()
	if err != nil {
		return err
	}
	qf, err := engine.Quantize(cfgJSON, params, vocab, merges, imageproc.DefaultConfig(cfg.Vision.ImageSize).Record(),
		bits, engine.TextBitsFor(bits), block)
	if err != nil {
		return err
	}
	qf.ActBits = actBits
	return weights.WriteQuantFile(path, qf)
}

func buildWasm(dir string) (string, error) {
	out := filepath.Join(dir, "clip.wasm")
	cmd := exec.Command("go", "build", "-o", out, "./wasm/cmd/clipwasm")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%v: %s", err, b)
	}
	return out, nil
}

// wasmRows name the WebAssembly measurements in the tables.
var wasmRows = []struct{ key, name string }{
	{"node-portable", "Node.js, portable kernel"},
	{"node", "Node.js, SIMD kernel"},
	{"chromium", "headless Chromium, SIMD kernel"},
}

// nodeBench runs the engine's bench function through the JavaScript API in Node, with
// the SIMD kernel module simd ("": none); it returns ms per image, the size of the
// WebAssembly memory afterwards and the kernel that ran.
func nodeBench(nodeBin, wasm, modelPath string, iters int, simd string) (float64, float64, string, error) {
	r := map[string]any{"model": modelPath, "bench": map[string]any{"batch": 1, "iters": iters}}
	if simd != "" {
		r["simd"] = simd
	}
	req, _ := json.Marshal(r)
	reqFile := filepath.Join(filepath.Dir(wasm), "req.json")
	if err := os.WriteFile(reqFile, req, 0o644); err != nil {
		return 0, 0, "", err
	}
	execJS := filepath.Join(runtime.GOROOT(), "lib", "wasm", "wasm_exec.js")
	out, err := exec.Command(nodeBin, "--stack-size=8192", "wasm/wasmtest/testdata/run-node.js", execJS, wasm, reqFile).Output()
	if err != nil {
		return 0, 0, "", err
	}
	var res struct {
		Info struct {
			Kernel string `json:"kernel"`
		} `json:"info"`
		Bench  map[string]float64 `json:"bench"`
		Memory float64            `json:"wasmMemoryBytes"`
		Error  string             `json:"error"`
	}
	if err := json.Unmarshal(out, &res); err != nil || res.Error != "" {
		return 0, 0, "", fmt.Errorf("%v %s", err, res.Error)
	}
	return res.Bench["imageMs"], res.Memory / 1e6, res.Info.Kernel, nil
}

// peakMemory reads the peak resident set of a process that loads the file and encodes
// an image and a prompt: memprobe (the engine alone) and `clip bench --model` (the CLI,
// whose binary with GoMLX starts at about 30 MB).
func peakMemory(dir, modelPath string) (engineOnly, cli float64, err error) {
	probe, bin := filepath.Join(dir, "memprobe"), filepath.Join(dir, "clip")
	for pkg, out := range map[string]string{"./wasm/internal/memprobe": probe, "./cmd/clip": bin} {
		if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
			return 0, 0, fmt.Errorf("%v: %s", err, b)
		}
	}
	out, err := exec.Command(probe, modelPath).Output()
	if err != nil {
		return 0, 0, err
	}
	if _, err := fmt.Sscan(string(out), &engineOnly); err != nil {
		return 0, 0, err
	}
	out, err = exec.Command(bin, "bench", "--model", modelPath, "--batch", "1", "--iters", "1").Output()
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var r struct {
			Peak float64 `json:"peak_rss_mb"`
		}
		json.Unmarshal([]byte(line), &r)
		cli = max(cli, r.Peak)
	}
	return engineOnly, cli, nil
}
