package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/model/arch"
	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/model/tokenizer"
	"github.com/clip-go/clip/wasm/engine"
	"github.com/clip-go/clip/weights"
)

// benchRecord is one line of `clip bench`.
type benchRecord struct {
	Encoder   string  `json:"encoder"` // "image" or "text"
	Batch     int     `json:"batch"`
	Threads   int     `json:"threads"`
	Kernel    string  `json:"kernel"`
	Bits      int     `json:"bits"`        // of the encoder's matrices
	MsPerItem float64 `json:"ms_per_item"` // per image or per prompt
	PerSecond float64 `json:"items_per_s"`
	GFLOPs    float64 `json:"gflop_per_s"` // effective: the model's FLOPs / time
	PeakRSSMB float64 `json:"peak_rss_mb,omitempty"`
	FileMB    float64 `json:"file_mb"`
}

// cmdBench measures the quantized engine: ms per image or prompt, throughput, effective
// GFLOP/s and peak memory (the process's peak resident set: with --model FILE from the
// start, so it includes loading; with --random since the model was built).
func cmdBench(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	path := fs.String("model", "", "quantized model file")
	shape := fs.String("shape", "", "model shape preset ("+joinPresets()+"), with --random")
	random := fs.Bool("random", false, "random weights of --shape, quantized in memory")
	bits := fs.Int("bits", 8, "bits per weight for --random")
	textBits := fs.Int("text-bits", 0, "bits of the text tower for --random (default: as clip quantize)")
	block := fs.Int("block", weights.DefaultBlock, "block size for --random")
	actBits := fs.Int("act-bits", 8, "activation bits for --random: 8 or 7 (see clip quantize)")
	batches := fs.String("batch", "1,8", "comma-separated batch sizes")
	threads := fs.Int("threads", 0, "worker goroutines (0: all cores)")
	iters := fs.Int("iters", 3, "timed runs per measurement (after one warm-up run)")
	portable := fs.Bool("portable", false, "use the portable kernel (what WebAssembly runs)")
	var kernel string
	kernelFlag(fs, &kernel)
	encoders := fs.String("encoders", "image,text", "which encoders to measure")
	tokens := fs.Int("tokens", 8, "prompt length for the text encoder, start and end tokens included")
	save := fs.String("save", "", "with --random: also write the quantized model to this file")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the timed runs to this file")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, rest[0])
	}
	var sizes []int
	for _, s := range strings.Split(*batches, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("%w: bad --batch %q", errUsage, *batches)
		}
		sizes = append(sizes, n)
	}
	if (*path == "") == (*shape == "") || (*shape != "" && !*random) {
		return fmt.Errorf("%w: give --model FILE, or --shape NAME --random", errUsage)
	}
	if *tokens < 2 || *tokens > 77 {
		return fmt.Errorf("%w: --tokens must be 2 to 77", errUsage)
	}
	if err := checkKernel(kernel, *portable); err != nil {
		return err
	}
	opt := engine.Options{Workers: *threads, Portable: *portable, Kernel: kernel, TextCache: -1}
	var m *engine.Model
	if *path != "" {
		m, err = engine.LoadFile(*path, opt)
	} else {
		m, err = randomQuantized(*shape, *bits, *textBits, *block, *actBits, *save, opt)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "clip bench: kernel %s (this CPU runs %s), %d threads\n", m.Kernel(), joinStrings(engine.Kernels()), m.Workers())
	if *random {
		// The peak is what inference with the loaded model takes, not what building a
		// random float model took. With --model it counts everything from the start.
		runtime.GC()
		debug.FreeOSMemory()
		resetPeakRSS()
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	cfg := m.Config()
	rng := rand.New(rand.NewPCG(1, 1))
	for _, enc := range strings.Split(*encoders, ",") {
		for _, b := range sizes {
			var run func() error
			var flops float64
			switch enc {
			case "image":
				px := make([]float32, b*cfg.Vision.NumChannels*cfg.Vision.ImageSize*cfg.Vision.ImageSize)
				for i := range px {
					px[i] = float32(rng.NormFloat64())
				}
				run = func() error { _, err := m.EncodePixels(px, b); return err }
				flops = cfg.ImageFLOPs()
			case "text":
				rows := make([][]int, b)
				for i := range rows {
					rows[i] = make([]int, *tokens)
					rows[i][0], rows[i][*tokens-1] = cfg.Text.VocabSize-2, cfg.Text.VocabSize-1
					for k := 1; k < *tokens-1; k++ {
						rows[i][k] = 256 + rng.IntN(cfg.Text.VocabSize-258)
					}
				}
				run = func() error { _, err := m.EncodeTokens(rows); return err }
				flops = cfg.TextFLOPs(*tokens)
			default:
				return fmt.Errorf("%w: unknown encoder %q (image, text)", errUsage, enc)
			}
			if err := run(); err != nil { // warm-up
				return err
			}
			times := make([]float64, *iters)
			for i := range times {
				start := time.Now()
				if err := run(); err != nil {
					return err
				}
				times[i] = time.Since(start).Seconds()
			}
			slices.Sort(times)
			sec := times[len(times)/2] / float64(b) // median, per item
			encBits := m.Bits()
			if enc == "text" {
				encBits = m.TextBits()
			}
			rec := benchRecord{Encoder: enc, Batch: b, Threads: m.Workers(), Kernel: m.Kernel(), Bits: encBits,
				MsPerItem: round3(1000 * sec), PerSecond: round3(1 / sec), GFLOPs: round3(flops / sec / 1e9),
				PeakRSSMB: round3(peakRSSMB()), FileMB: round3(float64(m.FileSize()) / 1e6)}
			if err := writeJSON(stdout, rec); err != nil {
				return err
			}
		}
	}
	return nil
}

// randomQuantized builds a model of a preset shape with random weights (the original
// CLIP initialisation) and quantizes it, without writing a file.
func randomQuantized(shape string, bits, textBits, block, actBits int, save string, opt engine.Options) (*engine.Model, error) {
	if textBits == 0 {
		textBits = engine.TextBitsFor(bits)
	}
	cfg, err := arch.Preset(shape)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	tok, err := tokenizer.Default()
	if err != nil {
		return nil, err
	}
	params := model.InitParams(cfg, 1)
	qf, err := quantizeParams(cfg, params, tok, imageproc.DefaultConfig(cfg.Vision.ImageSize), bits, textBits, block)
	if err != nil {
		return nil, err
	}
	params = nil
	qf.ActBits = actBits
	f, err := qf.File()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := weights.Write(&buf, f); err != nil {
		return nil, err
	}
	qf, f = nil, nil
	// An exact-size copy: the buffer's doubling growth left up to twice the file.
	data := bytes.Clone(buf.Bytes())
	buf = bytes.Buffer{}
	if save != "" {
		if err := os.WriteFile(save, data, 0o644); err != nil {
			return nil, err
		}
	}
	return engine.Load(data, opt)
}

func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

// resetPeakRSS restarts the kernel's peak resident-set counter (Linux; elsewhere a no-op).
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSSMB is the process's peak resident set (VmHWM) in MB, 0 where unknown.
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb * 1024 / 1e6
		}
	}
	return 0
}
