// Command memprobe loads a quantized model, encodes one image and one prompt, and prints
// its peak resident memory (Linux VmHWM) in MB: the engine's footprint in a process that
// holds nothing else, as in a browser worker. Used by benchquant.
//
//	go run ./wasm/internal/memprobe MODEL
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/clip-go/clip/wasm/engine"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "memprobe:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: memprobe MODEL")
	}
	m, err := engine.LoadFile(args[0], engine.Options{})
	if err != nil {
		return err
	}
	v := m.Config().Vision
	if _, err := m.EncodePixels(make([]float32, v.NumChannels*v.ImageSize*v.ImageSize), 1); err != nil {
		return err
	}
	if _, err := m.EncodeTexts([]string{"a photo of a dog."}, false); err != nil {
		return err
	}
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				return err
			}
			fmt.Printf("%.1f\n", kb*1024/1e6)
			return nil
		}
	}
	return fmt.Errorf("no VmHWM")
}
