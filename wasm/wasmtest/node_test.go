//go:build !js

package wasmtest

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/clip-go/clip/wasm/engine"
	"github.com/clip-go/clip/wasm/quanttest"
)

// BuildWasm compiles wasm/cmd/clipwasm once per test binary.
var buildWasm = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "clipwasm-")
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "clip.wasm")
	cmd := exec.Command("go", "build", "-o", out, "github.com/clip-go/clip/wasm/cmd/clipwasm")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", &buildError{string(b)}
	}
	return out, nil
})

type buildError struct{ out string }

func (e *buildError) Error() string { return "building clip.wasm: " + e.out }

// node returns the node binary, skipping the test when there is none.
func node(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not installed")
		}
		t.Skip("node is not installed")
	}
	return p
}

type nodeResult struct {
	Info struct {
		ID     string `json:"id"`
		Bits   int    `json:"bits"`
		Kernel string `json:"kernel"`
	} `json:"info"`
	Images   [][]float32 `json:"images"`
	Texts    [][]float32 `json:"texts"`
	Classify [][]struct {
		Label string  `json:"label"`
		Prob  float64 `json:"prob"`
	} `json:"classify"`
	ClassifyAgain [][]struct {
		Label string `json:"label"`
	} `json:"classifyAgain"`
	Bench map[string]float64 `json:"bench"`
	Error string             `json:"error"`
}

// runNode runs the request through the WebAssembly engine's JavaScript API in Node.
func runNode(t *testing.T, req map[string]any) nodeResult {
	t.Helper()
	nodeBin := node(t)
	wasm, err := buildWasm()
	if err != nil {
		t.Fatal(err)
	}
	reqFile := filepath.Join(t.TempDir(), "req.json")
	b, _ := json.Marshal(req)
	os.WriteFile(reqFile, b, 0o644)
	execJS := filepath.Join(runtime.GOROOT(), "lib", "wasm", "wasm_exec.js")
	out, err := exec.Command(nodeBin, "--stack-size=8192", "testdata/run-node.js", execJS, wasm, reqFile).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("node: %v %s", err, msg)
	}
	var res nodeResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("node printed %.200q: %v", out, err)
	}
	return res
}

// TestWasmMatchesNative: the WebAssembly engine in Node gives the native engine's
// embeddings (the kernels are bit-exact twins; the bound is the 1e-5), and its
// JavaScript API classifies, reuses its caches and reports bad input as errors.
func TestWasmMatchesNative(t *testing.T) {
	dir := t.TempDir()
	for _, bits := range []int{8, 4} {
		data := quanttest.Model(t, quanttest.TinyConfig, bits, 32, 5)
		modelPath := filepath.Join(dir, "model.safetensors")
		os.WriteFile(modelPath, data, 0o644)
		var images []string
		for i, size := range [][2]int{{40, 32}, {32, 64}, {200, 150}} {
			p := filepath.Join(dir, "img"+string(rune('a'+i))+".png")
			os.WriteFile(p, quanttest.PNG(t, size[0], size[1], uint64(i)), 0o644)
			images = append(images, p)
		}
		texts := []string{"a photo of a dog.", "A DIAGRAM", "an emoji of a grinning face"}
		labels := []string{"cat", "dog", "turtle"}
		res := runNode(t, map[string]any{"model": modelPath, "images": images, "texts": texts,
			"classify": map[string]any{"images": images, "labels": labels, "templates": []string{"a photo of a {}.", "art of the {}."}}})
		if res.Error != "" {
			t.Fatalf("int%d: %s", bits, res.Error)
		}
		native, err := engine.LoadFile(modelPath, engine.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Info.ID != native.ID() || res.Info.Bits != bits || res.Info.Kernel != "portable" {
			t.Errorf("info %+v", res.Info)
		}
		wantImg, _, err := native.EncodeImageFiles(images)
		if err != nil {
			t.Fatal(err)
		}
		wantTxt, err := native.EncodeTexts(texts, false)
		if err != nil {
			t.Fatal(err)
		}
		var worst float64
		for _, pair := range [][2][][]float32{{res.Images, wantImg}, {res.Texts, wantTxt}} {
			if len(pair[0]) != len(pair[1]) {
				t.Fatalf("%d embeddings from wasm, %d native", len(pair[0]), len(pair[1]))
			}
			for i := range pair[1] {
				for k := range pair[1][i] {
					worst = max(worst, math.Abs(float64(pair[0][i][k]-pair[1][i][k])))
				}
			}
		}
		t.Logf("int%d: largest difference wasm vs native (%s kernel): %g", bits, native.Kernel(), worst)
		if worst > 1e-5 {
			t.Errorf("int%d: wasm and native differ by %g", bits, worst)
		}
		clf, _ := native.Classifier(labels, []string{"a photo of a {}.", "art of the {}."}, false)
		for i := range images {
			want := clf.Top(wantImg[i], 2)
			got := res.Classify[i]
			if len(got) != 2 || got[0].Label != want[0].Label || math.Abs(got[0].Prob-want[0].Prob) > 1e-5 {
				t.Errorf("image %d: wasm classify %+v, native %+v", i, got, want)
			}
			if len(res.ClassifyAgain[i]) != 1 {
				t.Errorf("classify with embeddings: %+v", res.ClassifyAgain)
			}
		}
	}
}

// TestWasmBadInput: errors come back through the API; the engine survives them.
func TestWasmBadInput(t *testing.T) {
	dir := t.TempDir()
	data := quanttest.Model(t, quanttest.TinyConfig, 8, 32, 6)
	for _, c := range []struct {
		name  string
		data  []byte
		limit int
		want  string
	}{
		{"truncated", data[:len(data)/3], 0, "truncated"},
		{"tampered", flip(data, len(data)-77), 0, "checksum mismatch"},
		{"too large for the page", data, 8, "model too large"},
	} {
		p := filepath.Join(dir, c.name)
		os.WriteFile(p, c.data, 0o644)
		req := map[string]any{"model": p}
		if c.limit > 0 {
			req["maxMemoryMB"] = c.limit
		}
		res := runNode(t, req)
		if !strings.Contains(res.Error, c.want) {
			t.Errorf("%s: error %q, want %q", c.name, res.Error, c.want)
		}
	}
	p := filepath.Join(dir, "good")
	os.WriteFile(p, data, 0o644)
	bad := filepath.Join(dir, "notanimage.png")
	os.WriteFile(bad, []byte("hello"), 0o644)
	if res := runNode(t, map[string]any{"model": p, "images": []string{bad}}); !strings.Contains(res.Error, "image") {
		t.Errorf("bad image: %q", res.Error)
	}
}

func flip(b []byte, at int) []byte {
	b = append([]byte(nil), b...)
	b[at] ^= 1
	return b
}
