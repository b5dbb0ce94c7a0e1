// Package site assembles the browser app into one static folder (what `make web` does)
// and serves such a folder (what `make serve` and the end-to-end tests do). The folder
// needs no server logic: any static host serves it.
package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"go/format"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/clip-go/clip/weights"
	"github.com/clip-go/clip/weights/defaultmodel"
)

// Options says what goes into the site.
type Options struct {
	Out   string // the folder to write (created; files in it are replaced)
	Root  string // the module's root (where go.mod is); default: found from the working directory
	Model string // the bundled default model, a quantized .safetensors; "" for none
	// ModelName is how the page names the default model (default: its file name), and
	// TemplateSet the built-in template set it uses with it ("": the CLI's default).
	ModelName, TemplateSet string
	SIMD                   string // the engine's SIMD kernel (clip-simd.wasm); "" for none (the portable kernel)
	Relaxed                string // its relaxed-SIMD int4 matmul (clip-simd-relaxed.wasm); "" for none
}

// Build generates the Vugu code, compiles the app and the engine to WebAssembly, and
// writes the site: the static files of web/ (index.html, styles, scripts, the web app
// manifest and the service worker), the icons, app.wasm, the worker (and its clip-models.js) and clip.wasm,
// clip-simd.wasm (and clip-simd-relaxed.wasm), Go's wasm_exec.js, vugu-render.js and the default model.
func Build(o Options) error {
	if o.Root == "" {
		root, err := ModuleRoot()
		if err != nil {
			return err
		}
		o.Root = root
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	if err := Generate(o.Root); err != nil {
		return err
	}
	for pkg, out := range map[string]string{"./app": "app.wasm", "./wasm/cmd/clipwasm": "clip.wasm"} {
		if err := goBuildWasm(o.Root, pkg, filepath.Join(o.Out, out)); err != nil {
			return err
		}
	}
	goroot, err := goEnv(o.Root, "GOROOT")
	if err != nil {
		return err
	}
	copies := map[string]string{
		"wasm_exec.js":   filepath.Join(goroot, "lib", "wasm", "wasm_exec.js"),
		"clip-worker.js": filepath.Join(o.Root, "wasm", "web", "clip-worker.js"),
		"clip-models.js": filepath.Join(o.Root, "wasm", "web", "clip-models.js"),
	}
	if o.SIMD != "" {
		copies["clip-simd.wasm"] = o.SIMD
	}
	if o.Relaxed != "" {
		copies["clip-simd-relaxed.wasm"] = o.Relaxed
	}
	static, err := filepath.Glob(filepath.Join(o.Root, "web", "*"))
	if err != nil {
		return err
	}
	for _, f := range static {
		copies[filepath.Base(f)] = f
	}
	for name, src := range copies {
		if err := copyFile(src, filepath.Join(o.Out, name)); err != nil {
			return err
		}
	}
	helper, err := vuguHelperScript(o.Root)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(o.Out, "vugu-render.js"), []byte(helper), 0o644); err != nil {
		return err
	}
	if err := WriteIcons(o.Out); err != nil {
		return err
	}
	return WriteModel(o) // last: it writes the service worker's description of the build
}

// UseBuiltinModel makes the built-in model (weights/defaultmodel) o's default model,
// with its name and template set, as clip uses it; its file is written into tmp.
func UseBuiltinModel(o *Options, tmp string) error {
	o.Model = filepath.Join(tmp, "model-int8.safetensors")
	o.ModelName, o.TemplateSet = defaultmodel.Name, defaultmodel.TemplateSet
	b, err := defaultmodel.Bytes()
	if err != nil {
		return fmt.Errorf("the built-in model %s: %w", defaultmodel.Name, err)
	}
	return os.WriteFile(o.Model, b, 0o644)
}

// WriteModel copies the default model under o.Out's models/ with the manifest the page
// reads (models/default.json); without a model it removes both, and the page asks for a
// file. Then it writes the service worker's description of the site (the build's hash),
// so that a site whose model changed is a new version.
func WriteModel(o Options) error {
	if err := writeModel(o); err != nil {
		return err
	}
	// A site without the service worker (web/sw.js) has nothing to describe.
	if _, err := os.Stat(filepath.Join(o.Out, swFile)); err == nil {
		if _, err := WriteServiceWorker(o.Out); err != nil {
			return err
		}
	}
	return Precompress(o.Out) // last: sw.js has just changed
}

func writeModel(o Options) error {
	out, model := o.Out, o.Model
	dir := filepath.Join(out, "models")
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if model == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	name := filepath.Base(model)
	data, err := os.ReadFile(model)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		return err
	}
	label := o.ModelName
	if label == "" {
		label = name
	}
	man := map[string]any{"name": label, "file": "models/" + name, "bytes": len(data), "templateSet": o.TemplateSet}
	// A quantized file's SHA-256 and recorded checksum: the page checks the download
	// against the first with the browser's own SHA-256 (SubtleCrypto, off the main thread)
	// and then tells the engine the second is verified, sparing its WebAssembly hash
	// (0.4 s of the built-in model's load). A file that is not one is left for the engine
	// to refuse.
	if qf, err := weights.ParseQuant(data); err == nil {
		sum := sha256.Sum256(data)
		man["sha256"], man["id"] = hex.EncodeToString(sum[:]), qf.Checksum
	}
	b, _ := json.Marshal(man)
	return os.WriteFile(filepath.Join(dir, "default.json"), b, 0o644)
}

// ModuleRoot is the folder of the go.mod that the working directory belongs to.
func ModuleRoot() (string, error) {
	mod, err := goEnv(".", "GOMOD")
	if err != nil {
		return "", err
	}
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the module")
	}
	return filepath.Dir(mod), nil
}

func goEnv(dir, name string) (string, error) {
	cmd := exec.Command("go", "env", name)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func goBuildWasm(root, pkg, out string) error {
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s", "-o", abs, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, msg)
	}
	return nil
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// Generate runs vugugen on app/ and marks the generated files js/wasm-only: vugugen
// writes them without a build constraint (vugu issue #330), and the app's own files
// have one, so on other platforms the package would not compile and `go vet ./...`
// would fail.
func Generate(root string) error {
	cmd := exec.Command("go", "tool", "vugugen", "-skip-go-mod", "-skip-main", "app")
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("vugugen: %v\n%s", err, msg)
	}
	return filepath.WalkDir(filepath.Join(root, "app"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_gen.go") {
			return err
		}
		return addBuildTag(path)
	})
}

const buildTag = "//go:build js && wasm\n\n"

// addBuildTag prepends the constraint and gofmts the file (vugugen's output is not), so
// that `gofmt -l` over a built tree stays quiet.
func addBuildTag(path string) error {
	b, err := os.ReadFile(path)
	if err != nil || bytes.HasPrefix(b, []byte(buildTag)) {
		return err
	}
	b = append([]byte(buildTag), b...)
	if f, err := format.Source(b); err == nil {
		b = f
	}
	return os.WriteFile(path, b, 0o644)
}
