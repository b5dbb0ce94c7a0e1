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
	// --loglevel=error rather than --silent: quiet on success, but a failure still says
	// why on stderr. npm resolves --pack-destination against its working directory: tmp
	// is absolute (see tempDir), so that is the same folder wherever npm runs.
	cmd := exec.Command("npm", "pack", "--loglevel=error", "--pack-destination", tmp, p.id())
	cmd.Dir = tmp
	if _, err := runTool(cmd); err != nil {
		if isNetworkError(err) {
			return "", fmt.Errorf("fetching %s: %w: %w", p.id(), err, ErrUnreachable)
		}
		return "", fmt.Errorf("fetching %s: %w", p.id(), err)
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
	download := func() error {
		// apt-get download writes into its working directory.
		cmd := exec.Command("apt-get", "download", "-q", p.Name+"="+p.Version)
		cmd.Dir = tmp
		_, err := runTool(cmd)
		return err
	}
	f.logf("fetch: apt-get download %s=%s", p.Name, p.Version)
	err = download()
	if err != nil && os.Geteuid() == 0 {
		f.mu.Lock()
		if !f.aptUpdated {
			f.aptUpdated = true
			f.logf("fetch: apt-get update (apt did not find %s)", p.id())
			if _, uerr := runTool(exec.Command("apt-get", "update", "-qq")); uerr != nil {
				f.logf("fetch: %v", uerr)
			}
		}
		f.mu.Unlock()
		err = download()
	}
	if err != nil {
		return "", fmt.Errorf("fetching %s (is apt-get update done, and is it Debian 12?): %w: %w", p.id(), err, ErrUnreachable)
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
	stdout, err := runTool(cmd)
	var info struct{ Dir, Sum, Error string }
	jerr := json.Unmarshal(stdout, &info)
	switch {
	case err != nil && info.Error != "":
		// go mod download -json says why a module failed in its JSON, not on stderr.
		err = fmt.Errorf("%w (%s)", err, info.Error)
	case err == nil && (jerr != nil || info.Error != ""):
		err = fmt.Errorf("%s: %s (output: %v)", strings.Join(cmd.Args, " "), info.Error, jerr)
	}
	if err != nil {
		return "", fmt.Errorf("fetching %s: %w: %w", m.id(), err, ErrUnreachable)
	}
	if info.Sum != m.Sum {
		return "", fmt.Errorf("go mod download %s: sum %s, want %s", m.id(), info.Sum, m.Sum)
	}
	return info.Dir, nil
}

// tempDir makes a temporary folder in dir and returns its absolute path. Absolute,
// because it is handed to tools that run in another working directory (npm pack runs
// in the folder it also gets as --pack-destination): a relative cache such as make
// data's .cache/corpus would otherwise name a folder inside itself.
func (f *Fetcher) tempDir(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(dir, ".tmp-")
	if err != nil {
		return "", err
	}
	return filepath.Abs(tmp)
}

// toolError is the failure of an external command (npm, apt-get, go, dpkg-deb): it
// names the command line, the folder it ran in, its exit status and what it said on
// stderr, so that the message tells what failed and why.
type toolError struct {
	Args   []string // the command line
	Dir    string   // its working directory; "" for ours
	Err    error    // the exit status (an *exec.ExitError), or why it did not start
	Stderr string   // the gist of its standard error (see stderrGist)
}

func (e *toolError) Error() string {
	msg := strings.Join(e.Args, " ")
	if e.Dir != "" {
		msg += " (in " + e.Dir + ")"
	}
	msg += ": " + e.Err.Error()
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	} else {
		msg += " (nothing on stderr)"
	}
	return msg
}

func (e *toolError) Unwrap() error { return e.Err }

// runTool runs cmd and returns its standard output; a failure is a *toolError.
func runTool(cmd *exec.Cmd) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), &toolError{Args: cmd.Args, Dir: cmd.Dir, Err: err, Stderr: stderrGist(stderr.Bytes())}
	}
	return stdout.Bytes(), nil
}

// stderrGist keeps the informative start of a tool's stderr on one line: npm, for
// one, writes a dozen lines (a stack trace, a pointer to its log file) after the few
// that say what went wrong.
func stderrGist(b []byte) string {
	const maxLines, maxLen = 6, 600
	var keep []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		rest := strings.TrimSpace(strings.TrimPrefix(l, "npm error"))
		if rest == "" || strings.HasPrefix(rest, "at ") || strings.HasPrefix(rest, "A complete log of this run") {
			continue
		}
		if keep = append(keep, l); len(keep) == maxLines {
			break
		}
	}
	s := strings.Join(keep, " | ")
	if len(s) > maxLen {
		s = s[:maxLen] + "…"
	}
	return s
}

// isNetworkError reports whether a failed tool said that it could not reach a server
// (npm's error codes, which are Node's). Only these count as ErrUnreachable, which tests
// skip on: any other failure, such as a wrong path, must fail them.
func isNetworkError(err error) bool {
	var te *toolError
	if !errors.As(err, &te) {
		return false
	}
	for _, code := range []string{"ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT",
		"ENETUNREACH", "EHOSTUNREACH", "ERR_SOCKET_TIMEOUT", "ESOCKETTIMEDOUT"} {
		if strings.Contains(te.Stderr, code) {
			return true
		}
	}
	return false
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
		werr = &toolError{Args: cmd.Args, Err: err, Stderr: stderrGist(stderr.Bytes())}
	}
	return werr
}
