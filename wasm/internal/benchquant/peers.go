//go:build !js

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/model/arch"
	"github.com/clip-go/clip/model/tokenizer"
	"github.com/clip-go/clip/wasm/engine"
	"github.com/clip-go/clip/weights"
)

// refPrompts are the two prompts whose text features every engine is checked on.
var refPrompts = []string{"a photo of a cat.", "a diagram of the inside of a wasp's nest"}

// timeTexts times the text tower as a zero-shot classifier of 100 labels uses it: the 700
// prompts of benchPrompts in one call, in rounds that interleave the engines (after a
// warm-up round), and returns each engine's seconds. Ours encode the token rows as they
// are (each as long as its prompt); ONNX Runtime gets them padded with zeros to the
// longest of their batch, as transformers.js pads a batch (the causal mask keeps the
// padding out of each prompt's end-of-text feature), all 700 in one batch and in
// batches of 50.
func timeTexts(ours map[string]*engine.Model, others []string, ortCall func(map[string]any) (float64, error), onnxDir string, rounds int) (map[string][]float64, error) {
	prompts, err := benchPrompts()
	if err != nil {
		return nil, err
	}
	rows, err := ours["int8"].Tokenize(prompts, true)
	if err != nil {
		return nil, err
	}
	// pad cuts rows into batches of n rows, each padded to its own longest.
	pad := func(n int) [][][]int {
		var batches [][][]int
		for lo := 0; lo < len(rows); lo += n {
			batch := rows[lo:min(lo+n, len(rows))]
			longest := 0
			for _, r := range batch {
				longest = max(longest, len(r))
			}
			var padded [][]int
			for _, r := range batch {
				padded = append(padded, append(slices.Clone(r), make([]int, longest-len(r))...))
			}
			batches = append(batches, padded)
		}
		return batches
	}
	ortText := func(kind string, n int) func() (float64, error) {
		batches := pad(n)
		return func() (float64, error) {
			var total float64
			for _, b := range batches {
				ms, err := ortCall(map[string]any{"model": filepath.Join(onnxDir, "text-"+kind+".onnx"), "ids": b})
				if err != nil {
					return 0, err
				}
				total += ms
			}
			return total / 1000, nil
		}
	}
	oursText := func(name string) func() (float64, error) {
		return func() (float64, error) {
			start := time.Now()
			_, err := ours[name].EncodeTokens(rows)
			return time.Since(start).Seconds(), err
		}
	}
	type textEngine struct {
		key string
		run func() (float64, error)
	}
	engines := []textEngine{
		{"int8", oursText("int8")}, {"ort-int8", ortText("int8", len(rows))}, {"int8-vnni", oursText("int8-vnni")},
		{"ort-int8-b50", ortText("int8", 50)}, {"int8-b128", oursText("int8-b128")}, {"int8-a7", oursText("int8-a7")},
		{"ort-f32", ortText("f32", len(rows))},
	}
	for _, key := range others {
		if strings.HasPrefix(key, "int8@") {
			engines = append(engines, textEngine{key, oursText(key)})
		}
	}
	secs := map[string][]float64{}
	for round := 0; round <= rounds; round++ {
		for _, e := range engines {
			time.Sleep(settle)
			s, err := e.run()
			if err != nil {
				return nil, fmt.Errorf("text, %s: %w", e.key, err)
			}
			if round > 0 {
				secs[e.key] = append(secs[e.key], s)
			}
		}
		if round > 0 {
			fmt.Fprintf(os.Stderr, "text round %d/%d: int8 %.2f s, ONNX Runtime int8 %.2f s for %d prompts\n", round, rounds,
				secs["int8"][round-1], secs["ort-int8"][round-1], len(rows))
		}
	}
	return secs, nil
}

// settle is the pause before each timed run of the native comparison: ONNX Runtime's
// pool threads spin for a while after a run (its default, good for its own latency), and
// without the pause they took the cores from whichever engine ran next (ours ran 2.3×
// slower right after an ONNX Runtime run than after one of ours).
const settle = 300 * time.Millisecond

// peersDir holds the peers' npm packages (package.json pins them; make bench-peers runs
// npm ci --ignore-scripts there) and their runners.
const peersDir = "wasm/internal/benchquant/peers"

