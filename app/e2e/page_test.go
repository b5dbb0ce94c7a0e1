//go:build !js

package e2e

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/clip-go/clip/model/zeroshot"
	"github.com/clip-go/clip/wasm/engine"
	"github.com/clip-go/clip/wasm/quanttest"
)

const xssLabel = `<img src=x onerror=alert(1)>`

// TestPageClassifiesLikeTheEngine opens the built site with a small quantized model as
// its default, gives it three images, a corrupt one and one whose header declares
// 60000×60000 pixels (refused before decoding), types labels, and checks every
// card's top-5 against the native engine (what `clip classify` runs for a quantized
// file); then edits the labels and the templates and checks the re-scoring encoded no
// image again; the XSS label renders as text; screenshots at 1280×800 and 390×844.
func TestPageClassifiesLikeTheEngine(t *testing.T) {
	s := newSite(t)
	imgs := s.images(t, map[string][]byte{
		"a.png":      quanttest.PNG(t, 64, 48, 1),
		"broken.png": []byte("\x89PNG\r\n\x1a\nthis is not an image"),
		"b.png":      quanttest.PNG(t, 40, 40, 2),
		"c.png":      quanttest.PNG(t, 50, 70, 3),
		"huge.png":   hugePNG(60000, 60000),
	}, "a.png", "broken.png", "b.png", "huge.png", "c.png")
	opened := time.Now()
	p := s.open(t, "/")
	status := p.waitStatus(t, "ready")
	ready := time.Since(opened)
	for _, want := range []string{s.modelName, "int8", "32-d"} {
		if !strings.Contains(status, want) {
			t.Errorf("status %q does not contain %q", status, want)
		}
	}
	if s.simd && !strings.Contains(status, "SIMD kernel") {
		t.Errorf("status %q: want the SIMD kernel", status)
	}
	var errs []string
	p.eval(t, `Array.from(document.querySelectorAll(".field-error")).map((e) => e.textContent)`, &errs)
	if len(errs) > 0 {
		t.Errorf("a fresh page shows errors: %q", errs)
	}

	labels := []string{"a red circle", "a blue square", xssLabel, "a dog, sleeping", "a green triangle"}
	p.typeLabels(t, strings.Join(labels, "\n"))
	p.run(t, chromedp.SetUploadFiles("#images", imgs, chromedp.ByQuery))
	cards := p.waitCards(t, len(imgs), labels)
	p.mu.Lock()
	// The listener sees the page's requests, not the worker's (clip.wasm, 3.3 MB gzipped).
	t.Logf("page opened to model ready in %.2fs (%.1f MB transferred by the page, gzip); to all %d cards scored in %.2fs (labels typed in between)",
		ready.Seconds(), float64(p.transferred)/1e6, len(imgs), time.Since(opened).Seconds())
	p.mu.Unlock()
	native := s.native(t)
	clip7, _ := zeroshot.TemplateSet(zeroshot.DefaultTemplateSet)
	native.check(t, cards, imgs, labels, clip7)
	if cards[1].State != "error" || cards[1].Error == "" || len(cards[1].Preds) != 0 {
		t.Errorf("the corrupt image's card: %+v", cards[1])
	}
	if cards[3].State != "error" || !strings.Contains(cards[3].Error, "larger than the limit") {
		t.Errorf("the huge image's card: %+v", cards[3])
	}
	before := p.stats(t)
	if before.Images != 3 {
		t.Errorf("%d images encoded, want 3 (not the corrupt one, nor the huge one)", before.Images)
	}
	p.checkXSS(t)
	p.checkSummary(t, cards)
	p.screenshot(t, "page-1280x800.png", 1280, 800)

	// New labels (one new, one dropped, another order): the page re-scores from the
	// embeddings it has; the worker encodes only the new label's prompts.
	labels = []string{"a green triangle", "a yellow star", "a red circle", xssLabel}
	p.pasteLabels(t, strings.Join(labels, ", "))
	cards = p.waitCards(t, len(imgs), labels)
	native.check(t, cards, imgs, labels, clip7)
	after := p.stats(t)
	if after.Images != before.Images || after.Texts != before.Texts+len(clip7) {
		t.Errorf("after editing the labels: %d images and %d prompts encoded, want %d and %d",
			after.Images, after.Texts, before.Images, before.Texts+len(clip7))
	}

	// Another template set re-scores too, still without encoding an image.
	p.run(t, chromedp.SetValue("#template-set", "photo", chromedp.ByQuery))
	p.eval(t, `document.querySelector("#template-set").dispatchEvent(new Event("change", {bubbles: true}))`, nil)
	photo, _ := zeroshot.TemplateSet("photo")
	p.waitFor(t, "scores for the photo template", func() bool {
		cards = p.cards(t)
		return native.matches(cards, imgs, labels, photo) == nil
	})
	if err := native.matches(cards, imgs, labels, photo); err != nil {
		t.Error(err)
	}
	if st := p.stats(t); st.Images != before.Images {
		t.Errorf("after changing templates: %d images encoded, want %d", st.Images, before.Images)
	}

	// The same bytes under another name: a new card, from the cached embedding.
	again := s.images(t, map[string][]byte{"a-again.png": quanttest.PNG(t, 64, 48, 1)}, "a-again.png")
	p.run(t, chromedp.SetUploadFiles("#images", again, chromedp.ByQuery))
	imgs = append(imgs, again...)
	p.waitFor(t, "the copy's card", func() bool {
		cards = p.cards(t)
		return native.matches(cards, imgs, labels, photo) == nil
	})
	if st := p.stats(t); st.Images != before.Images {
		t.Errorf("after adding a copy of an image: %d images encoded, want %d", st.Images, before.Images)
	}
	p.screenshot(t, "page-390x844.png", 390, 844)
	var overflow int
	p.eval(t, `document.documentElement.scrollWidth - window.innerWidth`, &overflow)
	if overflow > 0 {
		t.Errorf("at 390 px the page is %d px wider than the screen", overflow)
	}
	p.checkClean(t)
}

