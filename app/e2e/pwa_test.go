//go:build !js

package e2e

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/clip-go/clip/app/site"
	"github.com/clip-go/clip/model/zeroshot"
	"github.com/clip-go/clip/wasm/quanttest"
)

// TestOfflineApp: the page installs its service worker, which takes control and
// precaches the app under the build's hash and the default model apart; the page says it
// is ready to work offline only while the caches hold all of it; the manifest
// meets Chromium's install criteria. With the server stopped, a reload still opens the
// page, loads the model and classifies a new image as the engine does, and the labelling
// view labels it and exports a CSV. A second build
// (one changed file, so another hash), served at the same address, is announced by the
// page; its Reload takes it: the old app cache is gone, the model's cache entry is the
// same, the update downloaded no model, and the labelling project is still there.
func TestOfflineApp(t *testing.T) {
	base := newSite(t)
	dirA := t.TempDir()
	if err := os.CopyFS(dirA, os.DirFS(base.dir)); err != nil {
		t.Fatal(err)
	}
	infoA, err := site.Describe(dirA)
	if err != nil {
		t.Fatal(err)
	}
	var modelFetches atomic.Int32
	var mu sync.Mutex
	full := map[string]int{} // unconditional GETs per path: downloads, not revalidations
	serve := func(dir string, ln net.Listener) *httptest.Server {
		h := siteHandler(dir)
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, ".safetensors") {
				modelFetches.Add(1)
			}
			if r.Header.Get("If-Modified-Since") == "" && r.Header.Get("If-None-Match") == "" {
				mu.Lock()
				full[r.URL.Path]++
				mu.Unlock()
			}
			h.ServeHTTP(w, r)
		}))
		srv.Listener.Close()
		srv.Listener = ln
		srv.Start()
		return srv
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	s := *base
	s.dir, s.srv = dirA, serve(dirA, ln)
	defer func() { s.srv.Close() }()

	p := s.open(t, "/")
	p.waitStatus(t, "ready")
	appA := "clip-app-" + infoA.Hash
	p.waitOffline(t)
	var cachedShell int
	p.eval(t, `(async () => (await (await caches.open(`+jsString(appA)+`)).keys()).length)()`, &cachedShell)
	if cachedShell != len(infoA.Shell) {
		t.Errorf("%d files in the app cache, the build has %d", cachedShell, len(infoA.Shell))
	}
	p.checkInstallable(t)
	// Precaching revalidated what the page had loaded: nothing was downloaded twice.
	mu.Lock()
	for path, n := range full {
		if n > 1 {
			t.Errorf("%s downloaded %d times on the first visit", path, n)
		}
	}
	if full["/models/"+s.modelName] != 1 || full["/clip.wasm"] != 1 {
		t.Errorf("first visit's downloads %v: want the model and clip.wasm once", full)
	}
	mu.Unlock()

	// The line goes when a file leaves the caches (a browser may evict them) and comes
	// back once the worker has it again: here the model, deleted, then fetched through
	// the worker, which keeps what it fetches.
	model := jsString("models/" + s.modelName)
	p.eval(t, `(async () => { const c = await caches.open("clip-models");
		for (const r of await c.keys()) await c.delete(r);
		navigator.serviceWorker.controller.postMessage("offline?"); return true; })()`, nil)
	p.waitFor(t, "the offline line to go with the model's cache entry", func() bool { return !p.offlineShown(t) })
	p.eval(t, `(async () => { await (await fetch(`+model+`)).arrayBuffer();
		navigator.serviceWorker.controller.postMessage("offline?"); return true; })()`, nil)
	p.waitOffline(t)

	// Offline: the server is gone; the page, the engine and the model come from the caches.
	s.srv.Close()
	start := time.Now()
	p.run(t, chromedp.Reload())
	p.waitStatus(t, "ready")
	t.Logf("offline: reload to model ready in %.2fs (app shell %d files)", time.Since(start).Seconds(), len(infoA.Shell))
	img := s.images(t, map[string][]byte{"offline.png": quanttest.PNG(t, 48, 40, 21)}, "offline.png")
	labels := []string{"a red circle", "a blue square", "a tree"}
	p.typeLabels(t, strings.Join(labels, "\n"))
	p.run(t, chromedp.SetUploadFiles("#images", img, chromedp.ByQuery))
	clip7, _ := zeroshot.TemplateSet(zeroshot.DefaultTemplateSet)
	s.native(t).check(t, p.waitCards(t, 1, labels), img, labels, clip7)
	// ... and labels and exports: the labelling view stores, scores and downloads offline.
	downloads := p.downloadsTo(t)
	p.openLabeller(t)
	p.setField(t, "#project-labels", "sun\nmoon", "change")
	p.run(t, chromedp.SetUploadFiles("#label-images", img, chromedp.ByQuery))
	p.waitFor(t, "the image scored offline", func() bool { items := p.items(t); return len(items) == 1 && items[0].Top == 2 })
	p.run(t, chromedp.Focus("[data-testid=label-list]", chromedp.ByQuery), chromedp.KeyEvent(kb.Enter), chromedp.Click("#export-csv", chromedp.ByQuery))
	p.waitFor(t, "the CSV exported offline", func() bool {
		b, err := os.ReadFile(filepath.Join(downloads, "Project 1.csv"))
		return err == nil && strings.Contains(string(b), "offline.png,") && strings.Contains(string(b), ",accepted")
	})
	p.waitStored(t, map[string][2]string{"offline.png": {"accepted", ""}})
	p.run(t, chromedp.Click("#view-classify", chromedp.ByQuery))

	// A new build at the same address: one changed file, a new hash.
	dirB := t.TempDir()
	if err := os.CopyFS(dirB, os.DirFS(dirA)); err != nil {
		t.Fatal(err)
	}
	css := filepath.Join(dirB, "styles.css")
	b, _ := os.ReadFile(css)
	os.WriteFile(css, append(b, "\n/* build B */\n"...), 0o644)
	infoB, err := site.WriteServiceWorker(dirB)
	if err != nil {
		t.Fatal(err)
	}
	if infoB.Hash == infoA.Hash {
		t.Fatal("the second build has the first one's hash")
	}
	ln, err = listenAgain(addr)
	if err != nil {
		t.Fatal(err)
	}
	modelFetches.Store(0)
	s.srv = serve(dirB, ln)
	p.run(t, chromedp.Reload())
	p.waitFor(t, "the page to announce the new version", func() bool {
		var shown bool
		p.eval(t, `!document.querySelector("#update").hidden`, &shown)
		return shown
	})
	p.screenshot(t, "update-notice-1280x800.png", 1280, 800)
	p.eval(t, `window.__before = true; document.querySelector("#update button").click(); true`, nil)
	p.waitFor(t, "the page to reload on the new build", func() bool {
		var fresh bool
		p.eval(t, `window.__before === undefined && document.readyState === "complete"`, &fresh)
		return fresh
	})
	p.waitStatus(t, "ready")
	var keys []string
	p.eval(t, `caches.keys()`, &keys)
	slices.Sort(keys)
	if want := []string{"clip-app-" + infoB.Hash, "clip-models"}; !slices.Equal(keys, want) {
		t.Errorf("caches after the update %q, want %q", keys, want)
	}
	var models []string
	p.eval(t, `(async () => (await (await caches.open("clip-models")).keys()).map((r) => new URL(r.url).pathname + new URL(r.url).search))()`, &models)
	want := "/models/" + s.modelName + "?sha256=" + infoA.Models["models/"+s.modelName]
	if len(models) != 1 || models[0] != want {
		t.Errorf("model cache %q, want [%s]", models, want)
	}
	if n := modelFetches.Load(); n != 0 {
		t.Errorf("the update fetched the model %d times", n)
	}
	var hidden bool
	p.eval(t, `document.querySelector("#update").hidden`, &hidden)
	if !hidden {
		t.Error("the new build still shows the update notice")
	}
	// The labelling project made offline outlives the update (IndexedDB is not a cache).
	p.openLabeller(t)
	var items []item
	defer func() {
		if t.Failed() {
			var saved []string
			var tabs []string
			p.eval(t, `window.clipStore.projects()`, &saved)
			p.eval(t, `Array.from(document.querySelectorAll("[data-testid=project-tab]")).map((e) => e.textContent)`, &tabs)
			t.Logf("labelling items %+v, error %q, tabs %q, saved %q", items, p.text(t, "label-error"), tabs, saved)
		}
	}()
	p.waitFor(t, "the project after the update", func() bool {
		items = p.items(t)
		return len(items) == 1 && items[0].File == "offline.png" && items[0].State == "accepted" && items[0].Thumb
	})
	p.checkClean(t)
}

