//go:build !js

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/clip-go/clip/app/site"
	"github.com/clip-go/clip/internal/browser"
	"github.com/clip-go/clip/wasm/quanttest"
)

// The site is built once for all tests (two wasm builds take a while on 2 cores).
var (
	sitesMu  sync.Mutex
	built    *testSite
	builtDir string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
	os.Exit(code)
}

var (
	siteHandler  = site.Handler
	startBrowser = browser.Start
)

// findChromium skips the test without Chromium, except in CI, where it must be there.
func findChromium(t testing.TB) string {
	t.Helper()
	p, err := browser.Find("")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return p
}

func buildSite(t testing.TB) *testSite {
	t.Helper()
	dir, err := os.MkdirTemp("", "clip-site-")
	if err != nil {
		t.Fatal(err)
	}
	builtDir = dir
	s := &testSite{dir: filepath.Join(dir, "site"), modelName: "test-int8.safetensors"}
	s.modelPath = filepath.Join(dir, s.modelName)
	if err := os.WriteFile(s.modelPath, quanttest.Model(t, quanttest.TinyConfig, 8, 32, 5), 0o644); err != nil {
		t.Fatal(err)
	}
	simd := os.Getenv("CLIP_SIMD_WASM") // set by make test; without it the page runs the portable kernel
	s.simd = simd != ""
	start := time.Now()
	relaxed := os.Getenv("CLIP_RELAXED_WASM") // likewise; the int8 test model runs SIMD128 with it
	s.relaxed = relaxed != ""
	if err := site.Build(site.Options{Out: s.dir, Model: s.modelPath, SIMD: simd, Relaxed: relaxed}); err != nil {
		t.Fatal(err)
	}
	t.Logf("site built in %.1fs", time.Since(start).Seconds())
	return s
}

// tab is the page in headless Chromium.
type tab struct {
	ctx    context.Context
	origin string // the site's http://127.0.0.1:port

	mu          sync.Mutex // guards what the event listener records
	dialogs     int
	requests    []string
	transferred int64    // bytes over the network, as sent (compressed)
	console     []string // the page's console and exceptions: the first maxConsole lines,
	consoleTail []string // and the last maxConsole after them (a Go crash's message comes first)
}

const maxConsole = 40

func (p *tab) logConsole(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.console) < maxConsole {
		p.console = append(p.console, line)
		return
	}
	p.consoleTail = append(p.consoleTail, line)
	if len(p.consoleTail) > maxConsole {
		p.consoleTail = p.consoleTail[1:]
	}
}

