package model

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
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

// TestXLAWithoutPluginIsAClearError: asking for XLA where no PJRT plugin is installed
// fails at once with an error, and downloads nothing.
func TestXLAWithoutPluginIsAClearError(t *testing.T) {
	if !slices.Contains(compute.List(), "xla") {
		t.Skip("built without XLA (-tags noxla)")
	}
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", t.TempDir())
	t.Setenv("HOME", t.TempDir()) // no plugin in the user's default install folder either
	start := time.Now()
	_, err := NewBackend("xla:cuda")
	if err == nil {
		t.Skip("an XLA CUDA plugin is installed here")
	}
	if !strings.Contains(err.Error(), "xla") || time.Since(start) > 10*time.Second {
		t.Errorf("err = %v after %v", err, time.Since(start))
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
