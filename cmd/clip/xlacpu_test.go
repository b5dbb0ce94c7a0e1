package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeWheel is a small wheel laid out like cpuWheel's, with the members named in files
// (path -> contents) and, with raw, members whose directory entries say what raw says.
func fakeWheel(t *testing.T, files map[string]string, raw ...*zip.FileHeader) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(files[name]))
	}
	for _, h := range raw {
		w, err := zw.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("abc"))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// wheelFiles are the fake wheel's members: the plugin, the two licences and a file that
// must not be unpacked.
func wheelFiles(w pjrtWheel) map[string]string {
	return map[string]string{
		w.Plugin:                          "\x7fELF fake plugin",
		w.Licenses[0]:                     "Apache License 2.0",
		w.Licenses[1]:                     "notices of abseil, ducc0 (BSD-3-Clause), ...",
		"lammps_jax_pjrt_cpu/__init__.py": "PLUGIN_PATH = ...",
	}
}

// fakePyPI serves body at /packages/fake.whl (with the headers of hdr, if any) and counts
// the requests.
func fakePyPI(t *testing.T, body []byte, hdr map[string]string) (url string, hits *atomic.Int32) {
	t.Helper()
	hits = new(atomic.Int32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/packages/fake.whl" {
			http.NotFound(w, r)
			return
		}
		for k, v := range hdr {
			w.Header().Set(k, v)
		}
		if hdr["Content-Length"] != "" {
			return // claims more than it sends
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/packages/fake.whl", hits
}

// listDir lists the files under dir (relative), nil if dir does not exist.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// TestInstallCPUPlugin: xla-install --cpu against a fake PyPI: a good wheel installs the
// plugin and its licences in DIR/go-xla/cpu (and again over an earlier installation); a
// wrong checksum, a missing member, an oversized download or contents, a failed download
// and another platform are refused with a clear error, writing nothing (neither in DIR nor
// in the temporary folder).
func TestInstallCPUPlugin(t *testing.T) {
	pinned := cpuWheel
	files := wheelFiles(pinned)
	good := fakeWheel(t, files)
	noNotices := fakeWheel(t, map[string]string{pinned.Plugin: "x", pinned.Licenses[0]: "l"})
	huge := fakeWheel(t, map[string]string{pinned.Licenses[0]: "l", pinned.Licenses[1]: "n"},
		&zip.FileHeader{Name: pinned.Plugin, Method: zip.Store, CompressedSize64: 3, UncompressedSize64: 400 << 20})
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + closed.Addr().String() + "/packages/fake.whl"
	closed.Close()

	for _, tc := range []struct {
		name         string
		body         []byte
		sha          string // "" for the body's
		hdr          map[string]string
		url          string // "" for the fake server's
		goos, goarch string
		want         string // in the error; "" for success
		noRequest    bool
	}{
		{name: "good", body: good},
		{name: "wrong checksum", body: good, sha: strings.Repeat("0", 64), want: "sha256 mismatch"},
		{name: "missing member", body: noNotices, want: "the wheel has no " + pinned.Licenses[1]},
		{name: "not a zip", body: []byte("<html>captive portal</html>"), want: "not a wheel"},
		{name: "unpacks too big", body: huge, want: "over the 300 MB limit"},
		{name: "download too big", body: good, hdr: map[string]string{"Content-Length": "209715200"}, want: "over the 100 MB limit"},
		{name: "http error", body: good, url: "/missing.whl", want: "404 Not Found"},
		{name: "network down", body: good, url: closedURL, want: "downloading " + pinned.Package},
		{name: "macOS", body: good, goos: "darwin", goarch: "arm64", want: "x86_64 only", noRequest: true},
		{name: "linux arm64", body: good, goos: "linux", goarch: "arm64", want: "this host is linux/arm64", noRequest: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp) // where the wheel is downloaded: must be left empty
			dir := filepath.Join(t.TempDir(), "lib")
			url, hits := fakePyPI(t, tc.body, tc.hdr)
			w := pinned
			w.URL, w.SHA256 = url, sha256Hex(tc.body)
			if tc.sha != "" {
				w.SHA256 = tc.sha
			}
			if strings.HasPrefix(tc.url, "/") {
				w.URL = strings.TrimSuffix(url, "/packages/fake.whl") + tc.url
			} else if tc.url != "" {
				w.URL = tc.url
			}
			goos, goarch := "linux", "amd64"
			if tc.goos != "" {
				goos, goarch = tc.goos, tc.goarch
			}
			var progress bytes.Buffer
			inst, err := installCPUPlugin(context.Background(), downloadClient(), w, dir, goos, goarch, &progress)
			if left := listDir(t, tmp); len(left) > 0 {
				t.Errorf("left in the temporary folder: %v", left)
			}
			if tc.noRequest && hits.Load() != 0 {
				t.Errorf("%d requests, want none", hits.Load())
			}
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
				}
				t.Log(err)
				if got := listDir(t, dir); len(got) > 0 {
					t.Errorf("written despite the error: %v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			check := func() {
				t.Helper()
				cpuDir := filepath.Join(dir, "go-xla", "cpu")
				if inst.Dir != cpuDir || inst.Plugin != filepath.Join(cpuDir, "pjrt_c_api_cpu_plugin.so") || len(inst.Licenses) != 2 {
					t.Errorf("installed %+v", inst)
				}
				want := []string{"go-xla/cpu/LICENSE", "go-xla/cpu/THIRD_PARTY_NOTICES", "go-xla/cpu/pjrt_c_api_cpu_plugin.so"}
				if got := listDir(t, dir); !slices.Equal(got, want) {
					t.Errorf("files %v, want %v", got, want)
				}
				for member, path := range map[string]string{pinned.Plugin: inst.Plugin, pinned.Licenses[1]: inst.Licenses[1]} {
					if b, err := os.ReadFile(path); err != nil || string(b) != files[member] {
						t.Errorf("%s: %q, %v", path, b, err)
					}
				}
				if fi, err := os.Stat(inst.Plugin); err != nil || fi.Mode().Perm() != 0o755 {
					t.Errorf("plugin mode: %v, %v", fi.Mode(), err)
				}
			}
			check()
			if !strings.Contains(progress.String(), "downloading "+pinned.Package) {
				t.Errorf("progress: %q", progress.String())
			}
			// Again, over the first installation: the same three files, nothing left over.
			if inst, err = installCPUPlugin(context.Background(), downloadClient(), w, dir, goos, goarch, &progress); err != nil {
				t.Fatal(err)
			}
			check()
		})
	}
}