// TestPageStartErrors: when the page cannot start its engine or ask for its default
// model, the status line says so with "error" instead of waiting forever: the engine's
// worker script or a script it imports missing (the worker never answers), the default
// model's manifest not answered at all (the connection dropped; a 404 means the site
// has no default model).
func TestPageStartErrors(t *testing.T) {
	for _, c := range []struct {
		path string
		drop bool // close the connection instead of answering 404
		want string
	}{
		{"/clip-worker.js", false, "worker did not start"},
		{"/clip-models.js", false, "worker did not start"},
		{"/models/default.json", true, "models/default.json"},
	} {
		t.Run(strings.TrimPrefix(c.path, "/"), func(t *testing.T) {
			s := newSite(t)
			s.missing, s.drop = c.path, c.drop
			p := s.open(t, "/")
			if status := p.waitStatus(t, "error"); !strings.Contains(status, c.want) {
				t.Errorf("status %q: want %q", status, c.want)
			}
		})
	}
}

// TestPageDamagedDefaultModel: a default model whose bytes differ from the site's
// manifest (one byte changed, same length) is refused by the page's own SHA-256 check,
// before the engine would spare itself the hash on the manifest's word.
func TestPageDamagedDefaultModel(t *testing.T) {
	s := newSite(t)
	s.corruptModel = true
	p := s.open(t, "/")
	status := p.waitStatus(t, "error")
	if !strings.Contains(status, s.modelName) || !strings.Contains(status, "site's manifest") {
		t.Errorf("status %q: want the model named and its SHA-256 against the manifest", status)
	}
}

