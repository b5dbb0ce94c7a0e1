package model

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clip-go/clip/model/arch"
	"github.com/gomlx/compute"
)

// opsMode reads the Go backend's op scheduling mode (an exported field of an internal type).
func opsMode(t *testing.T, spec string) int64 {
	t.Helper()
	b, err := NewBackend(spec)
	if err != nil {
		t.Fatal(err)
	}
	f := reflect.ValueOf(b).Elem().FieldByName("OpsExecutionType")
	if !f.IsValid() {
		t.Fatalf("backend %T has no OpsExecutionType field: the Go backend changed", b)
	}
	return f.Int()
}

// TestBackendModeIsExplicit guards against the pure-Go backend's default ("dynamic") mode,
// which can deadlock on 2 cores: every way we create a Go backend picks a mode.
func TestBackendModeIsExplicit(t *testing.T) {
	const dynamic = 0 // gobackend.OpsExecutionDynamic
	t.Setenv("GOMLX_BACKEND", "")
	for _, spec := range []string{"", "go", DefaultBackend} {
		if m := opsMode(t, spec); m == dynamic {
			t.Errorf("NewBackend(%q): op mode is the default dynamic mode", spec)
		}
	}
	t.Setenv("GOMLX_BACKEND", "go")
	if m := opsMode(t, ""); m == dynamic {
		t.Errorf("GOMLX_BACKEND=go: op mode is the default dynamic mode")
	}
	if _, err := NewBackend("nosuch:thing"); err == nil {
		t.Errorf("unknown backend accepted")
	}
}

func TestCheckBackend(t *testing.T) {
	t.Setenv("GOMLX_BACKEND", "")
	names := BackendNames()
	if names[0] != "go" {
		t.Errorf("BackendNames() = %v, want go first", names)
	}
	for _, tc := range []struct {
		spec, env string
		want      string // in the error; "" for none
	}{
		{spec: "go"},
		{spec: ""},
		{spec: DefaultBackend},
		{spec: "cuda", want: `unknown backend "cuda": this binary has ` + strings.Join(names, ", ")},
		{spec: "nosuch:thing", want: `unknown backend "nosuch:thing"`},
		{env: "tpu", want: `unknown backend "tpu" (from $GOMLX_BACKEND)`},
	} {
		t.Setenv("GOMLX_BACKEND", tc.env)
		err := CheckBackend(tc.spec)
		if tc.want == "" {
			if err != nil {
				t.Errorf("CheckBackend(%q): %v", tc.spec, err)
			}
			continue
		}
		if !errors.Is(err, ErrUnknownBackend) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckBackend(%q) with $GOMLX_BACKEND=%q: %v, want ErrUnknownBackend mentioning %q", tc.spec, tc.env, err, tc.want)
		}
		if _, nerr := NewBackend(tc.spec); !errors.Is(nerr, ErrUnknownBackend) {
			t.Errorf("NewBackend(%q): %v, want ErrUnknownBackend", tc.spec, nerr)
		}
	}
}

// TestConcurrentEncodersFinish runs text and image encoders from several goroutines at
// once, the pattern that deadlocked the default mode, under a deadline.
func TestConcurrentEncodersFinish(t *testing.T) {
	cfg, _ := arch.Preset("tiny")
	b, err := NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(b, cfg, randomParams(cfg, 1))
	if err != nil {
		t.Fatal(err)
	}
	pixels := make([]float32, 4*3*32*32)
	done := make(chan struct{})
	go func() {
		var wg sync.WaitGroup
		for i := 0; i < 4; i++ {
			wg.Add(2)
			go func() { defer wg.Done(); m.EncodeTokens([][]int{{49406, 320, 49407}}) }()
			go func() { defer wg.Done(); m.EncodePixels(pixels, 4) }()
		}
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("encoders did not finish within 2 minutes: backend deadlock")
	}
}

