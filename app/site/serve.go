package site

import (
	"bytes"
	"compress/gzip"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// compressible lists the extensions worth gzipping: the wasm binaries shrink to about
// 40%; quantized weights barely shrink, but the float parts and metadata do a little.
var compressible = map[string]bool{".wasm": true, ".js": true, ".html": true, ".css": true, ".json": true, ".webmanifest": true, ".safetensors": true, ".svg": true}

// Handler serves a built site: application/wasm for .wasm (which streaming compilation
// requires), gzip for clients that accept it (the precompressed copy make web writes, or
// compressed once per file version and kept in memory), and no caching, so a rebuilt
// site is seen on reload.
func Handler(dir string) http.Handler {
	files := http.FileServer(http.Dir(dir))
	z := &gzipCache{m: map[string]gzEntry{}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		name := path.Clean("/" + r.URL.Path)
		if strings.HasSuffix(name, "/") {
			name += "index.html"
		}
		ext := path.Ext(name)
		if t := mime.TypeByExtension(ext); t != "" {
			h.Set("Content-Type", t)
		}
		switch ext {
		case ".wasm":
			h.Set("Content-Type", "application/wasm")
		case ".webmanifest":
			h.Set("Content-Type", "application/manifest+json")
		}
		if r.Method == http.MethodGet && compressible[ext] && acceptsGzip(r) && r.Header.Get("Range") == "" {
			if body, mod, ok := z.get(filepath.Join(dir, filepath.FromSlash(name))); ok {
				h.Set("Content-Encoding", "gzip")
				h.Add("Vary", "Accept-Encoding")
				http.ServeContent(w, r, name, mod, bytes.NewReader(body))
				return
			}
		}
		files.ServeHTTP(w, r)
	})
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		if strings.TrimSpace(strings.SplitN(part, ";", 2)[0]) == "gzip" {
			return true
		}
	}
	return false
}

type gzEntry struct {
	mod  time.Time
	size int64
	body []byte
}

type gzipCache struct {
	mu sync.Mutex
	m  map[string]gzEntry
}

// get returns the gzipped file: its precompressed copy (Precompress) where that is
// newer than the file, else the file compressed here if it is new or changed; ok is
// false for a missing file or a folder (the file server answers those).
func (c *gzipCache) get(file string) (body []byte, mod time.Time, ok bool) {
	st, err := os.Stat(file)
	if err != nil || st.IsDir() {
		return nil, time.Time{}, false
	}
	if freshCopy(file, st) {
		if body, err := os.ReadFile(file + ".gz"); err == nil {
			return body, st.ModTime(), true
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, hit := c.m[file]; hit && e.mod.Equal(st.ModTime()) && e.size == st.Size() {
		return e.body, e.mod, true
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, time.Time{}, false
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	zw.Write(raw)
	zw.Close()
	c.m[file] = gzEntry{st.ModTime(), st.Size(), buf.Bytes()}
	return buf.Bytes(), st.ModTime(), true
}
