// Command benchtrain measures training throughput and peak memory of the Go trainer on the
// pure-Go backend and of the same model, batch and optimizer in PyTorch on the same CPU,
// in one run, and prints both with their ratio (`make bench-train`).
//
//	go run ./train/internal/benchtrain [-shape small] [-batch 32] [-steps 5] [-python /usr/bin/python3]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/train"
)

func main() {
	shape := flag.String("shape", "small", "model preset")
	batch := flag.Int("batch", 32, "contrastive batch")
	micro := flag.Int("micro", 0, "micro-batch (0: whole batch)")
	steps := flag.Int("steps", 5, "timed steps (after one warm-up step)")
	python := flag.String("python", "/usr/bin/python3", "python with torch (Debian's python3-torch)")
	backend := flag.String("backend", "", "GoMLX backend")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the Go steps to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	if err := run(*shape, *batch, *micro, *steps, *python, *backend); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "benchtrain:", err)
		os.Exit(1)
	}
}

func run(shape string, batch, micro, steps int, python, backendSpec string) error {
	cfg, err := model.Preset(shape)
	if err != nil {
		return err
	}
	be, err := model.NewBackend(backendSpec)
	if err != nil {
		return err
	}
	m, err := model.New(be, cfg, model.InitParams(cfg, 1))
	if err != nil {
		return err
	}
	h := train.DefaultHyper()
	h.Batch, h.MicroBatch, h.Steps = batch, micro, steps+1
	tr, err := train.New(m, h)
	if err != nil {
		return err
	}
	s := cfg.Vision.ImageSize
	b := train.Batch{Pixels: make([]float32, batch*3*s*s)}
	for i := range b.Pixels {
		b.Pixels[i] = float32(i%255)/255 - 0.5
	}
	for i := 0; i < batch; i++ {
		row := make([]int, 13)
		row[0], row[12] = cfg.Text.BosTokenID, cfg.Text.EosTokenID
		for k := 1; k < 12; k++ {
			row[k] = 1 + (i*31+k*7)%999
		}
		b.Tokens = append(b.Tokens, row)
	}
	if _, _, err := tr.TrainStep(b); err != nil { // compile and warm up
		return err
	}
	start := time.Now()
	for i := 0; i < steps; i++ {
		if _, _, err := tr.TrainStep(b); err != nil {
			return err
		}
	}
	goRate := float64(batch*steps) / time.Since(start).Seconds()
	goPeak := peakRSSMB()

	// PyTorch, same shape and batch, as many threads as Go uses cores.
	dir, err := os.MkdirTemp("", "benchtrain")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	js, _ := cfg.Marshal()
	cfgPath := filepath.Join(dir, "config.json")
	os.WriteFile(cfgPath, js, 0o644)
	_, self, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(self), "torch_train.py")
	var out bytes.Buffer
	cmd := exec.Command(python, script, cfgPath, strconv.Itoa(batch), strconv.Itoa(steps), strconv.Itoa(runtime.NumCPU()))
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	var torchRes struct {
		SamplesPerS float64 `json:"samples_per_s"`
		PeakRSSMB   float64 `json:"peak_rss_mb"`
		Torch       string
		Threads     int
	}
	torchErr := cmd.Run()
	if torchErr == nil {
		torchErr = json.Unmarshal(out.Bytes(), &torchRes)
	}
	fmt.Printf("CLIP %s training, batch %d (micro %d), %d steps, %d cores (%s)\n", shape, batch, micro, steps, runtime.NumCPU(), cpuName())
	fmt.Printf("%-34s %12s %14s\n", "", "samples/s", "peak RSS MB")
	fmt.Printf("%-34s %12.1f %14.0f\n", "Go trainer ("+be.Name()+")", goRate, goPeak)
	if torchErr != nil {
		fmt.Printf("%-34s %12s %14s  (%v)\n", "PyTorch", "-", "-", torchErr)
		return nil
	}
	fmt.Printf("%-34s %12.1f %14.0f\n", fmt.Sprintf("PyTorch %s, %d threads", torchRes.Torch, torchRes.Threads), torchRes.SamplesPerS, torchRes.PeakRSSMB)
	fmt.Printf("ratio Go/PyTorch: %.3f× throughput, %.2f× peak memory\n", goRate/torchRes.SamplesPerS, goPeak/torchRes.PeakRSSMB)
	return nil
}

// peakRSSMB is the process's peak resident set (VmHWM).
func peakRSSMB() float64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func cpuName() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "model name") {
			return strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
		}
	}
	return runtime.GOARCH
}