// listenAgain listens on the address a stopped server had (the page's origin, and with
// it its service worker, is the address).
func listenAgain(addr string) (net.Listener, error) {
	var err error
	for range 50 {
		var ln net.Listener
		if ln, err = net.Listen("tcp", addr); err == nil {
			return ln, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil, err
}

// checkInstallable: Chromium parses the manifest without errors, finds the fields the
// issue asks for, and reports no installability error.
func (p *tab) checkInstallable(t *testing.T) {
	t.Helper()
	var (
		manifest   *page.WebAppManifest
		parseErrs  []*page.AppManifestError
		installErr []*page.InstallabilityError
	)
	p.run(t, chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		_, parseErrs, _, manifest, err = page.GetAppManifest().Do(ctx)
		if err != nil {
			return err
		}
		installErr, err = page.GetInstallabilityErrors().Do(ctx)
		return err
	}))
	for _, e := range parseErrs {
		t.Errorf("manifest: %s", e.Message)
	}
	for _, e := range installErr {
		t.Errorf("not installable: %s %v", e.ErrorID, e.ErrorArguments)
	}
	if manifest == nil || !strings.EqualFold(strings.TrimPrefix(manifest.Display, "k"), "standalone") || manifest.ID == "" || manifest.Scope == "" || manifest.StartURL == "" || len(manifest.Icons) != 3 {
		t.Errorf("manifest as Chromium read it: %+v", manifest)
	}
}
