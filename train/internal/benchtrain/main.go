// Command benchtrain measures training throughput and peak memory of the Go trainer on
// each backend asked for (the pure-Go one, XLA's CPU plugin) and of the same model, batch
// and optimizer in PyTorch on the same CPU, in one run, and prints them side by side with
// their ratio to PyTorch (`make bench-train`); with -devices, data-parallel throughput by
// device count; with -memory, the peak memory of gradient caching.
//
//	go run ./train/internal/benchtrain [-shape small] [-batch 32] [-steps 5] [-backend go,xla:cpu] [-python /usr/bin/python3]
//	go run ./train/internal/benchtrain -backend xla:cpu -devices 1,2,4
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
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/model/arch"
	"github.com/clip-go/clip/train"
)

func main() {
	shape := flag.String("shape", "small", "model preset")
	batch := flag.Int("batch", 32, "contrastive batch")
	micro := flag.Int("micro", 0, "micro-batch (0: whole batch)")
	steps := flag.Int("steps", 5, "timed steps (after one warm-up step)")
	python := flag.String("python", "/usr/bin/python3", "python with torch (Debian's python3-torch)")
	backend := flag.String("backend", "", "GoMLX backend, or several, comma-separated (such as go,xla:cpu), each timed in a process of its own")
	one := flag.Bool("one", false, "time -backend only and print its result as JSON (how the table gets each backend's own peak memory)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the Go steps to this file")
	memory := flag.Bool("memory", false, "compare peak memory of full batches and gradient caching instead")
	devices := flag.String("devices", "", "data-parallel throughput on these device counts instead (such as 1,2,4; an XLA backend)")
	flag.Parse()
	if *devices != "" {
		if err := scaling(*shape, *batch, *micro, *steps, *backend, *devices); err != nil {
			fmt.Fprintln(os.Stderr, "benchtrain:", err)
			os.Exit(1)
		}
		return
	}
	if *memory {
		if err := memoryTable(*shape, *batch, *backend); err != nil {
			fmt.Fprintln(os.Stderr, "benchtrain:", err)
			os.Exit(1)
		}
		return
	}
	if *one {
		if *cpuProfile != "" {
			if f, err := os.Create(*cpuProfile); err == nil {
				pprof.StartCPUProfile(f)
			}
		}
		m, err := timeOne(*shape, *batch, *micro, *steps, *backend)
		pprof.StopCPUProfile()
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchtrain:", err)
			os.Exit(1)
		}
		json.NewEncoder(os.Stdout).Encode(m)
		return
	}
	if err := run(*shape, *batch, *micro, *steps, *python, *backend, *cpuProfile); err != nil {
		fmt.Fprintln(os.Stderr, "benchtrain:", err)
		os.Exit(1)
	}
}

// measured is one trainer's throughput and its process's peak memory.
type measured struct {
	Name        string  `json:"name"`
	SamplesPerS float64 `json:"samples_per_s"`
	PeakRSSMB   float64 `json:"peak_rss_mb"`
}

// timeOne times training on one backend in this process.
func timeOne(shape string, batch, micro, steps int, backendSpec string) (measured, error) {
	tr, b, err := setup(shape, batch, micro, steps+1, backendSpec, 1)
	if err != nil {
		return measured{}, err
	}
	rate, err := samplesPerSecond(tr, b, steps)
	if err != nil {
		return measured{}, err
	}
	name := tr.Model.Backend.Name()
	if backendSpec != "" {
		name = backendSpec
	}
	return measured{name, rate, peakRSSMB()}, nil
}

// run prints the throughput of each backend in the comma-separated list, each timed in
// a child process (so that each has its own peak memory), beside PyTorch's.
// cpuProfile, when set, is where each child writes its CPU profile (with the backend's
// name appended where there are several).
func run(shape string, batch, micro, steps int, python, backends, cpuProfile string) error {
	var rows []measured
	specs := strings.Split(backends, ",")
	for _, spec := range specs {
		spec = strings.TrimSpace(spec)
		args := []string{"-one", "-shape", shape, "-batch", strconv.Itoa(batch), "-micro", strconv.Itoa(micro),
			"-steps", strconv.Itoa(steps), "-backend", spec}
		if cpuProfile != "" {
			if len(specs) > 1 {
				args = append(args, "-cpuprofile", cpuProfile+"."+strings.ReplaceAll(spec, ":", "-"))
			} else {
				args = append(args, "-cpuprofile", cpuProfile)
			}
		}
		cmd := exec.Command(os.Args[0], args...)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("%s: %v", spec, err)
		}
		var m measured
		if err := json.Unmarshal(out, &m); err != nil {
			return fmt.Errorf("%s: %v", spec, err)
		}
		rows = append(rows, m)
	}
	cfg, err := arch.Preset(shape)
	if err != nil {
		return err
	}

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
	fmt.Printf("%-34s %12s %14s %14s\n", "", "samples/s", "peak RSS MB", "vs PyTorch")
	for _, r := range rows {
		ratio := "-"
		if torchErr == nil {
			ratio = fmt.Sprintf("%.2f×", r.SamplesPerS/torchRes.SamplesPerS)
		}
		fmt.Printf("%-34s %12.1f %14.0f %14s\n", "Go trainer ("+r.Name+")", r.SamplesPerS, r.PeakRSSMB, ratio)
	}
	if torchErr != nil {
		fmt.Printf("%-34s %12s %14s  (%v)\n", "PyTorch", "-", "-", torchErr)
		return nil
	}
	fmt.Printf("%-34s %12.1f %14.0f %14s\n", fmt.Sprintf("PyTorch %s, %d threads", torchRes.Torch, torchRes.Threads), torchRes.SamplesPerS, torchRes.PeakRSSMB, "1.00×")
	return nil
}