// runPeers measures our engine against ONNX Runtime on the same random-weight ViT-B/32
// (make bench-peers): peers_onnx.py exports it to ONNX float32 and quantize_dynamic's
// int8 and checks them against PyTorch; then, in rounds that interleave every engine so
// that a machine whose load changes slows them alike, our int8 and int4 engine natively
// against onnxruntime-node (threads threads, batch 1 and 8), and our engine's Web Worker
// against onnxruntime-web's wasm build in one headless Chromium page (batch 1; ours one
// worker, onnxruntime-web on one thread, then on two in a cross-origin isolated page).
func runPeers(threads, rounds int, python, nodeBin, chromium string) error {
	cfg, _ := arch.Preset("ViT-B/32")
	dir, err := os.MkdirTemp("", "benchpeers-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	load0 := loadAvg()
	fmt.Fprintln(os.Stderr, "writing the random ViT-B/32 as a hub folder and our quantized files…")
	params := model.InitParams(cfg, 1)
	hub := filepath.Join(dir, "hub")
	if err := writeHub(cfg, params, hub); err != nil {
		return err
	}
	// Our files: int8 and int4 in blocks of 32 (the default), and int8 in blocks of 128,
	// the cheaper scheme (fewer scales to apply) measured against the float model.
	// And int8 with 7-bit activations: slightly less accurate, and in the browser its
	// int8 layers take the relaxed-SIMD kernel.
	files := map[string]string{}
	for _, f := range []struct {
		name                 string
		bits, block, actBits int
	}{{"int8", 8, 32, 8}, {"int4", 4, 32, 8}, {"int8-b128", 8, 128, 8}, {"int8-a7", 8, 32, 7}} {
		files[f.name] = filepath.Join(dir, fmt.Sprintf("vitb32-%s.safetensors", f.name))
		if err := writeQuantized(cfg, params, f.bits, f.block, f.actBits, files[f.name]); err != nil {
			return err
		}
	}
	params = nil

	fmt.Fprintln(os.Stderr, "exporting to ONNX (PyTorch), quantizing (ONNX Runtime) and checking…")
	tok, err := tokenizer.Default()
	if err != nil {
		return err
	}
	var ids [][]int
	for _, s := range refPrompts {
		e, err := tok.Encode(s)
		if err != nil {
			return err
		}
		p, _ := tok.Pad(e, cfg.Text.MaxPositionEmbeddings)
		ids = append(ids, p)
	}
	idsJSON, _ := json.Marshal(ids)
	onnxDir := filepath.Join(dir, "onnx")
	cmd := exec.Command(python, "wasm/internal/benchquant/peers_onnx.py", hub, onnxDir, string(idsJSON))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("peers_onnx.py: %w", err)
	}
	type tower struct {
		F32RelDiff   float64            `json:"f32_rel_diff"`
		Int8Cosine   []float64          `json:"int8_cosine"`
		Torch        [][]float64        `json:"torch_features"`
		MB           map[string]float64 `json:"mb"`
		Int8Ops      map[string]int     `json:"int8_ops"`
		Int8Features [][]float64        `json:"int8_features"`
	}
	var peers struct {
		Torch       string `json:"torch"`
		OnnxRuntime string `json:"onnxruntime"`
		Image, Text tower
	}
	if err := json.Unmarshal(out, &peers); err != nil {
		return fmt.Errorf("peers_onnx.py printed %q: %w", out, err)
	}
	onnxFile := func(kind string) string { return filepath.Join(onnxDir, "image-"+kind+".onnx") }

	// Accuracy: each engine's image features of the same two inputs against PyTorch float32.
	cosines := map[string]float64{"ort-int8": slices.Min(peers.Image.Int8Cosine)}
	ours, kernels := map[string]*engine.Model{}, map[string]string{}
	// int8-vnni: the int8 file on the AVX-512 VNNI kernel where AMX would run.
	type variant struct {
		name, file string
		noAMX      bool
		workers    int    // 0: threads
		kernel     string // "": the best this CPU runs
	}
	variants := []variant{{"int8", "int8", false, 0, ""}, {"int8-vnni", "int8", true, 0, ""}, {"int4", "int4", false, 0, ""},
		{"int8-b128", "int8-b128", false, 0, ""}, {"int8-a7", "int8-a7", false, 0, ""},
		{"int8-1t", "int8", false, 1, ""}} // one thread, to set beside one Web Worker
	// The CPU's other kernels (AVX-VNNI, AVX2 on an AVX-512 machine): what CPUs without
	// the best one get, measured on this one.
	var others []string
	for _, k := range engine.Kernels()[1:] {
		if k == "portable" {
			continue
		}
		others = append(others, "int8@"+k)
		variants = append(variants, variant{"int8@" + k, "int8", false, 0, k})
		if k == "avx2" {
			others = append(others, "int4@avx2")
			variants = append(variants, variant{"int4@avx2", "int4", false, 0, k})
		}
	}
	for _, c := range variants {
		w := c.workers
		if w == 0 {
			w = threads
		}
		m, err := engine.LoadFile(files[c.file], engine.Options{Workers: w, NoAMX: c.noAMX, Kernel: c.kernel})
		if err != nil {
			return err
		}
		ours[c.name], kernels[c.name] = m, m.Kernel()
		feats, err := m.EncodePixels(benchPixels(2), 2)
		if err != nil {
			return err
		}
		cosines[c.name] = 1
		for i, f := range feats {
			cosines[c.name] = min(cosines[c.name], cosine(f, peers.Image.Torch[i]))
		}
	}

	// Native, interleaved: one round runs every engine once at each batch size.
	node := exec.Command(nodeBin, filepath.Join(peersDir, "ort-node.mjs"), fmt.Sprint(threads))
	stdin, err := node.StdinPipe()
	if err != nil {
		return err
	}
	stdoutPipe, err := node.StdoutPipe()
	if err != nil {
		return err
	}
	node.Stderr = os.Stderr
	if err := node.Start(); err != nil {
		return fmt.Errorf("onnxruntime-node: %w", err)
	}
	defer func() { stdin.Close(); node.Wait() }()
	answers := bufio.NewScanner(stdoutPipe)
	answers.Buffer(nil, 1<<20)
	ortCall := func(request map[string]any) (float64, error) {
		req, _ := json.Marshal(request)
		if _, err := fmt.Fprintf(stdin, "%s\n", req); err != nil {
			return 0, err
		}
		if !answers.Scan() {
			return 0, fmt.Errorf("onnxruntime-node stopped: %v", answers.Err())
		}
		var r struct {
			MS    float64 `json:"ms"`
			Error string  `json:"error"`
		}
		if err := json.Unmarshal(answers.Bytes(), &r); err != nil || r.Error != "" {
			return 0, fmt.Errorf("onnxruntime-node: %v %s", err, r.Error)
		}
		return r.MS, nil
	}
	ortRun := func(kind string, batch int) (float64, error) {
		return ortCall(map[string]any{"model": onnxFile(kind), "batch": batch})
	}
	type nativeEngine struct {
		key string
		run func(batch int) (float64, error)
	}
	engines := []nativeEngine{
		{"int8", func(b int) (float64, error) { return timeOurs(ours["int8"], b) }},
		{"ort-int8", func(b int) (float64, error) { return ortRun("int8", b) }},
		{"int8-vnni", func(b int) (float64, error) { return timeOurs(ours["int8-vnni"], b) }},
		{"int4", func(b int) (float64, error) { return timeOurs(ours["int4"], b) }},
		{"int8-b128", func(b int) (float64, error) { return timeOurs(ours["int8-b128"], b) }},
		{"int8-a7", func(b int) (float64, error) { return timeOurs(ours["int8-a7"], b) }},
		{"ort-f32", func(b int) (float64, error) { return ortRun("f32", b) }},
		{"int8-1t", func(b int) (float64, error) { return timeOurs(ours["int8-1t"], b) }},
	}
	for _, key := range others {
		engines = append(engines, nativeEngine{key, func(b int) (float64, error) { return timeOurs(ours[key], b) }})
	}
	native := map[string]map[int][]float64{}
	for round := 0; round <= rounds; round++ { // round 0 warms up (and makes the sessions)
		for _, b := range []int{1, 8} {
			for _, e := range engines {
				time.Sleep(settle)
				ms, err := e.run(b)
				if err != nil {
					return fmt.Errorf("%s: %w", e.key, err)
				}
				if round == 0 {
					continue
				}
				if native[e.key] == nil {
					native[e.key] = map[int][]float64{}
				}
				native[e.key][b] = append(native[e.key][b], ms/float64(b))
			}
		}
		if round > 0 {
			fmt.Fprintf(os.Stderr, "native round %d/%d: int8 %.1f, ONNX Runtime int8 %.1f ms/image at batch 1\n", round, rounds,
				native["int8"][1][round-1], native["ort-int8"][1][round-1])
		}
	}
	text, err := timeTexts(ours, others, ortCall, onnxDir, rounds)
	if err != nil {
		return err
	}
	for name, m := range ours {
		feats, err := m.EncodeTexts(refPrompts, false)
		if err != nil {
			return err
		}
		cosines["text-"+name] = 1
		for i, f := range feats {
			cosines["text-"+name] = min(cosines["text-"+name], cosine(f, peers.Text.Torch[i]))
		}
	}
	stdin.Close()
	ours = nil

	// The browser, interleaved in a page: our Web Worker (SIMD kernel) and ONNX Runtime
	// Web's wasm build on the page, on one thread, then (a second page) on two.
	web, err := peersChromium(chromium, dir, files["int8"], files["int4"], files["int8-b128"], files["int8-a7"], onnxFile, rounds)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chromium:", err)
	}
	load1 := loadAvg()

	// The table.
	med := func(v []float64) float64 {
		if len(v) == 0 {
			return 0
		}
		s := slices.Clone(v)
		slices.Sort(s)
		return s[len(s)/2]
	}
	f1 := func(v float64) string {
		if v == 0 {
			return "–"
		}
		return fmt.Sprintf("%.1f", v)
	}
	ratio := func(a, b float64) string {
		if a == 0 || b == 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f×", a/b)
	}
	ortV := "ONNX Runtime " + peers.OnnxRuntime
	fmt.Printf("ViT-B/32 image tower, random weights (the same in every engine), ms per image in %d rounds that interleave the engines; "+
		"%s; load average %s at the start, %s at the end (a shared machine: taken under load)\n\n", rounds, cpuName(), load0, load1)
	// The median, and the fastest run: under load the fastest is the nearest to what the
	// engine does on a quiet machine.
	mf := func(v []float64) string {
		if len(v) == 0 {
			return "–"
		}
		return fmt.Sprintf("%s (%s)", f1(med(v)), f1(slices.Min(v)))
	}
	fmt.Println("| engine | batch 1: median (fastest) | batch 8: median (fastest) | cosine to PyTorch float32 (min of 2 images) |")
	fmt.Println("|---|---|---|---|")
	row := func(name, key, cos string) {
		fmt.Printf("| %s | %s | %s | %s |\n", name, mf(native[key][1]), mf(native[key][8]), cos)
	}
	row(fmt.Sprintf("ours int8, native (%s), %d threads", kernels["int8"], threads), "int8", fmt.Sprintf("%.5f", cosines["int8"]))
	row(fmt.Sprintf("ours int8, native (%s), %d threads", kernels["int8-vnni"], threads), "int8-vnni", fmt.Sprintf("%.5f", cosines["int8-vnni"]))
	row(fmt.Sprintf("ours int8 in blocks of 128, native (%s), %d threads", kernels["int8-b128"], threads), "int8-b128", fmt.Sprintf("%.5f", cosines["int8-b128"]))
	row(fmt.Sprintf("ours int8 with 7-bit activations (`--act-bits 7`), native (%s), %d threads", kernels["int8-a7"], threads), "int8-a7", fmt.Sprintf("%.5f", cosines["int8-a7"]))
	row(fmt.Sprintf("ours int4 (text 8-bit), native (%s), %d threads", kernels["int4"], threads), "int4", fmt.Sprintf("%.5f", cosines["int4"]))
	row(fmt.Sprintf("%s int8 (quantize_dynamic, per-channel; %.0f MB), onnxruntime-node, %d threads", ortV, peers.Image.MB["int8"], threads), "ort-int8",
		fmt.Sprintf("%.5f", cosines["ort-int8"]))
	row(fmt.Sprintf("%s float32 (%.0f MB), onnxruntime-node, %d threads", ortV, peers.Image.MB["f32"], threads), "ort-f32",
		fmt.Sprintf("rel. diff %.1e", peers.Image.F32RelDiff))
	row(fmt.Sprintf("ours int8, native (%s), 1 thread", kernels["int8-1t"]), "int8-1t", fmt.Sprintf("%.5f", cosines["int8-1t"]))
	for _, key := range others {
		bits, _, _ := strings.Cut(key, "@")
		row(fmt.Sprintf("ours %s, native (%s, forced), %d threads", bits, kernels[key], threads), key, fmt.Sprintf("%.5f", cosines[key]))
	}
	for _, th := range []int{1, 2} {
		w := web[th]
		if w == nil {
			continue
		}
		webCos := "–"
		if len(w.Int8Features) == len(peers.Image.Torch[0]) {
			webCos = fmt.Sprintf("%.5f (first image)", cosine(w.Int8Features, peers.Image.Torch[0]))
		}
		fmt.Printf("| ours int8, WebAssembly in Chromium (%s), one Web Worker (page %d) | %s | – | native's (its kernels are tested bit-identical) |\n", w.Kernel, th, mf(w.MS["ours"]))
		fmt.Printf("| ours int8, WebAssembly in Chromium (%s), a pool of 2 Web Workers, an image each (page %d) | %s | – | native's |\n", w.Kernel, th, mf(w.MS["pool"]))
		fmt.Printf("| ours int4 (text 8-bit), WebAssembly in Chromium (%s), one Web Worker (page %d) | %s | – | native int4's |\n", w.Kernel4, th, mf(w.MS["int4"]))
		fmt.Printf("| ours int8 in blocks of 128, WebAssembly in Chromium (%s), one Web Worker (page %d) | %s | – | native's |\n", w.Kernel, th, mf(w.MS["b128"]))
		fmt.Printf("| ours int8 with 7-bit activations, WebAssembly in Chromium (%s), one Web Worker (page %d) | %s | – | native's |\n", w.Kernel7, th, mf(w.MS["a7"]))
		fmt.Printf("| ours int8 with 7-bit activations, WebAssembly in Chromium (%s), a pool of 2 Web Workers, an image each (page %d) | %s | – | native's |\n", w.Kernel7, th, mf(w.MS["pool7"]))
		fmt.Printf("| ONNX Runtime Web %s int8, wasm, Chromium, %d thread(s) | %s | – | %s |\n", w.Version, th, mf(w.MS["int8"]), webCos)
		fmt.Printf("| ONNX Runtime Web %s float32, wasm, Chromium, %d thread(s) | %s | – | – |\n", w.Version, th, mf(w.MS["f32"]))
	}
	fmt.Println()
	// Each ratio three ways: of the medians, the median of the rounds' own ratios (a round's
	// runs are seconds apart, so it follows the machine's load better) and of the fastest.
	ratios := func(peer, ours []float64) string {
		if len(peer) == 0 || len(peer) != len(ours) {
			return "–"
		}
		var per []float64
		for i := range peer {
			per = append(per, peer[i]/ours[i])
		}
		return fmt.Sprintf("%s (per round %.2f×, fastest %s)", ratio(med(peer), med(ours)), med(per), ratio(slices.Min(peer), slices.Min(ours)))
	}
	fmt.Println("| ratio (above 1: ours is faster) | batch 1 | batch 8 |")
	fmt.Println("|---|---|---|")
	for _, r := range []struct{ name, peer, ours string }{
		{"ONNX Runtime int8 / ours int8, native", "ort-int8", "int8"},
		{"ONNX Runtime int8 / ours int8 on VNNI, native", "ort-int8", "int8-vnni"},
		{"ONNX Runtime int8 / ours int8 in blocks of 128, native", "ort-int8", "int8-b128"},
		{"ONNX Runtime int8 / ours int8 with 7-bit activations, native", "ort-int8", "int8-a7"},
		{"ONNX Runtime int8 / ours int4, native", "ort-int8", "int4"},
		{"ONNX Runtime float32 / ours int8, native", "ort-f32", "int8"},
	} {
		fmt.Printf("| %s | %s | %s |\n", r.name, ratios(native[r.peer][1], native[r.ours][1]), ratios(native[r.peer][8], native[r.ours][8]))
	}
	for _, key := range others {
		bits, k, _ := strings.Cut(key, "@")
		fmt.Printf("| ONNX Runtime int8 / ours %s on %s (forced), native | %s | %s |\n", bits, k, ratios(native["ort-int8"][1], native[key][1]), ratios(native["ort-int8"][8], native[key][8]))
	}
	fmt.Printf("| ours int8, time on 1 thread / on %d (the aim: at most 2×) | %s | %s |\n", threads, ratios(native["int8-1t"][1], native["int8"][1]), ratios(native["int8-1t"][8], native["int8"][8]))
	for _, th := range []int{1, 2} {
		if w := web[th]; w != nil {
			fmt.Printf("| ONNX Runtime Web int8 on %d thread(s) / ours int8, one worker, Chromium | %s | – |\n", th, ratios(w.MS["int8"], w.MS["ours"]))
			fmt.Printf("| ONNX Runtime Web int8 on %d thread(s) / ours int8, pool of 2 workers, Chromium | %s | – |\n", th, ratios(w.MS["int8"], w.MS["pool"]))
			fmt.Printf("| ONNX Runtime Web int8 on %d thread(s) / ours int4, %s, one worker, Chromium | %s | – |\n", th, w.Kernel4, ratios(w.MS["int8"], w.MS["int4"]))
			fmt.Printf("| ONNX Runtime Web int8 on %d thread(s) / ours int8 in blocks of 128, one worker, Chromium | %s | – |\n", th, ratios(w.MS["int8"], w.MS["b128"]))
			fmt.Printf("| ONNX Runtime Web int8 on %d thread(s) / ours int8 with 7-bit activations, %s, one worker, Chromium | %s | – |\n", th, w.Kernel7, ratios(w.MS["int8"], w.MS["a7"]))
			fmt.Printf("| ONNX Runtime Web int8 on %d thread(s) / ours int8 with 7-bit activations, pool of 2 workers, Chromium | %s | – |\n", th, ratios(w.MS["int8"], w.MS["pool7"]))
			fmt.Printf("| ours one worker / ours pool of 2 (the pool's gain), Chromium, page %d | %s | – |\n", th, ratios(w.MS["ours"], w.MS["pool"]))
			fmt.Printf("| ONNX Runtime Web float32 on %d thread(s) / ours int8, one worker, Chromium | %s | – |\n", th, ratios(w.MS["f32"], w.MS["ours"]))
			// Not interleaved (the browser runs after the native rounds): medians only.
			fmt.Printf("| ours in Chromium, one worker, page %d / ours native, 1 thread (the price of WebAssembly: here, below 1 is better; the aim is within 2.5×) | %s | – |\n",
				th, ratio(med(w.MS["ours"]), med(native["int8-1t"][1])))
		}
	}
	fmt.Printf("\nText tower: 700 prompts (100 labels × the 7 templates of clip7) in one call, seconds, median (fastest) of %d rounds that interleave the engines, %d threads:\n\n", rounds, threads)
	fmt.Println("| engine | 700 prompts | ONNX Runtime int8 (one batch) / this | cosine to PyTorch float32 (min of 2 prompts) |")
	fmt.Println("|---|---|---|---|")
	sec := func(v []float64) string {
		if len(v) == 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f (%.2f)", med(v), slices.Min(v))
	}
	type textRow struct{ name, key, cos string }
	var rowsText []textRow
	for _, r := range []textRow{
		{fmt.Sprintf("ours int8 (%s); int4 files keep the text tower at 8 bits", kernels["int8"]), "int8", fmt.Sprintf("%.5f", cosines["text-int8"])},
		{fmt.Sprintf("ours int8 (%s)", kernels["int8-vnni"]), "int8-vnni", fmt.Sprintf("%.5f", cosines["text-int8-vnni"])},
		{fmt.Sprintf("ours int8 in blocks of 128 (%s)", kernels["int8-b128"]), "int8-b128", fmt.Sprintf("%.5f", cosines["text-int8-b128"])},
		{fmt.Sprintf("ours int8 with 7-bit activations (%s)", kernels["int8-a7"]), "int8-a7", fmt.Sprintf("%.5f", cosines["text-int8-a7"])},
		{ortV + " int8, onnxruntime-node, all 700 in one batch (padded to the longest)", "ort-int8", fmt.Sprintf("%.5f", slices.Min(peers.Text.Int8Cosine))},
		{ortV + " int8, onnxruntime-node, 14 batches of 50 (each padded to its longest)", "ort-int8-b50", fmt.Sprintf("%.5f", slices.Min(peers.Text.Int8Cosine))},
		{ortV + " float32, onnxruntime-node (rows padded to the longest)", "ort-f32", fmt.Sprintf("rel. diff %.1e", peers.Text.F32RelDiff)},
	} {
		rowsText = append(rowsText, r)
	}
	for _, key := range others {
		if k, ok := strings.CutPrefix(key, "int8@"); ok {
			rowsText = append(rowsText, textRow{fmt.Sprintf("ours int8 (%s, forced)", k), key, fmt.Sprintf("%.5f", cosines["text-"+key])})
		}
	}
	for _, r := range rowsText {
		fmt.Printf("| %s | %s | %s | %s |\n", r.name, sec(text[r.key]), ratios(text["ort-int8"], text[r.key]), r.cos)
	}
	fmt.Printf("\nChecks (peers_onnx.py): ONNX Runtime float32 vs PyTorch, relative difference: image %.1e, text %.1e; "+
		"int8 (%d MatMulInteger, %d DynamicQuantizeLinear in the image tower) cosine to PyTorch: image %.5f, text %.5f. PyTorch %s.\n",
		peers.Image.F32RelDiff, peers.Text.F32RelDiff, peers.Image.Int8Ops["MatMulInteger"], peers.Image.Int8Ops["DynamicQuantizeLinear"],
		slices.Min(peers.Image.Int8Cosine), slices.Min(peers.Text.Int8Cosine), peers.Torch)
	if w := web[1]; w != nil {
		fmt.Printf("Browser: %s.\n", w.Agent)
	}
	return nil
}

