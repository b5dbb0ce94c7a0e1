package e2e

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/clip-go/clip/app/site"
	"github.com/clip-go/clip/internal/samples"
	"github.com/clip-go/clip/model/zeroshot"
	"github.com/clip-go/clip/weights/defaultmodel"
)

// TestBuiltinModelInThePage: the site as `make web` builds it, with the built-in model and
// its template set, classifies the demo's sample pictures as the engine does with the same
// labels and templates (the pictures make demo and clip classify use); it logs the time
// from opening the page to the first top-5 and the bytes the page transferred, and takes
// the screenshots the README shows.
func TestBuiltinModelInThePage(t *testing.T) {
	s := builtinSite(t)
	sm, err := samples.Load(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	imgs, labels := sm.Pictures, sm.Labels

	opened := time.Now()
	p := s.open(t, "/")
	status := p.waitStatus(t, "ready")
	ready := time.Since(opened)
	if !strings.Contains(status, defaultmodel.Name) || !strings.Contains(status, "64 px (white margins trimmed)") {
		t.Errorf("status %q does not name the built-in model and its trimmed 64 px pictures", status)
	}
	p.pasteLabels(t, strings.Join(labels, "\n"))
	p.run(t, chromedp.SetUploadFiles("#images", imgs, chromedp.ByQuery))
	cards := p.waitCards(t, len(imgs), labels)
	p.mu.Lock()
	t.Logf("built-in model: page opened to model ready in %.2fs, to all %d cards scored in %.2fs; %.1f MB transferred by the page (gzip), "+
		"%.1f MB served in all (the page, its service worker's precache, the engine workers)",
		ready.Seconds(), len(imgs), time.Since(opened).Seconds(), float64(p.transferred)/1e6, float64(s.served.Load())/1e6)
	p.mu.Unlock()
	templates, _ := zeroshot.TemplateSet(defaultmodel.TemplateSet)
	s.native(t).check(t, cards, imgs, labels, templates)
	for i, c := range cards {
		if len(c.Preds) == 0 || c.Preds[0].Label != sm.Want[i] {
			t.Errorf("card %s: top-1 %v, want %q", c.Name, c.Preds, sm.Want[i])
		}
	}
	p.screenshot(t, "builtin-1280x800.png", 1280, 800)
	p.screenshot(t, "builtin-390x844.png", 390, 844)
}

// builtinSite is the test site's build (the same page and engine) with the models/ that
// make web writes: the built-in model, its name and template set.
func builtinSite(t *testing.T) *testSite {
	t.Helper()
	s := builtinBuild(t)
	s.served = new(atomic.Int64)
	s.srv = httptest.NewServer(countBytes(siteHandler(s.dir), s.served))
	t.Cleanup(s.srv.Close)
	return s
}

// builtinBuild is builtinSite's folder (the model's .gz copy included), not yet served.
func builtinBuild(t testing.TB) *testSite {
	t.Helper()
	base := newSite(t)
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(base.dir)); err != nil {
		t.Fatal(err)
	}
	o := site.Options{Out: dir}
	if err := site.UseBuiltinModel(&o, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if err := site.WriteModel(o); err != nil {
		t.Fatal(err)
	}
	s := *base
	s.dir, s.modelName = dir, filepath.Base(o.Model)
	s.modelPath = filepath.Join(dir, "models", s.modelName)
	s.srv = nil
	return &s
}

// countBytes adds the bytes of every response body h sends, as sent (compressed where
// the handler compresses), to n: what a first visit costs, whoever asked for it (the
// page, its service worker's precache, the engine workers).
func countBytes(h http.Handler, n *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(countingWriter{w, n}, r)
	})
}

type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w countingWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.n.Add(int64(n))
	return n, err
}