// samplesPerSecond times steps training steps of b after one that compiles and warms up.
func samplesPerSecond(tr *train.Trainer, b train.Batch, steps int) (float64, error) {
	if _, _, err := tr.TrainStep(b); err != nil {
		return 0, err
	}
	start := time.Now()
	for i := 0; i < steps; i++ {
		if _, _, err := tr.TrainStep(b); err != nil {
			return 0, err
		}
	}
	return float64(len(b.Tokens)*steps) / time.Since(start).Seconds(), nil
}

// scaling prints the training throughput with each batch split over each device count
// in list (train.NewOnDevices).
func scaling(shape string, batch, micro, steps int, backendSpec, list string) error {
	fmt.Printf("CLIP %s training, batch %d (micro %d), %d steps, %s, %d cores (%s)\n", shape, batch, micro, steps, backendSpec, runtime.NumCPU(), cpuName())
	fmt.Printf("%-10s %12s %10s\n", "devices", "samples/s", "vs 1")
	var one float64
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return fmt.Errorf("-devices %q: %v", list, err)
		}
		tr, b, err := setup(shape, batch, micro, steps+1, backendSpec, n)
		if err != nil {
			return err
		}
		rate, err := samplesPerSecond(tr, b, steps)
		if err != nil {
			return err
		}
		if one == 0 {
			one = rate
		}
		fmt.Printf("%-10d %12.1f %9.2f×\n", n, rate, rate/one)
	}
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

// setup builds a trainer for a preset and a fixed synthetic batch (12 text tokens).
func setup(shape string, batch, micro, steps int, backendSpec string, devices int) (*train.Trainer, train.Batch, error) {
	cfg, err := arch.Preset(shape)
	if err != nil {
		return nil, train.Batch{}, err
	}
	be, err := model.NewBackend(backendSpec)
	if err != nil {
		return nil, train.Batch{}, err
	}
	m, err := model.New(be, cfg, model.InitParams(cfg, 1))
	if err != nil {
		return nil, train.Batch{}, err
	}
	h := train.DefaultHyper()
	h.Batch, h.MicroBatch, h.Steps = batch, micro, steps
	tr, err := train.NewOnDevices(m, h, devices)
	if err != nil {
		return nil, train.Batch{}, err
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
	return tr, b, nil
}

// memoryTable prints peak Go heap during training steps of a full batch N, a full batch
// 4N, and a batch 4N with gradient caching in micro-batches of N: gradient caching keeps the
// activation memory of one micro-batch, so 4N trains in about the memory of N.
func memoryTable(shape string, n int, backendSpec string) error {
	fmt.Printf("CLIP %s training step, peak Go heap (model, optimizer state and activations)\n", shape)
	fmt.Printf("%-30s %14s %12s\n", "", "peak heap MB", "samples/s")
	for _, c := range []struct {
		name         string
		batch, micro int
	}{
		{fmt.Sprintf("batch %d", n), n, 0},
		{fmt.Sprintf("batch %d", 4*n), 4 * n, 0},
		{fmt.Sprintf("batch %d, micro-batch %d", 4*n, n), 4 * n, n},
	} {
		tr, b, err := setup(shape, c.batch, c.micro, 3, backendSpec, 1)
		if err != nil {
			return err
		}
		if _, _, err := tr.TrainStep(b); err != nil { // compile outside the measurement
			return err
		}
		// A low GC target keeps the heap close to the live data, so the peak measures what
		// the step needs rather than when the collector happened to run.
		old := debug.SetGCPercent(5)
		runtime.GC()
		stop := make(chan struct{})
		peak := make(chan uint64)
		go samplePeakHeap(stop, peak)
		start := time.Now()
		if _, _, err := tr.TrainStep(b); err != nil {
			return err
		}
		rate := float64(c.batch) / time.Since(start).Seconds()
		close(stop)
		debug.SetGCPercent(old)
		fmt.Printf("%-30s %14.0f %12.1f\n", c.name, float64(<-peak)/(1<<20), rate)
	}
	return nil
}

// samplePeakHeap polls the live heap every millisecond until stop is closed.
func samplePeakHeap(stop chan struct{}, peak chan uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var max uint64
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		metrics.Read(sample)
		if v := sample[0].Value.Uint64(); v > max {
			max = v
		}
		select {
		case <-stop:
			peak <- max
			return
		case <-tick.C:
		}
	}
}
