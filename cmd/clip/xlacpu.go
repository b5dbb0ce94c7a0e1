package main

// `clip xla-install --cpu`: XLA's CPU PJRT plugin, from a pinned PyPI wheel checked by
// sha256, with the standard library only (net/http, archive/zip). go-xla's installer
// package fetches its own CPU plugin from GitHub releases without a checksum, and its
// PyPI helpers read pypi.org's JSON without limits and print progress on stdout, so they
// are not used here. This file has no build constraint so that its tests run everywhere;
// the command itself is in xla.go (linux/amd64 builds with XLA) and xla_other.go.

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"time"
)

// pjrtWheel is a pinned PyPI wheel holding a PJRT plugin, and what to take from it.
type pjrtWheel struct {
	Package, Version string
	URL              string // the wheel's file on files.pythonhosted.org
	SHA256           string // of the whole wheel, checked before anything is unpacked
	Size             int64  // the wheel's size in bytes (for the message; the checksum decides)
	Plugin           string // the plugin's path in the wheel
	Licenses         []string
}

// cpuWheel is XLA's CPU PJRT plugin as lammps-jax-pjrt-cpu 0.11.2 packages it: built from
// XLA commit 91888df6ce85102c30220e41d952065925e10886 (the XLA of jaxlib 0.11.2),
// Apache-2.0, with the notices of the libraries linked into it (THIRD_PARTY_NOTICES),
// which are installed beside the plugin. The wheel is manylinux_2_27 x86_64 only. (The
// other CPU-only wheel on PyPI, xla-cpu-pjrt 0.0.1, ships no licence at all.) The URL is
// PyPI's permanent file address: no index is read, nothing is resolved at install time.
// Tests swap this variable for a wheel served by httptest.
var cpuWheel = pjrtWheel{
	Package: "lammps-jax-pjrt-cpu",
	Version: "0.11.2",
	URL: "https://files.pythonhosted.org/packages/e5/90/f04e5ea9e56f01965b4cd56bc3cf4801a563cd47b74d4ded5780f19c3a7c/" +
		"lammps_jax_pjrt_cpu-0.11.2-py3-none-manylinux_2_27_x86_64.whl",
	SHA256: "1319390d948b39f69f7dade496b7c385149d9ca6097a6b62114da113216d9ad1",
	Size:   62711338,
	Plugin: "lammps_jax_pjrt_cpu/pjrt_c_api_cpu_plugin.so",
	Licenses: []string{
		"lammps_jax_pjrt_cpu-0.11.2.dist-info/licenses/LICENSE",
		"lammps_jax_pjrt_cpu-0.11.2.dist-info/licenses/THIRD_PARTY_NOTICES",
	},
}

// What xla-install --cpu reads at most: the wheel is 62.7 MB, the plugin 201.6 MB unpacked
// and its licences 0.26 MB.
const (
	maxWheelBytes    = 100 << 20
	maxUnpackedBytes = 300 << 20
)

// cpuPluginHost is nil where the CPU plugin's wheel runs (linux/amd64), else why not.
func cpuPluginHost(goos, goarch string) error {
	if goos == "linux" && goarch == "amd64" {
		return nil
	}
	return fmt.Errorf("the CPU PJRT plugin (PyPI %s %s) is built for Linux on x86_64 only (manylinux_2_27_x86_64), and this host is %s/%s; "+
		"install it on a linux/amd64 host", cpuWheel.Package, cpuWheel.Version, goos, goarch)
}

// cpuInstall is what installCPUPlugin installed.
type cpuInstall struct {
	Dir      string   // DIR/go-xla/cpu
	Plugin   string   // DIR/go-xla/cpu/pjrt_c_api_cpu_plugin.so
	Licenses []string // beside it
}