// TestPageModelError: a default model that does not load (a truncated file) says
// "error" in the status line; the page stays usable, a model file the user picks (here
// a 4-bit one) loads and classifies, and a file that is not a model then gets an error
// while that model stays in use.
func TestPageModelError(t *testing.T) {
	s := newSite(t)
	s.truncateModel = true
	p := s.open(t, "/")
	status := p.waitStatus(t, "error")
	if !strings.Contains(status, s.modelName) {
		t.Errorf("status %q does not name the model", status)
	}
	picked := filepath.Join(t.TempDir(), "picked-int4.safetensors")
	if err := os.WriteFile(picked, quanttest.Model(t, quanttest.TinyConfig, 4, 32, 6), 0o644); err != nil {
		t.Fatal(err)
	}
	p.run(t, chromedp.SetUploadFiles("#model-file", []string{picked}, chromedp.ByQuery))
	status = p.waitStatus(t, "ready")
	if !strings.Contains(status, "picked-int4.safetensors") || !strings.Contains(status, "int4") {
		t.Errorf("status %q: want the picked 4-bit model", status)
	}
	if s.relaxed && !strings.Contains(status, "relaxed SIMD kernel") {
		t.Errorf("status %q: want the relaxed SIMD kernel for a 4-bit model", status)
	}
	p.screenshot(t, "page-int4-relaxed.png", 1000, 700)
	img := s.images(t, map[string][]byte{"d.png": quanttest.PNG(t, 30, 30, 4)}, "d.png")
	labels := []string{"cat", "dog"}
	p.typeLabels(t, "cat, dog")
	p.run(t, chromedp.SetUploadFiles("#images", img, chromedp.ByQuery))
	cards := p.waitCards(t, 1, labels)
	data, _ := os.ReadFile(picked)
	m, err := engine.Load(data, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	clip7, _ := zeroshot.TemplateSet(zeroshot.DefaultTemplateSet)
	native{m}.check(t, cards, img, labels, clip7)

	// A file that is not a model: an error, and the page keeps the model it had.
	bad := filepath.Join(t.TempDir(), "bad.safetensors")
	os.WriteFile(bad, []byte("this is not a model"), 0o644)
	p.run(t, chromedp.SetUploadFiles("#model-file", []string{bad}, chromedp.ByQuery))
	status = p.waitStatus(t, "error")
	if !strings.Contains(status, "bad.safetensors") || !strings.Contains(status, "still using picked-int4.safetensors") {
		t.Errorf("status %q: want the error and the model still in use", status)
	}
	labels = []string{"cat", "dog", "bird"}
	p.typeLabels(t, "cat, dog, bird")
	native{m}.check(t, p.waitCards(t, 1, labels), img, labels, clip7)
	p.checkClean(t)
}

// site is a built site served on 127.0.0.1 with a test model as its default.
type testSite struct {
	dir, modelPath, modelName string
	simd, relaxed             bool
	truncateModel             bool
	corruptModel              bool   // serve the default model with its last byte changed
	missing                   string // a path the server answers with 404
	drop                      bool   // or, for that path, with a dropped connection
	srv                       *httptest.Server
	served                    *atomic.Int64 // bytes of response bodies sent (builtinSite counts them)
	chromium                  string
	browserLimit              time.Duration // how long a tab may live (default 3 minutes)
}

// native is the engine the page is compared with.
type native struct{ m *engine.Model }

func (s *testSite) native(t testing.TB) native {
	data, err := os.ReadFile(s.modelPath)
	if err != nil {
		t.Fatal(err)
	}
	m, err := engine.Load(data, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return native{m}
}

func (n native) check(t testing.TB, cards []card, imgs, labels, templates []string) {
	t.Helper()
	if err := n.matches(cards, imgs, labels, templates); err != nil {
		t.Error(err)
	}
}

// matches compares the cards with the engine's classify: one card per image in order,
// an error card for an image the engine cannot decode, else the same top-5 labels in the
// same order with probabilities within 1e-4.
func (n native) matches(cards []card, imgs, labels, templates []string) error {
	clf, err := zeroshot.Build(n.m, labels, templates, false)
	if err != nil {
		return err
	}
	feats, errs, err := n.m.EncodeImageFiles(imgs)
	if err != nil {
		return err
	}
	if len(cards) != len(imgs) {
		return fmt.Errorf("%d cards for %d images", len(cards), len(imgs))
	}
	for i, c := range cards {
		if c.Name != filepath.Base(imgs[i]) {
			return fmt.Errorf("card %d is %q, want %q", i, c.Name, filepath.Base(imgs[i]))
		}
		if errs[i] != nil {
			if c.State != "error" {
				return fmt.Errorf("card %s: state %q, the engine fails with %v", c.Name, c.State, errs[i])
			}
			continue
		}
		want := clf.Top(feats[i], 5)
		if len(c.Preds) != len(want) {
			return fmt.Errorf("card %s: %d predictions, want %d", c.Name, len(c.Preds), len(want))
		}
		for k, w := range want {
			got := c.Preds[k]
			if got.Label != w.Label || math.Abs(got.Prob-w.Prob) > 1e-4 {
				return fmt.Errorf("card %s, row %d: %q %.6f, the engine %q %.6f", c.Name, k, got.Label, got.Prob, w.Label, w.Prob)
			}
			if !strings.HasPrefix(got.Text, w.Label) || !strings.HasSuffix(got.Text, "%") {
				return fmt.Errorf("card %s, row %d: text %q, want the label then its percentage", c.Name, k, got.Text)
			}
		}
	}
	return nil
}

func newSite(t testing.TB) *testSite {
	t.Helper()
	chromium := findChromium(t)
	sitesMu.Lock()
	defer sitesMu.Unlock()
	if built == nil {
		built = buildSite(t)
	}
	s := *built
	s.chromium = chromium
	mux := http.NewServeMux()
	handler := siteHandler(s.dir)
	sp := &s
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if sp.missing != "" && r.URL.Path == sp.missing {
			if sp.drop {
				panic(http.ErrAbortHandler) // the server closes the connection: fetch rejects
			}
			http.NotFound(w, r)
			return
		}
		if sp.truncateModel && r.URL.Path == "/models/"+sp.modelName {
			data, _ := os.ReadFile(sp.modelPath)
			w.Write(data[:len(data)/2])
			return
		}
		if sp.corruptModel && r.URL.Path == "/models/"+sp.modelName {
			data, _ := os.ReadFile(sp.modelPath)
			data[len(data)-1] ^= 1
			w.Write(data)
			return
		}
		handler.ServeHTTP(w, r)
	})
	sp.srv = httptest.NewServer(mux)
	t.Cleanup(sp.srv.Close)
	return sp
}