// writeHub writes params as a hub folder (config.json, model.safetensors) for
// transformers to load.
func writeHub(cfg model.Config, params map[string]*weights.Tensor, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f := weights.NewFile()
	f.Tensors = params
	f.Metadata["format"] = "pt"
	if err := weights.WriteFile(filepath.Join(dir, "model.safetensors"), f); err != nil {
		return err
	}
	cfg.TorchDType = "float32"
	js, err := cfg.Marshal()
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "config.json"), js, 0o644)
}

// benchPixels is benchquant's input pattern for batch images of 224×224, the one
// peers_onnx.py and the ONNX runners use too.
func benchPixels(batch int) []float32 {
	px := make([]float32, batch*3*224*224)
	for i := range px {
		px[i] = float32(i%251)/64 - 2
	}
	return px
}

// timeOurs runs our engine once on batch images and returns the milliseconds.
func timeOurs(m *engine.Model, batch int) (float64, error) {
	px := benchPixels(batch)
	start := time.Now()
	_, err := m.EncodePixels(px, batch)
	return float64(time.Since(start).Microseconds()) / 1000, err
}

func cosine(a []float32, b []float64) float64 {
	var ab, aa, bb float64
	for i, v := range b {
		ab += float64(a[i]) * v
		aa += float64(a[i]) * float64(a[i])
		bb += v * v
	}
	return ab / math.Sqrt(aa*bb)
}

// cpuName is the processor's model name and the number of CPUs Linux shows.
func cpuName() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	name, n := "", 0
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "model name":
			name = strings.TrimSpace(v)
		case "processor":
			n++
		}
	}
	return fmt.Sprintf("%d × %s", n, name)
}

// loadAvg is the machine's 1-, 5- and 15-minute load average.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}
