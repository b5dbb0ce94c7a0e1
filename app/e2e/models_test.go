//go:build !js

package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"

	"github.com/clip-go/clip/app/core"
	"github.com/clip-go/clip/model/zeroshot"
	"github.com/clip-go/clip/wasm/engine"
	"github.com/clip-go/clip/wasm/quanttest"
	"github.com/clip-go/clip/weights"
)

// hubServer serves float model folders in the model-hub layout on 127.0.0.1, on another
// origin than the site, with the CORS header a hub sends (except under /nocors/), and
// counts the requests.
type hubServer struct {
	*httptest.Server
	requests atomic.Int64
}

// newHubServer serves folders (repository path → folder) at /REPO/resolve/main/FILE;
// override replaces a file's bytes.
func newHubServer(t testing.TB, folders map[string]string, override map[string][]byte) *hubServer {
	h := &hubServer{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.requests.Add(1)
		if !strings.HasPrefix(r.URL.Path, "/nocors/") {
			w.Header().Set("Access-Control-Allow-Origin", "*")
		}
		if b, ok := override[r.URL.Path]; ok {
			w.Write(b)
			return
		}
		repo, file, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/resolve/main/")
		repo = strings.TrimPrefix(repo, "nocors/")
		dir, known := folders[repo]
		if !ok || !known || strings.Contains(file, "/") || strings.Contains(file, "..") {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, filepath.Join(dir, file))
	}))
	t.Cleanup(h.Close)
	return h
}

