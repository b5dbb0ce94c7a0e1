package site

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestPrecompress: a .gz copy beside each compressible file and none beside the
// others; each copy inflates to its file; a file changed later gets a new copy, a copy
// whose file is gone goes; the service worker's description ignores the copies; the
// site's handler sends the copy, with the file's type, to a client that takes gzip.
func TestPrecompress(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"index.html": "<!doctype html><p>hello</p>", "app.wasm": "\x00asm\x01\x00\x00\x00",
		"icon.png": "\x89PNG", "models/m.safetensors": "weights weights weights",
		"old.js.gz": "a copy whose file is gone",
	}
	for name, body := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := Precompress(dir); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		gz   bool
	}{{"index.html", true}, {"app.wasm", true}, {"models/m.safetensors", true}, {"icon.png", false}, {"old.js", false}} {
		got, err := gunzipFile(filepath.Join(dir, c.name+".gz"))
		if !c.gz {
			if !os.IsNotExist(err) {
				t.Errorf("%s.gz: want none, got %v", c.name, err)
			}
			continue
		}
		if err != nil || got != files[c.name] {
			t.Errorf("%s.gz inflates to %q (%v), want the file", c.name, got, err)
		}
	}

	// A changed file gets a new copy.
	later := time.Now().Add(2 * time.Second)
	os.WriteFile(filepath.Join(dir, "index.html"), []byte("<p>changed</p>"), 0o644)
	os.Chtimes(filepath.Join(dir, "index.html"), later, later)
	if err := Precompress(dir); err != nil {
		t.Fatal(err)
	}
	if got, _ := gunzipFile(filepath.Join(dir, "index.html.gz")); got != "<p>changed</p>" {
		t.Errorf("after a change index.html.gz inflates to %q", got)
	}

	info, err := Describe(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"app.wasm", "icon.png", "index.html"}; !slices.Equal(info.Shell, want) {
		t.Errorf("shell %q, want %q", info.Shell, want)
	}

	req := httptest.NewRequest("GET", "/app.wasm", nil)
	req.Header.Set("Accept-Encoding", "gzip, br")
	rec := httptest.NewRecorder()
	Handler(dir).ServeHTTP(rec, req)
	gz, _ := os.ReadFile(filepath.Join(dir, "app.wasm.gz"))
	if h := rec.Header(); rec.Code != http.StatusOK || h.Get("Content-Encoding") != "gzip" || h.Get("Content-Type") != "application/wasm" || !bytes.Equal(rec.Body.Bytes(), gz) {
		t.Errorf("GET /app.wasm with gzip: %d %v, %d bytes, want the precompressed copy", rec.Code, h, rec.Body.Len())
	}
}

func gunzipFile(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(zr)
	return string(b), err
}
