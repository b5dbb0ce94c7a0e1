package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/model/arch"
	"github.com/clip-go/clip/model/zeroshot"
	"github.com/clip-go/clip/wasm/engine"
)

// runText times the text tower the way a zero-shot classifier is built: 100 labels ×
// the 7 templates of clip7 = 700 prompts, tokenized once, then encoded (the engine's
// prompt cache is bypassed: EncodeTokens is what a cache miss runs). It answers "how
// long until the classifier is ready" for the random-weight ViT-B/32 at int8 and int4,
// on every thread and on one (make bench-text; issue 14, part 5).
func runText(threads, iters int) error {
	cfg, _ := arch.Preset("ViT-B/32")
	dir, err := os.MkdirTemp("", "benchtext-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	params := model.InitParams(cfg, 1)
	files := map[int]string{}
	for _, bits := range []int{8, 4} {
		files[bits] = filepath.Join(dir, fmt.Sprintf("vitb32-int%d.safetensors", bits))
		if err := writeQuantized(cfg, params, bits, 32, 8, files[bits]); err != nil {
			return err
		}
	}
	prompts, err := benchPrompts()
	if err != nil {
		return err
	}
	fmt.Printf("text tower, ViT-B/32 shape (random weights), %d prompts (100 labels × 7 templates), median of %d\n",
		len(prompts), iters)
	for _, c := range []struct {
		name    string
		bits    int
		workers int
	}{{"int8", 8, threads}, {"int4", 4, threads}, {"int8-1thread", 8, 1}, {"int4-1thread", 4, 1}} {
		m, err := engine.LoadFile(files[c.bits], engine.Options{Workers: c.workers})
		if err != nil {
			return err
		}
		start := time.Now()
		rows, err := m.Tokenize(prompts, true)
		if err != nil {
			return err
		}
		tok := time.Since(start)
		var ts []float64
		for i := 0; i <= iters; i++ { // the first run warms up
			start := time.Now()
			if _, err := m.EncodeTokens(rows); err != nil {
				return err
			}
			if i > 0 {
				ts = append(ts, time.Since(start).Seconds())
			}
		}
		slices.Sort(ts)
		med := ts[len(ts)/2]
		fmt.Printf("%-14s threads=%d: %6.2f s for %d prompts (%5.2f ms/prompt; tokenizing %.0f ms)\n",
			c.name, c.workers, med, len(prompts), 1000*med/float64(len(prompts)), 1000*tok.Seconds())
	}
	return nil
}

// benchPrompts is what a zero-shot classifier of 100 labels encodes: each label in the 7
// templates of clip7.
func benchPrompts() ([]string, error) {
	templates, err := zeroshot.TemplateSet("clip7")
	if err != nil {
		return nil, err
	}
	prompts := make([]string, 0, 100*len(templates))
	for _, label := range benchLabels() {
		for _, t := range templates {
			p, err := zeroshot.Fill(t, label)
			if err != nil {
				return nil, err
			}
			prompts = append(prompts, p)
		}
	}
	return prompts, nil
}

// benchLabels is 100 short labels of the kind people type (one to three words).
func benchLabels() []string {
	adj := []string{"red", "small", "old", "wooden", "striped", "broken", "shiny", "wild", "tiny", "blue"}
	noun := []string{"car", "dog", "house", "chair", "bird", "guitar", "boat", "lamp", "tree", "teapot"}
	var out []string
	for _, a := range adj {
		for _, n := range noun {
			out = append(out, a+" "+n)
		}
	}
	return out
}
