package model

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // the pure-Go backend, available everywhere
)

// DefaultBackend is the pure-Go backend with its op scheduling chosen explicitly: in its
// default mode the Go backend may run ops in parallel on a worker pool that the ops
// themselves also wait on, which can deadlock on a 2-core machine. Sequential ops still
// parallelise inside the heavy ops (matrix products).
const DefaultBackend = "go:ops_sequential"

// NewBackend returns the compute backend for spec ("go", "go:ops_parallel", "xla:cuda", ...).
// An empty spec takes $GOMLX_BACKEND, then DefaultBackend. A bare "go" gets the explicit
// sequential op mode.
func NewBackend(spec string) (compute.Backend, error) {
	if err := CheckBackend(spec); err != nil {
		return nil, err
	}
	spec, _ = resolveSpec(spec)
	var b compute.Backend
	err := catch(func() error {
		var err error
		b, err = compute.NewWithConfig(spec)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("backend %q: %w", spec, err)
	}
	return b, nil
}

// ErrUnknownBackend is the error of a backend name that this binary does not have.
var ErrUnknownBackend = errors.New("unknown backend")

// BackendNames are the backends of this binary as a user types them: "go", and
// "xla:cpu" and "xla:cuda" where XLA is built in. (compute.List has registry names
// such as "xla" or "stablehlo", which need a plugin after the colon.)
func BackendNames() []string {
	names := []string{"go"}
	if slices.Contains(compute.List(), "xla") {
		names = append(names, "xla:cpu", "xla:cuda")
	}
	return names
}

// CheckBackend reports, without creating it, whether spec (as for NewBackend) names a
// backend built into this binary; the error wraps ErrUnknownBackend.
func CheckBackend(spec string) error {
	full, name := resolveSpec(spec)
	if slices.Contains(compute.List(), name) {
		return nil
	}
	from := ""
	if spec == "" {
		from = " (from $" + compute.ConfigEnvVar + ")"
	}
	return fmt.Errorf("%w %q%s: this binary has %s", ErrUnknownBackend, full, from, strings.Join(BackendNames(), ", "))
}

// ResolveBackend is the backend NewBackend(spec) creates, spelt out ("go:ops_sequential"
// for "" or "go"), with its registry name ("go", "xla").
func ResolveBackend(spec string) (full, name string) { return resolveSpec(spec) }

// resolveSpec applies NewBackend's defaults to spec and returns it with its backend name.
func resolveSpec(spec string) (full, name string) {
	if spec == "" {
		spec = os.Getenv(compute.ConfigEnvVar)
	}
	if spec == "" || spec == "go" {
		spec = DefaultBackend
	}
	name, _, _ = strings.Cut(spec, ":")
	return spec, name
}

// BuildNote returns a warning for a binary that will run the pure-Go backend (spec as for
// NewBackend) on amd64 without its SIMD matrix products, "" otherwise. They need
// GOEXPERIMENT=simd at build time (the Makefile sets it); `go install` or `go build`
// without it gives a binary that trains and runs float models several times slower
// (about 7× for a training step of the small model: 2.9 against 20 samples/s), with no
// other sign of it.
func BuildNote(spec string) string {
	return buildNote(spec, runtime.GOARCH, simdKernels)
}

func buildNote(spec, arch string, simd bool) string {
	if _, name := resolveSpec(spec); simd || arch != "amd64" || name != "go" {
		return ""
	}
	return "note: this binary was built without GOEXPERIMENT=simd, so the pure-Go backend multiplies " +
		"matrices without SIMD (several times slower); rebuild with `make build` or " +
		"`GOEXPERIMENT=simd go build ./cmd/clip`"
}

// catch runs fn and turns a panic into an error: GoMLX reports graph-building errors by
// panicking, and no user input may crash the program.
func catch(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	return fn()
}

// CPUPluginFile is the file of XLA's CPU PJRT plugin (`clip xla-install --cpu`).
const CPUPluginFile = "pjrt_c_api_cpu_plugin.so"

// InstalledCPUPlugin finds XLA's CPU plugin where this binary has XLA: in a folder of
// $PJRT_PLUGIN_LIBRARY_PATH (spec "xla:cpu"), else where `clip xla-install --cpu` puts it
// by default, ~/.local/lib/go-xla/cpu (spec "xla:" and its path, since go-xla does not
// look there). It returns the spec and the file, or "" where there is none.
func InstalledCPUPlugin() (spec, file string) {
	if !slices.Contains(compute.List(), "xla") {
		return "", ""
	}
	for _, dir := range filepath.SplitList(os.Getenv("PJRT_PLUGIN_LIBRARY_PATH")) {
		if f := filepath.Join(dir, CPUPluginFile); dir != "" && isFile(f) {
			return "xla:cpu", f
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		if f := filepath.Join(home, ".local", "lib", "go-xla", "cpu", CPUPluginFile); isFile(f) {
			return "xla:" + f, f
		}
	}
	return "", ""
}

func isFile(name string) bool {
	st, err := os.Stat(name)
	return err == nil && st.Mode().IsRegular()
}

// OnCPU says whether b computes on the host's CPU: the Go backend, or XLA with its CPU
// plugin (named "xla:cpu", or given by the plugin's path).
func OnCPU(b compute.Backend) bool {
	d := b.Description()
	return b.Name() != "xla" || strings.HasPrefix(d, "xla:cpu") || strings.Contains(d, CPUPluginFile)
}
