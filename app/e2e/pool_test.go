//go:build !js

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clip-go/clip/app/core"
	"github.com/clip-go/clip/model/arch"
	"github.com/clip-go/clip/model/zeroshot"
	"github.com/clip-go/clip/wasm/quanttest"
)

// poolImages writes n distinct PNGs of various sizes, a corrupt one among them, a copy of
// the first right after it (given at once, the pool encodes them at the same time: the
// copy must wait for the first's encoding) and, last, a copy of the second (the page's
// cache by content hash answers it), and returns their paths in the order given.
func poolImages(t testing.TB, s *testSite, n int) []string {
	files := map[string][]byte{"broken.png": []byte("\x89PNG\r\n\x1a\nnot an image")}
	var order []string
	for i := range n {
		name := fmt.Sprintf("img%02d.png", i)
		files[name] = quanttest.PNG(t, 24+7*i, 60-3*i, uint64(100+i))
		order = append(order, name)
		if i == 0 {
			order = append(order, "twin.png")
		}
		if i == n/2 {
			order = append(order, "broken.png")
		}
	}
	files["twin.png"] = files[order[0]]
	files["copy.png"] = files[order[2]]
	return s.images(t, files, append(order, "copy.png")...)
}

// workers reads the status line's data-workers (the engine workers holding the model).
func (p *tab) workers(t testing.TB) int {
	t.Helper()
	var v string
	p.eval(t, `document.querySelector("[data-testid=status]").dataset.workers`, &v)
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("data-workers %q", v)
	}
	return n
}

// TestPagePoolMatchesOneWorker classifies the same images with one engine worker
// (?workers=1), with the pool the rule gives this machine (navigator.hardwareConcurrency
// and the model's size: core.PoolSize) and with four workers: every card, in the order
// the files were given, is the same in all three (labels and probabilities to the last
// digit) and the native engine's; the pool's counters add up to one encoding per distinct
// image (the copies come from the page's cache, the corrupt one is not counted).
func TestPagePoolMatchesOneWorker(t *testing.T) {
	s := newSite(t)
	imgs := poolImages(t, s, 12)
	st, err := os.Stat(s.modelPath)
	if err != nil {
		t.Fatal(err)
	}
	labels := []string{"a red circle", "a blue square", "a dog, sleeping", "a green triangle", "noise", "a cat"}
	clip7, _ := zeroshot.TemplateSet(zeroshot.DefaultTemplateSet)
	var first []card
	for _, path := range []string{"/?workers=1", "/", "/?workers=4"} {
		t.Run(path, func(t *testing.T) {
			p := s.open(t, path)
			status := p.waitStatus(t, "ready")
			var cores int
			p.eval(t, `navigator.hardwareConcurrency`, &cores)
			if i := strings.Index(path, "workers="); i >= 0 {
				cores, _ = strconv.Atoi(path[i+len("workers="):])
			}
			want := core.PoolSize(cores, st.Size())
			if got := p.workers(t); got != want {
				t.Errorf("%d workers, want %d (%d cores, a %d-byte model)", got, want, cores, st.Size())
			}
			if want > 1 && !strings.Contains(status, fmt.Sprintf("%d workers", want)) {
				t.Errorf("status %q does not say %d workers", status, want)
			}
			p.pasteLabels(t, strings.Join(labels, "\n"))
			start := time.Now()
			p.run(t, chromedp.SetUploadFiles("#images", imgs, chromedp.ByQuery))
			cards := p.waitCards(t, len(imgs), labels)
			t.Logf("%d workers: %d cards in %.2fs", want, len(cards), time.Since(start).Seconds())
			s.native(t).check(t, cards, imgs, labels, clip7)
			if first == nil {
				first = cards
			} else if !reflect.DeepEqual(cards, first) {
				t.Errorf("cards differ from one worker's:\n%+v\n%+v", cards, first)
			}
			if got := p.stats(t); got.Images != len(imgs)-3 {
				t.Errorf("%d images encoded, want %d (not the two copies nor the corrupt one)", got.Images, len(imgs)-3)
			}
			p.checkClean(t)
		})
	}
}

// BenchmarkPagePool measures images per second in headless Chromium with one engine
// worker and with the pool (make bench-web-pool): a ViT-B/32 int8 model of random
// weights (written here, never committed) is picked as the model file, then 24 images
// are given at once with labels typed; the time is from giving the files to every card
// scored, with the CPU time the tab's renderer (page and workers) used meanwhile: on a
// shared machine, the cores it got. CLIP_POOL_WORKERS sets the pool (default: as the
// browser reports cores).
func BenchmarkPagePool(b *testing.B) {
	s := newSite(b)
	s.browserLimit = 20 * time.Minute
	cfg, err := arch.Preset("ViT-B/32")
	if err != nil {
		b.Fatal(err)
	}
	cfgJSON, _ := cfg.Marshal()
	model := filepath.Join(b.TempDir(), "vit-b-32-int8.safetensors")
	if err := os.WriteFile(model, quanttest.Model(b, string(cfgJSON), 8, 32, 7), 0o644); err != nil {
		b.Fatal(err)
	}
	files := map[string][]byte{}
	var order []string
	for i := range 24 {
		name := fmt.Sprintf("img%02d.png", i)
		files[name] = quanttest.PNG(b, 224+i, 224-i, uint64(i))
		order = append(order, name)
	}
	imgs := s.images(b, files, order...)
	labels := []string{"a red circle", "a blue square", "a dog"}
	pool := "/"
	if n := os.Getenv("CLIP_POOL_WORKERS"); n != "" {
		pool = "/?workers=" + n
	}
	rate := map[string]float64{}
	for range b.N {
		for _, path := range []string{"/?workers=1", pool} {
			p := s.open(b, path)
			p.waitStatus(b, "ready")
			p.run(b, chromedp.SetUploadFiles("#model-file", []string{model}, chromedp.ByQuery))
			p.waitStatusFor(b, "vit-b-32-int8.safetensors: ready", 5*time.Minute)
			workers := p.workers(b)
			p.pasteLabels(b, strings.Join(labels, "\n"))
			start, cpu := time.Now(), rendererCPU(browserPID(p))
			p.run(b, chromedp.SetUploadFiles("#images", imgs, chromedp.ByQuery))
			var cards []card
			p.waitForLong(b, "every card scored", 10*time.Minute, func() bool {
				cards = p.cards(b)
				n := 0
				for _, c := range cards {
					if c.State == "scored" {
						n++
					}
				}
				return n == len(imgs)
			})
			elapsed := time.Since(start)
			cpu = rendererCPU(browserPID(p)) - cpu
			r := float64(len(imgs)) / elapsed.Seconds()
			rate[path] = r
			b.Logf("%s: %d workers, %d ViT-B/32 images in %.2fs = %.2f images/s; the tab used %.1f CPU-seconds (%.2f cores)",
				path, workers, len(imgs), elapsed.Seconds(), r, cpu, cpu/elapsed.Seconds())
		}
	}
	b.ReportMetric(rate["/?workers=1"], "img/s-1worker")
	b.ReportMetric(rate[pool], "img/s-pool")
	b.ReportMetric(rate[pool]/rate["/?workers=1"], "speedup")
}
