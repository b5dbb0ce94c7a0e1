package corpus

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// ErrUnreachable marks a fetch that failed because a registry (or its client) could not
// be reached, as opposed to a digest mismatch: tests skip on it outside CI.
var ErrUnreachable = errors.New("registry unreachable")

// Fetcher downloads pinned packages through the registries' own clients (npm pack,
// apt-get download, go mod download) into a cache folder, checks their digests, and
// reuses what the cache already holds. Files enter the cache only once verified, by a
// rename from a temporary folder, so an interrupted fetch leaves nothing half-written.
type Fetcher struct {
	Cache string    // folder for npm/ and apt/; Go modules live in Go's module cache
	Log   io.Writer // progress lines; nil for none

	mu         sync.Mutex
	aptUpdated bool
}

func (f *Fetcher) logf(format string, args ...any) {
	if f.Log != nil {
		fmt.Fprintf(f.Log, format+"\n", args...)
	}
}

// NPM returns the path of the package's verified tarball, fetching it if needed.
func (f *Fetcher) NPM(p NPM) (string, error) {
	dir := filepath.Join(f.Cache, "npm")
	// npm pack's file name: the scope's "@" dropped and its "/" turned into "-".
	name := strings.ReplaceAll(strings.TrimPrefix(p.Name, "@"), "/", "-") + "-" + p.Version + ".tgz"
	path := filepath.Join(dir, name)
	if checkIntegrity(path, p.Integrity) == nil {
		return path, nil
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return "", fmt.Errorf("fetching %s: npm not found: %w", p.id(), ErrUnreachable)
	}
	tmp, err := f.tempDir(dir)
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	f.logf("fetch: npm pack %s", p.id())
	cmd := exec.Command("npm", "pack", "--silent", "--pack-destination", tmp, p.id())
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm pack %s: %v: %s: %w", p.id(), err, lastLine(out), ErrUnreachable)
	}
	got := filepath.Join(tmp, name)
	if err := checkIntegrity(got, p.Integrity); err != nil {
		return "", fmt.Errorf("npm pack %s: %w", p.id(), err)
	}
	return path, os.Rename(got, path)
}

// checkIntegrity compares a file with an npm integrity string (sha512 or sha256).
func checkIntegrity(path, integrity string) error {
	algo, want, ok := strings.Cut(integrity, "-")
	if !ok {
		return fmt.Errorf("bad integrity %q", integrity)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var sum []byte
	switch algo {
	case "sha512":
		s := sha512.Sum512(b)
		sum = s[:]
	case "sha256":
		s := sha256.Sum256(b)
		sum = s[:]
	default:
		return fmt.Errorf("unsupported integrity algorithm %q", algo)
	}
	if got := base64.StdEncoding.EncodeToString(sum); got != want {
		return fmt.Errorf("%s: integrity %s-%s, want %s", filepath.Base(path), algo, got, integrity)
	}
	return nil
}

// Deb returns the path of the package's verified .deb, fetching it with apt-get
// download if needed. When apt does not know the version (a fresh machine whose
// package lists were never downloaded) and we are root, it runs apt-get update once
// and tries again.
func (f *Fetcher) Deb(p Deb) (string, error) {
	dir := filepath.Join(f.Cache, "apt")
	path := filepath.Join(dir, p.Name+"_"+strings.ReplaceAll(p.Version, ":", "%3a")+".deb")
	if checkSHA256(path, p.SHA256) == nil {
		return path, nil
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return "", fmt.Errorf("fetching %s: apt-get not found (a Debian machine is needed): %w", p.id(), ErrUnreachable)
	}
	tmp, err := f.tempDir(dir)
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	download := func() ([]byte, error) {
		cmd := exec.Command("apt-get", "download", "-q", p.Name+"="+p.Version)
		cmd.Dir = tmp
		return cmd.CombinedOutput()
	}
	f.logf("fetch: apt-get download %s=%s", p.Name, p.Version)
	out, err := download()
	if err != nil && os.Geteuid() == 0 {
		f.mu.Lock()
		if !f.aptUpdated {
			f.aptUpdated = true
			f.logf("fetch: apt-get update (apt did not find %s)", p.id())
			if upd, uerr := exec.Command("apt-get", "update", "-qq").CombinedOutput(); uerr != nil {
				f.logf("fetch: apt-get update: %v: %s", uerr, lastLine(upd))
			}
		}
		f.mu.Unlock()
		out, err = download()
	}
	if err != nil {
		return "", fmt.Errorf("apt-get download %s=%s (is apt-get update done, and is it Debian 12?): %v: %s: %w",
			p.Name, p.Version, err, lastLine(out), ErrUnreachable)
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, "*.deb"))
	if len(debs) != 1 {
		return "", fmt.Errorf("apt-get download %s: expected one .deb, found %d", p.id(), len(debs))
	}
	if err := checkSHA256(debs[0], p.SHA256); err != nil {
		return "", fmt.Errorf("apt-get download %s: %w", p.id(), err)
	}
	return path, os.Rename(debs[0], path)
}

