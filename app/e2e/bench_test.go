//go:build !js

package e2e

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clip-go/clip/model/arch"
	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/model/tokenizer"
)

// BenchmarkPageQuantizeViTB32 measures the page's streaming quantizer on the ViT-B/32
// shape (make bench-web-quant): a float32 hub folder with random weights (605 MB,
// written here, never committed) is served on 127.0.0.1 and loaded by URL in headless
// Chromium; it reports the seconds from the click to the model ready (download,
// quantization to int8, storing in OPFS, loading), the int8 file's size, and the peak
// resident memory of the tab's renderer process (where the page and its worker run)
// against that size.
func BenchmarkPageQuantizeViTB32(b *testing.B) {
	dir := b.TempDir()
	floatBytes := writeRandomHubFolder(b, dir, "ViT-B/32")
	s := newSite(b)
	s.browserLimit = 30 * time.Minute
	hub := newHubServer(b, map[string]string{"bench/vit-b-32": dir}, nil)
	for range b.N {
		p := s.open(b, "/")
		p.waitStatus(b, "ready")
		base := rendererPeaks(browserPID(p))
		p.run(b, chromedp.Click("details.model-picker summary", chromedp.ByQuery))
		start := time.Now()
		p.loadURL(b, hub.URL+"/bench/vit-b-32/resolve/main/")
		var status string
		last := time.Now()
		p.waitForLong(b, "the model ready", 20*time.Minute, func() bool {
			p.eval(b, `document.querySelector("[data-testid=status]").textContent.trim()`, &status)
			if time.Since(last) > 2*time.Second && os.Getenv("CLIP_BENCH_TRACE") != "" {
				b.Logf("%.0fs: %s; renderer RSS %v kB", time.Since(start).Seconds(), status, rendererMemory(browserPID(p), "VmRSS:"))
				last = time.Now()
			}
			return strings.Contains(status, "bench/vit-b-32: ready") || strings.Contains(status, "error")
		})
		elapsed := time.Since(start)
		peaks := rendererPeaks(browserPID(p))
		if !strings.Contains(status, "bench/vit-b-32: ready") || strings.Contains(status, "error") {
			b.Fatalf("status %q", status)
		}
		var int8Bytes int64
		p.eval(b, `(async () => { const d = await (await navigator.storage.getDirectory()).getDirectoryHandle("models");
			const idx = JSON.parse(await (await (await d.getFileHandle("index.json")).getFile()).text()); return idx[0].bytes; })()`, &int8Bytes)
		var peak, before int64
		for pid, kb := range peaks {
			if kb > peak {
				peak, before = kb, base[pid]
			}
		}
		peak, before = peak<<10, before<<10
		b.Logf("ViT-B/32 float32 %.0f MB → int8 %.1f MB in %.1fs (%.0f MB/s); renderer peak RSS %.0f MB (%.0f MB before the click) = %.2f× the int8 file (%.2f× counting only the growth); status %q",
			float64(floatBytes)/1e6, float64(int8Bytes)/1e6, elapsed.Seconds(), float64(floatBytes)/1e6/elapsed.Seconds(),
			float64(peak)/1e6, float64(before)/1e6, float64(peak)/float64(int8Bytes), float64(peak-before)/float64(int8Bytes), status)
		b.ReportMetric(elapsed.Seconds(), "s/quantize")
		b.ReportMetric(float64(peak)/float64(int8Bytes), "peakRSS/int8")
	}
}

// browserPID is the tab's Chromium browser process.
func browserPID(p *tab) int {
	if c := chromedp.FromContext(p.ctx); c != nil && c.Browser != nil && c.Browser.Process() != nil {
		return c.Browser.Process().Pid
	}
	return 0
}

// descends reports whether process pid has ancestor as a parent, grandparent, ...
func descends(pid, ancestor string) bool {
	for i := 0; i < 10 && pid != "1" && pid != "0"; i++ {
		stat, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
		if err != nil {
			return false
		}
		// pid (comm) state ppid ...: the command may hold spaces, so read after the ")".
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) < 2 {
			return false
		}
		if pid = fields[1]; pid == ancestor {
			return true
		}
	}
	return false
}