// images writes files into a folder and returns their paths in the given order.
func (s *testSite) images(t testing.TB, files map[string][]byte, order ...string) []string {
	dir := t.TempDir()
	var out []string
	for _, name := range order {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func (s *testSite) open(t testing.TB, path string) *tab {
	return s.openURL(t, s.srv.URL, s.srv.URL+path)
}

// openURL opens url, a page of the site served at origin, in a fresh browser.
func (s *testSite) openURL(t testing.TB, origin, url string) *tab {
	limit := 3 * time.Minute
	if s.browserLimit > 0 {
		limit = s.browserLimit
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)
	bctx, stop, err := startBrowser(ctx, s.chromium)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	p := &tab{ctx: bctx}
	p.origin = origin
	chromedp.ListenTarget(bctx, func(ev any) {
		switch ev := ev.(type) {
		case *page.EventJavascriptDialogOpening:
			p.mu.Lock()
			p.dialogs++
			p.mu.Unlock()
			go chromedp.Run(bctx, page.HandleJavaScriptDialog(true))
		case *network.EventRequestWillBeSent:
			p.mu.Lock()
			p.requests = append(p.requests, ev.Request.URL)
			p.mu.Unlock()
		case *network.EventLoadingFinished:
			p.mu.Lock()
			p.transferred += int64(ev.EncodedDataLength)
			p.mu.Unlock()
		case *runtime.EventExceptionThrown:
			p.logConsole("exception: " + ev.ExceptionDetails.Error())
		case *runtime.EventConsoleAPICalled:
			if ev.Type != runtime.APITypeDebug { // Go's own output (a panic) comes as log
				var parts []string
				for _, a := range ev.Args {
					if a.Value != nil {
						parts = append(parts, string(a.Value))
					} else {
						parts = append(parts, a.Description)
					}
				}
				p.logConsole(string(ev.Type) + ": " + strings.Join(parts, " "))
			}
		}
	})
	t.Cleanup(func() { // what the page said, to tell why a test failed
		if t.Failed() {
			p.mu.Lock()
			defer p.mu.Unlock()
			for _, line := range append(p.console, p.consoleTail...) {
				t.Logf("page console: %s", line)
			}
		}
	})
	p.run(t,
		chromedp.EmulateViewport(1280, 800),
		chromedp.ActionFunc(func(ctx context.Context) error {
			// Record CSP violations from the first script on (an injected script is not
			// subject to the page's CSP).
			_, err := page.AddScriptToEvaluateOnNewDocument(`window.__csp = [];
				document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI));`).Do(ctx)
			return err
		}),
		chromedp.Navigate(url),
	)
	return p
}

// mainThreadCPU is the CPU time the page's main thread has used (Chromium's ThreadTime
// metric; performance.Enable first). Unlike the wall-clock stalls, it does not grow
// when other processes take the cores, so it compares renders on a busy machine.
func (p *tab) mainThreadCPU(t testing.TB) time.Duration {
	t.Helper()
	var metrics []*performance.Metric
	p.run(t, chromedp.ActionFunc(func(ctx context.Context) (err error) {
		metrics, err = performance.GetMetrics().Do(ctx)
		return err
	}))
	for _, m := range metrics {
		if m.Name == "ThreadTime" {
			return time.Duration(m.Value * float64(time.Second))
		}
	}
	t.Fatal("no ThreadTime metric")
	return 0
}

// TestPageStaysResponsive: while 20 images go through the queue, the main thread keeps
// running (a 10 ms timer loop in the page records the longest gap), and the status line
// shows the queue's progress; then the cards sort by confidence, filter by top label
// and come back in the order given. The goal is no stall over 100 ms.
//
// Two measures. Chromium's trace of the main thread's top-level tasks gives each task's
// CPU time: that is what the page's own work blocks the thread for, and it must stay
// under maxTaskCPU (the longest: 11-20 ms on a quiet machine). The timer loop's
// wall-clock gap adds the time the thread waits for a core: on this project's 2-core
// machine, with both cores encoding and nothing else running, a median of 61 ms over 44
// runs, over 100 ms in 8 (up to 154 ms; with one engine worker too, once in nine),
// and 76-462 ms while other builds and tests load it (a trace of the worst gaps shows
// the main thread inside tasks for nearly all of the gap but running for only a quarter
// of it). make test runs packages side by side, so by default the
// wall-clock bound is loose (750 ms); CLIP_MAX_STALL_MS=100 asks for the bound
// (make bench-web-stall prints ten runs' stalls). The main thread's CPU time over the
// run (180-400 ms) only catches a gross regression (a render loop).
func TestPageStaysResponsive(t *testing.T) {
	const (
		maxMainCPU = 800 * time.Millisecond
		maxTaskCPU = 100 * time.Millisecond
	)
	maxStall := 750.0 // ms
	if v := os.Getenv("CLIP_MAX_STALL_MS"); v != "" {
		var err error
		if maxStall, err = strconv.ParseFloat(v, 64); err != nil {
			t.Fatalf("CLIP_MAX_STALL_MS=%q: %v", v, err)
		}
	}
	s := newSite(t)
	files := map[string][]byte{}
	var order []string
	for i := range 20 {
		name := fmt.Sprintf("img%02d.png", i)
		files[name] = quanttest.PNG(t, 200+i, 160, uint64(10+i))
		order = append(order, name)
	}
	imgs := s.images(t, files, order...)
	p := s.open(t, "/")
	p.waitStatus(t, "ready")
	p.typeLabels(t, "a, b, c")
	p.eval(t, `(() => { window.__gap = 0; let last = performance.now();
		window.__timer = setInterval(() => { const now = performance.now();
			window.__gap = Math.max(window.__gap, now - last - 10); last = now; }, 10);
		window.__sawQueue = false;
		new MutationObserver(() => { if (document.querySelector("[data-testid=queue]")) window.__sawQueue = true; })
			.observe(document.body, {subtree: true, childList: true, characterData: true});
		return true; })()`, nil)
	p.run(t, performance.Enable())
	cpu0 := p.mainThreadCPU(t)
	stopTrace := p.traceMainThread(t)
	start := time.Now()
	p.run(t, chromedp.SetUploadFiles("#images", imgs, chromedp.ByQuery))
	p.waitCards(t, 20, []string{"a", "b", "c"})
	elapsed := time.Since(start)
	cpu := p.mainThreadCPU(t) - cpu0
	longest := stopTrace()
	var res struct {
		Gap      float64 `json:"gap"`
		SawQueue bool    `json:"sawQueue"`
	}
	p.eval(t, `(() => { clearInterval(window.__timer); return {gap: window.__gap, sawQueue: window.__sawQueue}; })()`, &res)
	t.Logf("20 images in %.2fs (%.1f images/s); longest main-thread stall %.0f ms; the main thread's CPU time %.0f ms; "+
		"its longest task (of %d) %.1f ms of CPU, %.1f ms of wall time; load average %.1f",
		elapsed.Seconds(), 20/elapsed.Seconds(), res.Gap, cpu.Seconds()*1000,
		longest.Tasks, ms(longest.CPU), ms(longest.Wall), loadAverage())
	if longest.Tasks == 0 {
		t.Error("the trace saw no task on the page's main thread")
	}
	if longest.CPU > maxTaskCPU {
		t.Errorf("a task (%s) held the main thread for %.1f ms of CPU, want at most %v", longest.Name, ms(longest.CPU), maxTaskCPU)
	}
	if res.Gap > maxStall {
		t.Errorf("the main thread stalled %.0f ms, want at most %.0f", res.Gap, maxStall)
	}
	if cpu > maxMainCPU {
		t.Errorf("the main thread used %v of CPU for 20 images, want at most %v", cpu, maxMainCPU)
	}
	if !res.SawQueue {
		t.Error("the status line never showed the queue")
	}
	if st := p.stats(t); st.Images != 20 {
		t.Errorf("%d images encoded, want 20", st.Images)
	}

	// Sorting by confidence, then filtering by a top label, then back.
	given := p.cards(t)
	choose := func(sel, value string) {
		p.run(t, chromedp.SetValue(sel, value, chromedp.ByQuery))
		p.eval(t, `document.querySelector(`+jsString(sel)+`).dispatchEvent(new Event("change", {bubbles: true}))`, nil)
	}
	choose("#sort", "confidence")
	var sorted []card
	p.waitFor(t, "cards sorted by confidence", func() bool {
		sorted = p.cards(t)
		if len(sorted) != 20 {
			return false
		}
		for i := 1; i < len(sorted); i++ {
			if sorted[i].Preds[0].Prob > sorted[i-1].Preds[0].Prob {
				return false
			}
		}
		return true
	})
	count := map[string]int{}
	top := ""
	for _, c := range given {
		l := c.Preds[0].Label
		if count[l]++; count[l] > count[top] {
			top = l
		}
	}
	p.run(t, chromedp.SendKeys("#filter", top, chromedp.ByQuery))
	p.waitFor(t, fmt.Sprintf("the %d cards whose top label is %s", count[top], top), func() bool {
		shown := p.cards(t)
		for _, c := range shown {
			if c.Preds[0].Label != top {
				return false
			}
		}
		return len(shown) == count[top]
	})
	p.eval(t, `(() => { const el = document.querySelector("#filter"); el.value = "";
		el.dispatchEvent(new Event("input", {bubbles: true})); return true; })()`, nil)
	choose("#sort", "given")
	p.waitFor(t, "the cards back in the order given", func() bool {
		back := p.cards(t)
		if len(back) != len(given) {
			return false
		}
		for i := range back {
			if back[i].Name != given[i].Name {
				return false
			}
		}
		return true
	})

	// Clear, then one image again: one card, the new one (the cleared cards' DOM is
	// gone, not kept beside it).
	p.run(t, chromedp.Click(".results-head button", chromedp.ByQuery))
	p.waitFor(t, "no cards after Clear images", func() bool { return len(p.cards(t)) == 0 })
	p.run(t, chromedp.SetUploadFiles("#images", imgs[:1], chromedp.ByQuery))
	if cards := p.waitCards(t, 1, []string{"a", "b", "c"}); cards[0].Name != order[0] {
		t.Errorf("after Clear images, the card is %q, want %q", cards[0].Name, order[0])
	}
}

// TestPageInputs: images pasted from the clipboard and dropped on the page join the
// cards; the user's own template sentences classify like the engine; the controls are
// reachable with the Tab key in reading order; Cancel drops the queued images.
func TestPageInputs(t *testing.T) {
	s := newSite(t)
	pasted, dropped := quanttest.PNG(t, 33, 33, 7), quanttest.PNG(t, 44, 30, 8)
	imgs := s.images(t, map[string][]byte{"pasted.png": pasted, "dropped.png": dropped}, "pasted.png", "dropped.png")
	p := s.open(t, "/")
	p.waitStatus(t, "ready")

	var order []string
	p.eval(t, `document.activeElement && document.activeElement.blur(), true`, nil)
	for range 6 {
		var id string
		p.run(t, chromedp.KeyEvent("\t"))
		p.eval(t, `document.activeElement.id`, &id)
		order = append(order, id)
	}
	if got, want := strings.Join(order, " "), "view-classify view-label images folder labels template-set"; !strings.HasPrefix(got, want) {
		t.Errorf("Tab order %q, want it to start %q", got, want)
	}

	labels := []string{"sun", "moon", "star"}
	p.typeLabels(t, strings.Join(labels, "\n"))
	p.run(t, chromedp.SetValue("#template-set", "custom", chromedp.ByQuery))
	p.eval(t, `document.querySelector("#template-set").dispatchEvent(new Event("change", {bubbles: true}))`, nil)
	p.run(t, chromedp.WaitVisible("#templates", chromedp.ByQuery))
	p.eval(t, `(() => { const el = document.querySelector("#templates"); el.value = "";
		el.dispatchEvent(new Event("input", {bubbles: true})); return true; })()`, nil)
	mine := []string{"a drawing of the {}.", "{} in the sky"}
	p.run(t, chromedp.SendKeys("#templates", strings.Join(mine, "\n"), chromedp.ByQuery))

	// A paste and a drop as the browser delivers them: a DataTransfer holding a File.
	file := func(name string, b []byte) string {
		return fmt.Sprintf(`new File([Uint8Array.from(atob(%q), (c) => c.charCodeAt(0))], %q, {type: "image/png"})`,
			base64.StdEncoding.EncodeToString(b), name)
	}
	p.eval(t, `(() => { const dt = new DataTransfer(); dt.items.add(`+file("pasted.png", pasted)+`);
		document.dispatchEvent(new ClipboardEvent("paste", {clipboardData: dt, bubbles: true})); return true; })()`, nil)
	p.waitFor(t, "the pasted image's card", func() bool { return len(p.cards(t)) == 1 })
	p.eval(t, `(() => { const dt = new DataTransfer(); dt.items.add(`+file("dropped.png", dropped)+`);
		const zone = document.querySelector("[data-testid=dropzone]");
		zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: dt, bubbles: true, cancelable: true}));
		zone.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true})); return true; })()`, nil)
	cards := p.waitCards(t, 2, labels)
	s.native(t).check(t, cards, imgs, labels, mine)

	// Cancel while 30 images wait: the queue stops, every card is scored or cancelled,
	// and the worker encoded only the scored ones.
	many := map[string][]byte{}
	var names []string
	for i := range 30 {
		names = append(names, fmt.Sprintf("q%02d.png", i))
		many[names[i]] = quanttest.PNG(t, 64, 64, uint64(100+i))
	}
	p.run(t, chromedp.SetUploadFiles("#images", s.images(t, many, names...), chromedp.ByQuery),
		chromedp.Click("button.cancel", chromedp.ByQuery))
	var scored, cancelled int
	p.waitFor(t, "the queue to stop", func() bool {
		scored, cancelled = 0, 0
		for _, c := range p.cards(t) {
			switch c.State {
			case "scored":
				scored++
			case "cancelled":
				cancelled++
			}
		}
		return scored+cancelled == 32
	})
	if cancelled == 0 {
		t.Error("Cancel cancelled nothing")
	}
	if st := p.stats(t); st.Images != scored {
		t.Errorf("%d images encoded, %d cards scored", st.Images, scored)
	}
	t.Logf("cancel: %d scored, %d cancelled", scored, cancelled)
	p.checkClean(t)
}

// hugePNG is the start of a PNG whose header declares w×h pixels: enough for a decoder to
// read the size, which is all the engine looks at before refusing it.
func hugePNG(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32([]byte("IHDR"), w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8-bit RGB
	out := append([]byte("\x89PNG\r\n\x1a\n"), 0, 0, 0, 13)
	out = append(out, ihdr...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(ihdr))
}