// clipQuantize runs the real `clip quantize` on a folder and returns the file it wrote.
func clipQuantize(t testing.TB, dir string, args ...string) []byte {
	t.Helper()
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "clip")
	build := exec.Command("go", "build", "-o", bin, "./cmd/clip")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/clip: %v\n%s", err, out)
	}
	out := filepath.Join(tmp, "q.safetensors")
	cmd := exec.Command(bin, append([]string{"quantize", "--model", dir, "--out", out}, args...)...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("clip quantize: %v\n%s", err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// storedFile reads a kept model's bytes back from the page's origin private file system.
func (p *tab) storedFile(t testing.TB, name string) []byte {
	t.Helper()
	var b64 string
	p.eval(t, `(async () => {
		const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle("models");
		const index = JSON.parse(await (await (await dir.getFileHandle("index.json")).getFile()).text());
		const m = index.find((x) => x.name === `+jsString(name)+`);
		if (!m) return "";
		const b = new Uint8Array(await (await (await dir.getFileHandle(m.id + ".safetensors")).getFile()).arrayBuffer());
		let s = "";
		for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode.apply(null, b.subarray(i, i + 0x8000));
		return btoa(s); })()`, &b64)
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// loadURL types a URL into the model box and clicks the load button.
func (p *tab) loadURL(t testing.TB, url string) {
	t.Helper()
	p.eval(t, `(() => { const el = document.querySelector("[data-testid=model-url]"); el.value = `+jsString(url)+`;
		el.dispatchEvent(new Event("input", {bubbles: true})); return true; })()`, nil)
	p.run(t, chromedp.Click("[data-testid=load-url]", chromedp.ByQuery))
}

func (p *tab) storedNames(t testing.TB) []string {
	var names []string
	p.eval(t, `Array.from(document.querySelectorAll("[data-testid=stored-model] .stored-name")).map((e) => e.textContent)`, &names)
	return names
}

// TestPageQuantizesFromURL: a float model (BF16) served in the hub layout by a local
// server loads by URL: the page streams it through the worker's quantizer, and the file
// it keeps in OPFS is byte-for-byte what `clip quantize` writes for the same folder;
// the model classifies like the engine with that file. A preset only fills the box. A
// truncated download, a file that is not a CLIP model and a server without CORS each
// get their message while the model stays in use, and are not kept. After a reload the
// kept model is listed and loaded again without a request to the server.
func TestPageQuantizesFromURL(t *testing.T) {
	s := newSite(t)
	dir := t.TempDir()
	quanttest.HubFolder(t, dir, quanttest.TinyConfig, 21, weights.BF16)
	want := clipQuantize(t, dir)
	data, _ := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	other := weights.NewFile()
	other.Tensors["bert.embeddings.word_embeddings.weight"] = weights.FromFloat32s([]int{4, 8}, make([]float32, 32))
	var otherBytes bytes.Buffer
	weights.Write(&otherBytes, other)
	hub := newHubServer(t, map[string]string{"org/tiny-clip": dir, "org/truncated": dir, "org/bert": dir}, map[string][]byte{
		"/org/truncated/resolve/main/model.safetensors": data[:len(data)*2/3],
		"/org/bert/resolve/main/model.safetensors":      otherBytes.Bytes(),
	})

	p := s.open(t, "/")
	p.waitStatus(t, "ready")
	p.run(t, chromedp.Click("details.model-picker summary", chromedp.ByQuery))
	// A preset fills the URL box and fetches nothing.
	p.run(t, chromedp.Click(".presets button.preset", chromedp.ByQuery))
	var box string
	p.eval(t, `document.querySelector("[data-testid=model-url]").value`, &box)
	if box != core.Presets[0].URL() || hub.requests.Load() != 0 {
		t.Errorf("after the preset: URL box %q, %d requests", box, hub.requests.Load())
	}

	p.loadURL(t, hub.URL+"/org/tiny-clip/resolve/main/")
	status := p.waitStatus(t, "org/tiny-clip: ready")
	if !strings.Contains(status, "int8") || strings.Contains(status, "error") {
		t.Errorf("status %q", status)
	}
	got := p.storedFile(t, "org/tiny-clip")
	if !bytes.Equal(got, want) {
		t.Fatalf("the page kept %d bytes; clip quantize wrote %d, and they differ", len(got), len(want))
	}
	t.Logf("quantized in the page and kept: %d bytes, equal to clip quantize's file", len(got))
	m, err := engine.Load(bytes.Clone(want), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	img := s.images(t, map[string][]byte{"e.png": quanttest.PNG(t, 40, 30, 5)}, "e.png")
	labels := []string{"sun", "sea", "tree"}
	p.classifyLike(t, m, img, labels)
	clip7, _ := zeroshot.TemplateSet(zeroshot.DefaultTemplateSet)

	for _, c := range []struct{ path, want string }{
		{"/org/truncated/resolve/main/", "truncated"},
		{"/org/bert/resolve/main/", "not a CLIP model"},
		{"/nocors/org/tiny-clip/resolve/main/", "CORS"},
		{"/org/missing/resolve/main/", "no config.json"},
	} {
		p.loadURL(t, hub.URL+c.path)
		var status string
		p.waitFor(t, "the error for "+c.path, func() bool {
			p.eval(t, `document.querySelector("[data-testid=status]").textContent`, &status)
			return strings.Contains(status, "error") && strings.Contains(status, "ready")
		})
		if !strings.Contains(status, c.want) || !strings.Contains(status, "still using org/tiny-clip") {
			t.Errorf("%s: status %q, want %q and the model still in use", c.path, status, c.want)
		}
	}
	labels = []string{"sun", "sea"}
	p.pasteLabels(t, strings.Join(labels, "\n"))
	native{m}.check(t, p.waitCards(t, 1, labels), img, labels, clip7)
	if names := p.storedNames(t); len(names) != 1 || !strings.HasPrefix(names[0], "org/tiny-clip · ") || !strings.HasSuffix(names[0], "int8") {
		t.Errorf("kept models %q, want only org/tiny-clip", names)
	}
	p.screenshot(t, "models-1280x800.png", 1280, 800)

	// The next visit: the kept model is used again, from storage.
	before := hub.requests.Load()
	p.run(t, chromedp.Reload())
	p.waitStatus(t, "org/tiny-clip: ready")
	if n := hub.requests.Load() - before; n != 0 {
		t.Errorf("the reload made %d requests to the model's server", n)
	}
	p.waitFor(t, "the kept model's row", func() bool { return len(p.storedNames(t)) == 1 })
	p.classifyLike(t, m, img, labels)

	// That load verified the kept file and recorded its SHA-256 and checksum; the next
	// one checks the file with the browser's SHA-256 instead, and a file changed since
	// is refused as damaged.
	var entry struct{ SHA256, Checksum string }
	p.eval(t, `(async () => {
		const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle("models");
		const index = JSON.parse(await (await (await dir.getFileHandle("index.json")).getFile()).text());
		const m = index.find((x) => x.name === "org/tiny-clip") || {};
		return {sha256: m.sha256 || "", checksum: m.checksum || ""}; })()`, &entry)
	sum := sha256.Sum256(want)
	if entry.SHA256 != hex.EncodeToString(sum[:]) || entry.Checksum != m.ID() {
		t.Errorf("the kept model's index entry records %+v, want the file's SHA-256 %x and checksum %s", entry, sum, m.ID())
	}
	p.run(t, chromedp.Reload())
	p.waitStatus(t, "org/tiny-clip: ready")
	p.classifyLike(t, m, img, labels)
	p.eval(t, `(async () => {
		const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle("models");
		const index = JSON.parse(await (await (await dir.getFileHandle("index.json")).getFile()).text());
		const fh = await dir.getFileHandle(index.find((x) => x.name === "org/tiny-clip").id + ".safetensors");
		const f = await fh.getFile();
		const last = new Uint8Array(await f.slice(f.size - 1).arrayBuffer())[0];
		const w = await fh.createWritable({keepExistingData: true});
		await w.write({type: "write", position: f.size - 1, data: new Uint8Array([last ^ 1])});
		await w.close();
		return true; })()`, nil)
	p.run(t, chromedp.Reload())
	if status := p.waitStatus(t, "error"); !strings.Contains(status, "damaged") || !strings.Contains(status, "when kept") {
		t.Errorf("a kept model changed since it was kept: status %q, want it refused by its recorded SHA-256", status)
	}

	// Removing it empties the list.
	p.run(t, chromedp.Click("details.model-picker summary", chromedp.ByQuery),
		chromedp.Click("[data-testid=remove-stored]", chromedp.ByQuery))
	p.waitFor(t, "the list to empty", func() bool { return len(p.storedNames(t)) == 0 })
	p.checkClean(t)
}

// TestPageQuantizesWith7BitActivations: with "int8, 7-bit activations" chosen, a model
// loaded by URL is kept byte for byte as `clip quantize --act-bits 7` writes it, runs on
// the relaxed SIMD kernel (Chromium has relaxed SIMD), says so in the status line, and
// classifies like the native engine with that file.
func TestPageQuantizesWith7BitActivations(t *testing.T) {
	s := newSite(t)
	dir := t.TempDir()
	quanttest.HubFolder(t, dir, quanttest.TinyConfig, 23, weights.F32)
	want := clipQuantize(t, dir, "--act-bits", "7")
	hub := newHubServer(t, map[string]string{"org/tiny-clip": dir}, nil)
	p := s.open(t, "/")
	p.waitStatus(t, "ready")
	p.run(t, chromedp.Click("details.model-picker summary", chromedp.ByQuery))
	p.eval(t, `(() => { const el = document.querySelector("#model-bits"); el.value = "8a7";
		el.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`, nil)
	p.loadURL(t, hub.URL+"/org/tiny-clip/resolve/main/")
	status := p.waitStatus(t, "org/tiny-clip: ready")
	if !strings.Contains(status, "int8, 7-bit activations") || !strings.Contains(status, "relaxed SIMD kernel") || strings.Contains(status, "error") {
		t.Errorf("status %q: want int8 with 7-bit activations on the relaxed SIMD kernel", status)
	}
	got := p.storedFile(t, "org/tiny-clip")
	if !bytes.Equal(got, want) {
		t.Fatalf("the page kept %d bytes; clip quantize --act-bits 7 wrote %d, and they differ", len(got), len(want))
	}
	m, err := engine.Load(bytes.Clone(want), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	img := s.images(t, map[string][]byte{"e.png": quanttest.PNG(t, 40, 30, 6)}, "e.png")
	p.classifyLike(t, m, img, []string{"sun", "sea", "tree"})
	p.checkClean(t)
}

// TestPageQuantizesDroppedFolderWithFullStorage: a float folder's files dropped on the
// page are quantized like a download (not taken as images); with the site's storage
// quota at 1 MB the model is not kept, the status line says so, and the model is used
// for the session.
func TestPageQuantizesDroppedFolderWithFullStorage(t *testing.T) {
	s := newSite(t)
	dir := t.TempDir()
	quanttest.HubFolder(t, dir, quanttest.TinyConfig, 22, weights.F16)
	p := s.open(t, "/")
	p.waitStatus(t, "ready")
	p.run(t, chromedp.ActionFunc(func(ctx context.Context) error {
		return storage.OverrideQuotaForOrigin(s.srv.URL).WithQuotaSize(1 << 20).Do(ctx)
	}))
	var files []string
	for _, name := range []string{"config.json", "model.safetensors", "vocab.json", "merges.txt", "preprocessor_config.json"} {
		files = append(files, filepath.Join(dir, name))
	}
	// A drop as the browser delivers it: the files (from an input outside the app, which
	// is how a test gets File objects) in a DataTransfer, dropped on the drop zone.
	p.eval(t, `(() => { const i = document.createElement("input"); i.type = "file"; i.multiple = true; i.id = "drop-source";
		document.body.appendChild(i); return true; })()`, nil)
	p.run(t, chromedp.SetUploadFiles("#drop-source", files, chromedp.ByQuery))
	p.eval(t, `(() => { const dt = new DataTransfer(); for (const f of document.querySelector("#drop-source").files) dt.items.add(f);
		const zone = document.querySelector("[data-testid=dropzone]");
		zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: dt, bubbles: true, cancelable: true}));
		zone.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true})); return true; })()`, nil)
	status := p.waitStatus(t, "local model: ready")
	if !strings.Contains(status, "storage is full") || !strings.Contains(status, "this session") {
		t.Errorf("status %q: want the full storage said", status)
	}
	m, err := engine.Load(clipQuantize(t, dir), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	img := s.images(t, map[string][]byte{"f.png": quanttest.PNG(t, 36, 30, 6)}, "f.png")
	labels := []string{"red", "green", "blue"}
	p.classifyLike(t, m, img, labels)
	if names := p.storedNames(t); len(names) != 0 {
		t.Errorf("kept models %q with a full storage", names)
	}
}

// classifyLike types labels, gives the page the image files img and checks the card
// against the engine with model m and the default templates (what the page uses with a
// model that is not the built-in one).
func (p *tab) classifyLike(t testing.TB, m *engine.Model, img, labels []string) {
	t.Helper()
	p.pasteLabels(t, strings.Join(labels, "\n"))
	p.run(t, chromedp.SetUploadFiles("#images", img, chromedp.ByQuery))
	clip7, _ := zeroshot.TemplateSet(zeroshot.DefaultTemplateSet)
	native{m}.check(t, p.waitCards(t, len(img), labels), img, labels, clip7)
}
