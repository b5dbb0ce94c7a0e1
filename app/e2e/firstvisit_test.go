//go:build !js

package e2e

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clip-go/clip/app/site"
	"github.com/clip-go/clip/internal/samples"
)

// A network link with DevTools' numbers ("Fast 3G" is 1.6 Mbit/s down and 150 ms
// latency, scaled as DevTools does, to 90% and 3.75x). It is emulated at the server, not
// by Chromium's network emulation: that throttles the page's own requests only, not its
// workers' or its service worker's (measured: 36.8 MB in 39 s on "Fast 3G"), and those
// fetch the engine and the model.
type netProfile struct {
	name    string
	down    float64 // bytes per second, shared by every response
	latency time.Duration
}

var firstVisitNets = []netProfile{
	{"Fast 3G", 1.6e6 / 8 * 0.9, 562500 * time.Microsecond},
	{"10 Mbit/s", 10e6 / 8, 40 * time.Millisecond},
}

// throttle serves h over one link of n's speed: each response waits the latency, then
// its bytes take their turn on the link with every other response's, in the order
// written (a FIFO of 16 KiB chunks).
func throttle(h http.Handler, n netProfile) http.Handler {
	l := &link{perByte: time.Duration(float64(time.Second) / n.down)}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(n.latency)
		h.ServeHTTP(shapedWriter{w, l}, r)
	})
}

type link struct {
	mu      sync.Mutex
	free    time.Time // when the link has sent what it was given
	perByte time.Duration
}

// send waits until n more bytes have crossed the link.
func (l *link) send(n int) {
	l.mu.Lock()
	now := time.Now()
	if l.free.Before(now) {
		l.free = now
	}
	l.free = l.free.Add(time.Duration(n) * l.perByte)
	done := l.free
	l.mu.Unlock()
	time.Sleep(time.Until(done))
}

type shapedWriter struct {
	http.ResponseWriter
	l *link
}

func (w shapedWriter) Write(b []byte) (int, error) {
	sent := 0
	for len(b) > 0 {
		chunk := b[:min(len(b), 16<<10)]
		w.l.send(len(chunk))
		n, err := w.ResponseWriter.Write(chunk)
		sent += n
		if err != nil {
			return sent, err
		}
		b = b[n:]
	}
	return sent, nil
}

// BenchmarkFirstVisit (make bench-web-first; docs/web-app.md): a first visit to the
// site as make web builds it (the built-in model), over a throttled link, from opening
// the page to the first top-5: once from a host that sends files as they are (python's
// http.server, GitHub Pages for types it does not compress), once from one that sends
// the .gz files make web writes beside them (make serve, Caddy's precompressed, nginx's
// gzip_static). It reports seconds to the model ready and to the first top-5, and the
// bytes the server sent in all (the page, the engine's workers, the service worker's
// precache).
func BenchmarkFirstVisit(b *testing.B) {
	built := builtinBuild(b)
	dir := built.dir
	sm, err := samples.Load(filepath.Join("..", ".."))
	if err != nil {
		b.Fatal(err)
	}
	hosts := []struct {
		name string
		h    http.Handler
	}{
		{"as-is", http.FileServer(http.Dir(dir))},
		{"precompressed", site.Handler(dir)},
	}
	for _, n := range firstVisitNets {
		for _, h := range hosts {
			b.Run(strings.ReplaceAll(n.name, " ", "")+"/"+h.name, func(b *testing.B) {
				for range b.N {
					s := *built
					var sent atomic.Int64
					s.srv = httptest.NewServer(throttle(countBytes(h.h, &sent), n))
					ready, top5 := s.firstVisit(b, sm.Pictures[:1], sm.Labels)
					s.srv.Close()
					b.ReportMetric(ready.Seconds(), "s-to-ready")
					b.ReportMetric(top5.Seconds(), "s-to-top5")
					b.ReportMetric(float64(sent.Load())/1e6, "MB-sent")
					b.Logf("%s, %s: model ready in %.1f s, first top-5 in %.1f s, %.1f MB sent", n.name, h.name, ready.Seconds(), top5.Seconds(), float64(sent.Load())/1e6)
				}
			})
		}
	}
}

// firstVisit opens the site in a fresh browser and classifies imgs against
// labels, returning the times from navigation to the model ready and to the first card
// scored.
func (s *testSite) firstVisit(b *testing.B, imgs, labels []string) (ready, top5 time.Duration) {
	ctx, stop, err := startBrowser(b.Context(), s.chromium)
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	p := &tab{ctx: ctx, origin: s.srv.URL}
	start := time.Now()
	p.run(b, chromedp.Navigate(s.srv.URL+"/"))
	p.waitStatusFor(b, "ready", 15*time.Minute)
	ready = time.Since(start)
	p.pasteLabels(b, strings.Join(labels, "\n"))
	p.run(b, chromedp.SetUploadFiles("#images", imgs, chromedp.ByQuery))
	p.waitForLong(b, "the first top-5", 5*time.Minute, func() bool {
		cards := p.cards(b)
		return len(cards) > 0 && cards[0].State == "scored"
	})
	return ready, time.Since(start)
}