func (p *tab) run(t testing.TB, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(p.ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

func (p *tab) eval(t testing.TB, script string, out any) {
	t.Helper()
	p.run(t, chromedp.Evaluate(script, out, func(e *runtime.EvaluateParams) *runtime.EvaluateParams {
		return e.WithAwaitPromise(true)
	}))
}

// waitFor polls cond every 100 ms for up to a minute.
func (p *tab) waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	p.waitForLong(t, what, time.Minute, cond)
}

// waitForLong is waitFor with another time limit.
func (p *tab) waitForLong(t testing.TB, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			p.logPageState(t)
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// logPageState logs what the page says of itself when a wait fails: its status,
// message, error and busy lines (its console is logged at the test's end).
func (p *tab) logPageState(t testing.TB) {
	t.Helper()
	var lines []string
	err := chromedp.Run(p.ctx, chromedp.Evaluate(`Array.from(document.querySelectorAll(
		"[data-testid=status], [data-testid=label-msg], [data-testid=label-error], [data-testid=label-busy], [role=alert]"))
		.map((e) => (e.dataset.testid || e.getAttribute("role")) + ": " + e.textContent.trim())`, &lines))
	if err != nil {
		t.Logf("page lines: %v", err)
		return
	}
	t.Logf("page lines: %q", lines)
}

// waitStatus waits until the status line contains word ("ready", "error") and returns it.
func (p *tab) waitStatus(t testing.TB, word string) string {
	t.Helper()
	return p.waitStatusFor(t, word, time.Minute)
}

// waitStatusFor is waitStatus with another time limit.
func (p *tab) waitStatusFor(t testing.TB, word string, limit time.Duration) string {
	t.Helper()
	var status string
	defer func() {
		if t.Failed() {
			t.Logf("status line: %q", status)
			p.logLoadState(t)
		}
	}()
	p.waitForLong(t, "the status line to say "+word, limit, func() bool {
		p.eval(t, `(document.querySelector("[data-testid=status]") || {}).textContent || ""`, &status)
		return strings.Contains(status, word)
	})
	return status
}

// logLoadState logs what a page that did not get its model was doing: the service
// worker's state and the site's requests with their timings (one still running has no
// responseEnd).
func (p *tab) logLoadState(t testing.TB) {
	t.Helper()
	var state string
	err := chromedp.Run(p.ctx, chromedp.Evaluate(`(async () => {
		const sw = navigator.serviceWorker, reg = sw && await sw.getRegistration();
		const st = (w) => w ? w.state : "none";
		const lines = ["controller " + st(sw && sw.controller) + ", active " + st(reg && reg.active) +
			", installing " + st(reg && reg.installing) + ", waiting " + st(reg && reg.waiting)];
		for (const e of performance.getEntriesByType("resource"))
			lines.push(e.name + " start " + e.startTime.toFixed(0) + " end " + e.responseEnd.toFixed(0) + " ms, " + e.transferSize + " B");
		return lines.join("\n");
	})()`, &state, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	if err != nil {
		t.Logf("page state: %v", err)
		return
	}
	t.Logf("page state:\n%s", state)
}

// typeLabels replaces the labels box's text by typing it, as a person would.
func (p *tab) typeLabels(t testing.TB, text string) {
	t.Helper()
	p.eval(t, `(() => { const el = document.querySelector("#labels"); el.value = "";
		el.dispatchEvent(new Event("input", {bubbles: true})); return true; })()`, nil)
	p.run(t, chromedp.Focus("#labels", chromedp.ByQuery), chromedp.SendKeys("#labels", text, chromedp.ByQuery))
}

// pasteLabels replaces the labels box's text in one input event, as a paste does: no
// half-typed label reaches the worker (typing slowly lets the page score "a yel").
func (p *tab) pasteLabels(t testing.TB, text string) {
	t.Helper()
	p.eval(t, `(() => { const el = document.querySelector("#labels"); el.focus(); el.value = `+jsString(text)+`;
		el.dispatchEvent(new Event("input", {bubbles: true})); return true; })()`, nil)
}

type card struct {
	Name  string `json:"name"`
	State string `json:"state"`
	Error string `json:"error"`
	Preds []struct {
		Label string  `json:"label"` // the row's label as rendered (its text)
		Prob  float64 `json:"prob"`
		Text  string  `json:"text"`
	} `json:"preds"`
}

func (p *tab) cards(t testing.TB) []card {
	t.Helper()
	var cards []card
	p.eval(t, `Array.from(document.querySelectorAll("[data-testid=result]")).map((c) => ({
		name: c.querySelector(".name").textContent, state: c.dataset.state,
		error: (c.querySelector("[data-testid=error]") || {}).textContent || "",
		preds: Array.from(c.querySelectorAll("[data-testid=prediction]")).map((r) => ({
			label: r.querySelector(".plabel").textContent, prob: parseFloat(r.dataset.prob),
			text: r.textContent.trim().replace(/\s+/g, " ")}))}))`, &cards)
	return cards
}

// waitCards waits for n cards, each scored against labels (or failed), and returns them.
func (p *tab) waitCards(t testing.TB, n int, labels []string) []card {
	t.Helper()
	want := map[string]bool{}
	for _, l := range labels {
		want[l] = true
	}
	var cards []card
	defer func() {
		if t.Failed() {
			t.Logf("cards: %+v", cards)
		}
	}()
	p.waitFor(t, fmt.Sprintf("%d cards scored against %q", n, labels), func() bool {
		cards = p.cards(t)
		if len(cards) != n {
			return false
		}
		for _, c := range cards {
			if c.State == "error" {
				continue
			}
			if c.State != "scored" || len(c.Preds) != min(5, len(labels)) {
				return false
			}
			for _, r := range c.Preds {
				if !want[r.Label] {
					return false
				}
			}
		}
		return true
	})
	return cards
}

type stats struct{ Images, Texts int }

// stats reads the worker's counters from the page's footer once they are settled.
func (p *tab) stats(t testing.TB) stats {
	t.Helper()
	var last stats
	for i := 0; i < 20; i++ {
		var raw struct{ Images, Texts string }
		p.eval(t, `(() => { const e = document.querySelector("[data-testid=engine-stats]");
			return {Images: e.dataset.imagesEncoded, Texts: e.dataset.textsEncoded}; })()`, &raw)
		var s stats
		fmt.Sscan(raw.Images, &s.Images)
		fmt.Sscan(raw.Texts, &s.Texts)
		if i > 0 && s == last {
			return s
		}
		last = s
		time.Sleep(150 * time.Millisecond)
	}
	return last
}

// checkXSS: the label that is HTML shows as its text, and nothing ran.
func (p *tab) checkXSS(t testing.TB) {
	t.Helper()
	var res struct {
		Injected int  `json:"injected"`
		Literal  bool `json:"literal"`
	}
	p.eval(t, `({injected: document.querySelectorAll('img[src="x"]').length,
		literal: Array.from(document.querySelectorAll(".plabel")).some((e) => e.textContent === `+jsString(xssLabel)+`)})`, &res)
	p.mu.Lock()
	defer p.mu.Unlock()
	if res.Injected != 0 || !res.Literal || p.dialogs != 0 {
		t.Errorf("XSS label: %d injected elements, shown literally %v, %d dialogs", res.Injected, res.Literal, p.dialogs)
	}
}

// checkSummary: the summary counts the cards per top-1 label.
func (p *tab) checkSummary(t testing.TB, cards []card) {
	t.Helper()
	want := map[string]int{}
	for _, c := range cards {
		if len(c.Preds) > 0 {
			want[c.Preds[0].Label]++
		}
	}
	var rows []string
	p.eval(t, `Array.from(document.querySelectorAll("[data-testid=summary] li")).map((e) => e.textContent)`, &rows)
	got := map[string]int{}
	for _, r := range rows {
		i := strings.LastIndex(r, ": ")
		if i < 0 {
			t.Fatalf("summary row %q", r)
		}
		var n int
		fmt.Sscan(r[i+2:], &n)
		got[r[:i]] = n
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("summary %q, want counts %v", rows, want)
	}
}

// checkClean: no CSP violation, no dialog, and no request from the page but to the site
// itself (and its own blob: thumbnails) during the test. (The worker's requests are not
// seen here; it fetches only its fixed files.)
func (p *tab) checkClean(t testing.TB) {
	t.Helper()
	var violations []string
	p.eval(t, `window.__csp || []`, &violations)
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(violations) > 0 || p.dialogs > 0 {
		t.Errorf("CSP violations %q, %d dialogs", violations, p.dialogs)
	}
	for _, u := range p.requests {
		if !strings.HasPrefix(u, p.origin+"/") && !strings.HasPrefix(u, "blob:"+p.origin+"/") {
			t.Errorf("the page fetched %s", u)
		}
	}
	if len(p.requests) == 0 {
		t.Error("no requests recorded")
	}
}

// screenshot saves the page at a viewport size into $CLIP_SCREENSHOTS (or the test's
// temporary folder).
func (p *tab) screenshot(t testing.TB, name string, w, h int64) {
	t.Helper()
	dir := os.Getenv("CLIP_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var png []byte
	p.run(t, chromedp.EmulateViewport(w, h), chromedp.Sleep(300*time.Millisecond), chromedp.CaptureScreenshot(&png))
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", path)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