// TestXLAWithoutPluginIsAClearError: asking for XLA (xla:cpu or xla:cuda) where no PJRT
// plugin is installed fails at once with an error, and downloads nothing: go-xla would
// otherwise fetch a CPU plugin from GitHub into ~/.local/lib/go-xla on its own
// (backend_xla.go turns that off, whatever $GOMLX_NO_AUTO_INSTALL says). go-xla reads
// $PJRT_PLUGIN_LIBRARY_PATH once, at start-up, and make test points it at the CPU plugin,
// so each case runs in a child process of this test binary: no plugin folder but an empty
// one, an empty HOME and cache, no GOMLX_NO_AUTO_INSTALL, and a proxy that counts requests.
func TestXLAWithoutPluginIsAClearError(t *testing.T) {
	if !slices.Contains(compute.List(), "xla") {
		t.Skip("built without XLA (-tags noxla)")
	}
	if spec := os.Getenv("CLIP_TEST_XLA_NO_PLUGIN"); spec != "" { // the child
		start := time.Now()
		b, err := NewBackend(spec)
		if err == nil {
			b.Finalize()
			t.Fatalf("%s: created without a plugin", spec)
		}
		if !strings.Contains(err.Error(), "xla") || time.Since(start) > 10*time.Second {
			t.Errorf("err = %v after %v", err, time.Since(start))
		}
		fmt.Printf("backend error: %v\n", err)
		return
	}
	var requests atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "no downloads in tests", http.StatusBadGateway)
	}))
	defer proxy.Close()
	for _, spec := range []string{"xla:cpu", "xla:cuda"} {
		home, cache := t.TempDir(), t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestXLAWithoutPluginIsAClearError$", "-test.v", "-test.count=1")
		for _, kv := range os.Environ() {
			if k, _, _ := strings.Cut(kv, "="); !slices.Contains([]string{"GOMLX_NO_AUTO_INSTALL", "GOMLX_BACKEND"}, k) {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, "CLIP_TEST_XLA_NO_PLUGIN="+spec, "PJRT_PLUGIN_LIBRARY_PATH="+t.TempDir(),
			"HOME="+home, "XDG_CACHE_HOME="+cache, "TMPDIR="+t.TempDir(),
			"HTTPS_PROXY="+proxy.URL, "HTTP_PROXY="+proxy.URL, "https_proxy="+proxy.URL, "http_proxy="+proxy.URL, "NO_PROXY=", "no_proxy=")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "backend error:") {
			t.Errorf("%s: %v\n%s", spec, err, out)
		}
		for _, dir := range []string{home, cache} {
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				t.Errorf("%s: wrote %s in %s", spec, entries[0].Name(), dir)
			}
		}
		t.Logf("%s: %s", spec, strings.TrimSpace(string(out)))
	}
	if n := requests.Load(); n > 0 {
		t.Errorf("%d HTTP requests through the proxy", n)
	}
}

// TestEveryArchActivationImplemented: arch accepts exactly what the model can run.
func TestEveryArchActivationImplemented(t *testing.T) {
	for _, act := range arch.Activations {
		if activations[act] == nil {
			t.Errorf("hidden_act %q is accepted by arch but not implemented", act)
		}
	}
}

// TestBuildNote: the note shows only for the Go backend on amd64 without the SIMD kernels.
func TestBuildNote(t *testing.T) {
	t.Setenv("GOMLX_BACKEND", "")
	for _, c := range []struct {
		spec, arch string
		simd, note bool
	}{
		{"", "amd64", false, true},
		{"go", "amd64", false, true},
		{"go:ops_sequential", "amd64", false, true},
		{"", "amd64", true, false},
		{"", "arm64", false, false},
		{"xla:cuda", "amd64", false, false},
	} {
		if got := buildNote(c.spec, c.arch, c.simd); (got != "") != c.note || c.note && !strings.Contains(got, "GOEXPERIMENT=simd") {
			t.Errorf("buildNote(%q, %s, simd=%v) = %q", c.spec, c.arch, c.simd, got)
		}
	}
	t.Setenv("GOMLX_BACKEND", "xla:cuda")
	if got := buildNote("", "amd64", false); got != "" {
		t.Errorf("with GOMLX_BACKEND=xla:cuda: %q", got)
	}
}

// TestInstalledCPUPlugin: XLA's CPU plugin is found in a folder of
// $PJRT_PLUGIN_LIBRARY_PATH ("xla:cpu"), else where `clip xla-install --cpu` puts it by
// default (its path as the spec), else not at all; a folder of that name is no plugin.
func TestInstalledCPUPlugin(t *testing.T) {
	if !slices.Contains(compute.List(), "xla") {
		t.Skip("built without XLA")
	}
	plugin := func(dir string) string {
		os.MkdirAll(dir, 0o755)
		f := filepath.Join(dir, CPUPluginFile)
		if err := os.WriteFile(f, []byte("not loaded"), 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	home, pjrt := t.TempDir(), t.TempDir()
	installed := plugin(filepath.Join(home, ".local", "lib", "go-xla", "cpu"))
	inPath := plugin(filepath.Join(pjrt, "b"))
	os.MkdirAll(filepath.Join(pjrt, "a", CPUPluginFile), 0o755) // a folder, not a plugin
	for _, c := range []struct {
		name, home, path, spec, file string
	}{
		{"on PJRT_PLUGIN_LIBRARY_PATH", home, filepath.Join(pjrt, "a") + string(filepath.ListSeparator) + filepath.Join(pjrt, "b"), "xla:cpu", inPath},
		{"installed by default", home, t.TempDir(), "xla:" + installed, installed},
		{"none", t.TempDir(), t.TempDir(), "", ""},
	} {
		t.Setenv("HOME", c.home)
		t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", c.path)
		if spec, file := InstalledCPUPlugin(); spec != c.spec || file != c.file {
			t.Errorf("%s: %q, %q; want %q, %q", c.name, spec, file, c.spec, c.file)
		}
	}
	b, err := NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	if !OnCPU(b) {
		t.Error("the Go backend is not on the CPU")
	}
}
