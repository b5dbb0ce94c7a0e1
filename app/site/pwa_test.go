package site

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestWriteServiceWorker: the service worker's build line describes the site (shell
// files without the models or itself, each model with its SHA-256); writing it again
// changes nothing; changing any file, shell or model, changes the hash; a sw.js without
// the line is an error.
func TestWriteServiceWorker(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sw, err := os.ReadFile(filepath.Join(root, "web", "sw.js"))
	if err != nil {
		t.Fatal(err)
	}
	model := []byte("weights")
	files := map[string][]byte{
		"sw.js": sw, "index.html": []byte("<!doctype html>"), "app.wasm": []byte("\x00asm"),
		"models/m.safetensors": model, "models/default.json": []byte(`{"file":"models/m.safetensors"}`),
	}
	for name, b := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	info, err := WriteServiceWorker(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"app.wasm", "index.html", "models/default.json"}; !slices.Equal(info.Shell, want) {
		t.Errorf("shell %q, want %q", info.Shell, want)
	}
	sum := sha256.Sum256(model)
	if got := info.Models["models/m.safetensors"]; got != hex.EncodeToString(sum[:]) || len(info.Models) != 1 {
		t.Errorf("models %v", info.Models)
	}
	if len(info.Hash) != 16 {
		t.Errorf("hash %q", info.Hash)
	}
	written, _ := os.ReadFile(filepath.Join(dir, "sw.js"))
	if got := buildOf(t, written); got.Hash != info.Hash || !slices.Equal(got.Shell, info.Shell) {
		t.Errorf("sw.js describes %+v, want %+v", got, info)
	}
	again, err := WriteServiceWorker(dir)
	if err != nil || again.Hash != info.Hash {
		t.Errorf("written twice: hash %q then %q (%v)", info.Hash, again.Hash, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "sw.js")); string(b) != string(written) {
		t.Error("sw.js changed when written again")
	}
	for _, name := range []string{"index.html", "models/m.safetensors"} {
		os.WriteFile(filepath.Join(dir, name), []byte("changed"), 0o644)
		next, err := WriteServiceWorker(dir)
		if err != nil {
			t.Fatal(err)
		}
		if next.Hash == info.Hash {
			t.Errorf("changing %s left the hash %s", name, next.Hash)
		}
		info = next
	}
	os.WriteFile(filepath.Join(dir, "sw.js"), []byte("self.addEventListener('fetch', () => {});\n"), 0o644)
	if _, err := WriteServiceWorker(dir); err == nil || !strings.Contains(err.Error(), buildLine) {
		t.Errorf("sw.js without the build line: %v", err)
	}
}

func buildOf(t *testing.T, sw []byte) BuildInfo {
	t.Helper()
	for _, line := range strings.Split(string(sw), "\n") {
		if rest, ok := strings.CutPrefix(line, buildLine); ok {
			var info BuildInfo
			if err := json.Unmarshal([]byte(strings.TrimSuffix(rest, ";")), &info); err != nil {
				t.Fatalf("build line %q: %v", line, err)
			}
			return info
		}
	}
	t.Fatal("no build line")
	return BuildInfo{}
}

// TestManifest: web/manifest.webmanifest has what the browser's install criteria and the
// issue ask for, and names exactly the icons WriteIcons draws, at their sizes.
func TestManifest(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "web", "manifest.webmanifest"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Name, ShortName, ID, StartURL, Scope, Display, ThemeColor string
		Icons                                                     []struct{ Src, Sizes, Type, Purpose string }
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	field := func(k string, dst *string) { json.Unmarshal(raw[k], dst) }
	field("name", &m.Name)
	field("short_name", &m.ShortName)
	field("id", &m.ID)
	field("start_url", &m.StartURL)
	field("scope", &m.Scope)
	field("display", &m.Display)
	field("theme_color", &m.ThemeColor)
	json.Unmarshal(raw["icons"], &m.Icons)
	if m.Name == "" || m.ShortName == "" || m.ID == "" || m.StartURL == "" || m.Scope == "" || m.Display != "standalone" || m.ThemeColor != "#2f6fde" {
		t.Errorf("manifest fields: %+v", m)
	}
	if len(m.Icons) != len(icons) {
		t.Fatalf("%d icons in the manifest, %d drawn", len(m.Icons), len(icons))
	}
	for i, ic := range icons {
		got := m.Icons[i]
		size := strings.Repeat(strconv.Itoa(ic.size)+"x", 2)
		purpose := map[bool]string{false: "any", true: "maskable"}[ic.maskable]
		if got.Src != ic.name || got.Sizes+"x" != size || got.Type != "image/png" || got.Purpose != purpose {
			t.Errorf("icon %d: %+v, want %s %s %s", i, got, ic.name, strings.TrimSuffix(size, "x"), purpose)
		}
	}
}