// TestXLAInstallCPUCommand: `clip xla-install --cpu --dir DIR` installs and prints the
// plugin's path and how to use it as JSON on a linux/amd64 host, says that the plugin is
// x86_64 only elsewhere, and takes no --version.
func TestXLAInstallCPUCommand(t *testing.T) {
	w := cpuWheel
	body := fakeWheel(t, wheelFiles(w))
	url, _ := fakePyPI(t, body, nil)
	w.URL, w.SHA256 = url, sha256Hex(body)
	saved := cpuWheel
	cpuWheel = w
	t.Cleanup(func() { cpuWheel = saved })
	t.Setenv("TMPDIR", t.TempDir())

	dir := t.TempDir()
	out, stderr, code := clip(t, "xla-install", "--cpu", "--dir", dir)
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		if code != 1 || !strings.Contains(stderr, "x86_64 only") {
			t.Errorf("on %s/%s: exit %d, stderr %q", runtime.GOOS, runtime.GOARCH, code, stderr)
		}
		return
	}
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var got struct{ Plugin, Version, Env, Use, SHA256 string }
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	cpuDir := filepath.Join(dir, "go-xla", "cpu")
	if got.Plugin != filepath.Join(cpuDir, "pjrt_c_api_cpu_plugin.so") || got.Version != w.Version ||
		got.Env != "PJRT_PLUGIN_LIBRARY_PATH="+cpuDir || !strings.Contains(got.Use, "--backend xla:cpu") || got.SHA256 != w.SHA256 {
		t.Errorf("printed %s", out)
	}
	if _, err := os.Stat(got.Plugin); err != nil {
		t.Error(err)
	}
	if _, stderr, code := clip(t, "xla-install", "--cpu", "--version", "0.12.0", "--dir", dir); code != 2 || !strings.Contains(stderr, "version") {
		t.Errorf("--cpu --version: exit %d, stderr %q", code, stderr)
	}
}