// installCPUPlugin downloads w into a temporary file (at most maxWheelBytes), checks its
// sha256, and only then unpacks the plugin and its licences into dir/go-xla/cpu, each
// through a temporary file renamed into place, the plugin last: where the plugin is, the
// installation is complete. A wrong checksum or a missing member leaves dir untouched.
func installCPUPlugin(ctx context.Context, client *http.Client, w pjrtWheel, dir, goos, goarch string, progress io.Writer) (*cpuInstall, error) {
	if err := cpuPluginHost(goos, goarch); err != nil {
		return nil, err
	}
	dst, err := filepath.Abs(filepath.Join(dir, "go-xla", "cpu"))
	if err != nil {
		return nil, err
	}
	whl, err := os.CreateTemp("", "clip-xla-cpu-*.whl")
	if err != nil {
		return nil, err
	}
	defer func() {
		whl.Close()
		os.Remove(whl.Name())
	}()
	fmt.Fprintf(progress, "xla-install: downloading %s %s (%.1f MB) from %s\n", w.Package, w.Version, float64(w.Size)/1e6, w.URL)
	size, err := download(ctx, client, w, whl)
	if err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(whl, size)
	if err != nil {
		return nil, fmt.Errorf("%s %s: not a wheel (zip): %v", w.Package, w.Version, err)
	}
	// Every member first, so that a wheel lacking one writes nothing.
	var files []*zip.File
	var total uint64
	for _, name := range append(append([]string{}, w.Licenses...), w.Plugin) {
		f := member(zr, name)
		if f == nil {
			return nil, fmt.Errorf("%s %s: the wheel has no %s", w.Package, w.Version, name)
		}
		if !f.Mode().IsRegular() {
			return nil, fmt.Errorf("%s %s: %s is not a regular file in the wheel", w.Package, w.Version, name)
		}
		total += f.UncompressedSize64
		files = append(files, f)
	}
	if total > maxUnpackedBytes {
		return nil, fmt.Errorf("%s %s: its files unpack to %d bytes, over the %d MB limit", w.Package, w.Version, total, maxUnpackedBytes>>20)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return nil, err
	}
	inst := &cpuInstall{Dir: dst}
	for _, f := range files {
		mode := os.FileMode(0o644)
		if f.Name == w.Plugin {
			mode = 0o755
		}
		out := filepath.Join(dst, path.Base(f.Name))
		if err := unpack(f, out, mode); err != nil {
			return nil, fmt.Errorf("%s %s: unpacking %s: %w", w.Package, w.Version, f.Name, err)
		}
		if f.Name == w.Plugin {
			inst.Plugin = out
		} else {
			inst.Licenses = append(inst.Licenses, out)
		}
	}
	return inst, nil
}

// download writes w's file into to, hashing it on the way, and checks its sha256.
func download(ctx context.Context, client *http.Client, w pjrtWheel, to *os.File) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.URL, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("downloading %s %s: %w (no network? behind a proxy, set HTTPS_PROXY)", w.Package, w.Version, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("downloading %s %s from %s: %s", w.Package, w.Version, w.URL, resp.Status)
	}
	if resp.ContentLength > maxWheelBytes {
		return 0, fmt.Errorf("downloading %s %s: the server offers %d bytes, over the %d MB limit (the pinned wheel has %d)",
			w.Package, w.Version, resp.ContentLength, maxWheelBytes>>20, w.Size)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(to, h), io.LimitReader(resp.Body, maxWheelBytes+1))
	if err != nil {
		return 0, fmt.Errorf("downloading %s %s: %w", w.Package, w.Version, err)
	}
	if n > maxWheelBytes {
		return 0, fmt.Errorf("downloading %s %s: more than the %d MB limit (the pinned wheel has %d bytes)", w.Package, w.Version, maxWheelBytes>>20, w.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != w.SHA256 {
		return 0, fmt.Errorf("%s %s: sha256 mismatch: got %s (%d bytes), want %s (%d bytes); nothing was installed",
			w.Package, w.Version, got, n, w.SHA256, w.Size)
	}
	return n, nil
}

// member is the file called name in the wheel, or nil.
func member(zr *zip.Reader, name string) *zip.File {
	for _, f := range zr.File {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// unpack writes f to out through a temporary file in out's folder and a rename, reading no
// more than f says it holds (archive/zip also checks its CRC-32 and size).
func unpack(f *zip.File, out string, mode os.FileMode) (err error) {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(tmp, io.LimitReader(rc, int64(f.UncompressedSize64)+1))
	if err != nil {
		return err
	}
	if uint64(n) != f.UncompressedSize64 {
		return fmt.Errorf("%d bytes, the wheel's directory says %d", n, f.UncompressedSize64)
	}
	if err = tmp.Chmod(mode); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), out)
}

// downloadClient is the HTTP client of xla-install --cpu: the default transport (it
// honours HTTPS_PROXY, HTTP_PROXY and NO_PROXY), a minute for the server to answer, and
// 30 minutes for the whole wheel (63 MB: 2 minutes at 4 Mbit/s).
func downloadClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = time.Minute
	return &http.Client{Transport: t, Timeout: 30 * time.Minute}
}

// xlaInstallCPU is `clip xla-install --cpu [--dir DIR]` (DIR "" for ~/.local/lib): it
// installs the CPU plugin into DIR/go-xla/cpu and prints what it installed as JSON.
func xlaInstallCPU(dir string, stdout, stderr io.Writer) error {
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return err
		}
		dir = filepath.Join(home, ".local", "lib")
	}
	inst, err := installCPUPlugin(context.Background(), downloadClient(), cpuWheel, dir, runtime.GOOS, runtime.GOARCH, stderr)
	if err != nil {
		return err
	}
	return writeJSON(stdout, map[string]any{
		"plugin":   inst.Plugin,
		"licenses": inst.Licenses,
		"package":  cpuWheel.Package,
		"version":  cpuWheel.Version,
		"sha256":   cpuWheel.SHA256,
		"env":      "PJRT_PLUGIN_LIBRARY_PATH=" + inst.Dir,
		"use": "--backend xla:cpu (or GOMLX_BACKEND=xla:cpu) with PJRT_PLUGIN_LIBRARY_PATH=" + inst.Dir +
			": go-xla does not look in that folder by itself",
	})
}