// rendererPeaks reads the peak resident memory (VmHWM, kB) of the renderer processes of
// the browser whose process is browser, by pid.
func rendererPeaks(browser int) map[string]int64 { return rendererMemory(browser, "VmHWM:") }

// rendererMemory reads a memory figure of /proc/PID/status (kB) of the renderer
// processes of the browser whose process is browser, by pid.
func rendererMemory(browser int, key string) map[string]int64 {
	out := map[string]int64{}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, proc := range procs {
		cmd, err := os.ReadFile(filepath.Join(proc, "cmdline"))
		if err != nil || !strings.Contains(string(cmd), "--type=renderer") || !descends(filepath.Base(proc), strconv.Itoa(browser)) {
			continue
		}
		f, err := os.Open(filepath.Join(proc, "status"))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), key); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				out[filepath.Base(proc)] = kb
			}
		}
		f.Close()
	}
	return out
}

// rendererCPU is the CPU time the renderer processes of the browser whose process is
// browser have used (user + system, all threads: the page and its workers), in seconds.
func rendererCPU(browser int) float64 {
	var ticks int64
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, proc := range procs {
		cmd, err := os.ReadFile(filepath.Join(proc, "cmdline"))
		if err != nil || !strings.Contains(string(cmd), "--type=renderer") || !descends(filepath.Base(proc), strconv.Itoa(browser)) {
			continue
		}
		stat, err := os.ReadFile(filepath.Join(proc, "stat"))
		if err != nil {
			continue
		}
		// After "pid (comm)": state is field 3 of proc(5), utime and stime 14 and 15.
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) > 12 {
			u, _ := strconv.ParseInt(fields[11], 10, 64)
			s, _ := strconv.ParseInt(fields[12], 10, 64)
			ticks += u + s
		}
	}
	return float64(ticks) / 100 // USER_HZ, 100 on Linux
}

// writeRandomHubFolder writes a float32 hub folder of a preset's shape with random
// weights, streaming model.safetensors to disk (it is as large as the real one), and
// returns the weights file's size.
func writeRandomHubFolder(tb testing.TB, dir, preset string) int64 {
	tb.Helper()
	cfg, err := arch.Preset(preset)
	if err != nil {
		tb.Fatal(err)
	}
	cfgJSON, _ := cfg.Marshal()
	pre, _ := imageproc.DefaultConfig(cfg.Vision.ImageSize).MarshalHub()
	tok, err := tokenizer.Default()
	if err != nil {
		tb.Skip(err)
	}
	if err := tok.WriteHub(dir); err != nil {
		tb.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "config.json"), cfgJSON, 0o644)
	os.WriteFile(filepath.Join(dir, "preprocessor_config.json"), pre, 0o644)

	shapes := cfg.ParamShapes()
	names := make([]string, 0, len(shapes))
	for n := range shapes {
		names = append(names, n)
	}
	sort.Strings(names)
	type entry struct {
		DType   string   `json:"dtype"`
		Shape   []int    `json:"shape"`
		Offsets [2]int64 `json:"data_offsets"`
	}
	header := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var off int64
	for _, n := range names {
		count := int64(1)
		for _, d := range shapes[n] {
			count *= int64(d)
		}
		header[n] = entry{"F32", append([]int{}, shapes[n]...), [2]int64{off, off + 4*count}}
		off += 4 * count
	}
	hdr, _ := json.Marshal(header)
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}
	f, err := os.Create(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.Write(binary.LittleEndian.AppendUint64(nil, uint64(len(hdr))))
	w.Write(hdr)
	rng := rand.New(rand.NewPCG(1, 2))
	var buf [4]byte
	for _, n := range names {
		count := 1
		for _, d := range shapes[n] {
			count *= d
		}
		for range count {
			binary.LittleEndian.PutUint32(buf[:], math.Float32bits(float32(rng.NormFloat64()*0.02)))
			w.Write(buf[:])
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return int64(8+len(hdr)) + off
}