func checkSHA256(path, want string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := sha256.Sum256(b)
	if got := hex.EncodeToString(s[:]); got != want {
		return fmt.Errorf("%s: sha256 %s, want %s", filepath.Base(path), got, want)
	}
	return nil
}

// GoModule returns the folder of the module in Go's module cache, downloading it
// through the module proxy if needed. go checks the module against the checksum
// database; we also check it against the pinned hash.
func (f *Fetcher) GoModule(m GoModule) (string, error) {
	if _, err := exec.LookPath("go"); err != nil {
		return "", fmt.Errorf("fetching %s: go not found: %w", m.id(), ErrUnreachable)
	}
	f.logf("fetch: go mod download %s", m.id())
	cmd := exec.Command("go", "mod", "download", "-json", m.id())
	// Run outside any module (the cache may sit inside this repository), so the
	// project's go.mod and go.sum are not touched.
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GO111MODULE=on", "GOWORK=off")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var info struct{ Dir, Sum, Error string }
	if jerr := json.Unmarshal(stdout.Bytes(), &info); jerr != nil || info.Error != "" || err != nil {
		return "", fmt.Errorf("go mod download %s: %v %s %s: %w", m.id(), err, info.Error, lastLine(stderr.Bytes()), ErrUnreachable)
	}
	if info.Sum != m.Sum {
		return "", fmt.Errorf("go mod download %s: sum %s, want %s", m.id(), info.Sum, m.Sum)
	}
	return info.Dir, nil
}

func (f *Fetcher) tempDir(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return os.MkdirTemp(dir, ".tmp-")
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// walkTar calls fn for every regular file of a tar stream whose name want accepts,
// with the name cleaned of a leading "./" and strip, and the file's content.
func walkTar(r io.Reader, strip string, want func(string) bool, fn func(name string, data []byte) error) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		name := strings.TrimPrefix(strings.TrimPrefix(hdr.Name, "./"), strip)
		if !want(name) {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		if err := fn(name, data); err != nil {
			return err
		}
	}
}

// readTGZ walks an npm tarball; names are relative to its "package/" folder.
func readTGZ(path string, want func(string) bool, fn func(name string, data []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := walkTar(zr, "package/", want, fn); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// readTGZFiles returns the named files of an npm tarball; a missing one is an error.
func readTGZFiles(path string, names ...string) (map[string][]byte, error) {
	out := map[string][]byte{}
	wanted := map[string]bool{}
	for _, n := range names {
		wanted[n] = true
	}
	err := readTGZ(path, func(n string) bool { return wanted[n] }, func(n string, b []byte) error {
		out[n] = b
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if _, ok := out[n]; !ok {
			return nil, fmt.Errorf("%s: no %s in the package", filepath.Base(path), n)
		}
	}
	return out, nil
}

// readDeb walks the files of a .deb; names are absolute paths without the leading "/"
// ("usr/share/..."). Go has no xz decoder in its standard library, so dpkg-deb (always
// there where apt-get is) unpacks the data archive to a plain tar stream.
func readDeb(path string, want func(string) bool, fn func(name string, data []byte) error) error {
	cmd := exec.Command("dpkg-deb", "--fsys-tarfile", path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("dpkg-deb: %w", err)
	}
	werr := walkTar(stdout, "", want, fn)
	if werr != nil {
		_ = cmd.Process.Kill()
	}
	_, _ = io.Copy(io.Discard, stdout)
	if err := cmd.Wait(); err != nil && werr == nil {
		werr = fmt.Errorf("dpkg-deb %s: %v: %s", filepath.Base(path), err, lastLine(stderr.Bytes()))
	}
	return werr
}
