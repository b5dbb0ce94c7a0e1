package corpus

import (
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fakeNPM stands in for `npm pack`: like npm, it resolves --pack-destination against its
// working directory and fails with npm's exit status 254 and ENOENT when that folder does
// not exist. FAKE_NPM_FAIL=CODE makes it fail with that npm error code instead.
const fakeNPM = `#!/bin/sh
dest=.
while [ $# -gt 0 ]; do
	if [ "$1" = --pack-destination ]; then dest=$2; shift; fi
	shift
done
if [ -n "$FAKE_NPM_FAIL" ]; then
	echo "npm error code $FAKE_NPM_FAIL" >&2
	echo "npm error     at somewhere (node:internal)" >&2
	echo "npm error request to the registry failed, reason: $FAKE_NPM_FAIL" >&2
	exit 1
fi
if [ ! -d "$dest" ]; then
	echo "npm error code ENOENT" >&2
	echo "npm error path $PWD/$dest/$FAKE_NPM_NAME" >&2
	echo "npm error A complete log of this run can be found in: /dev/null" >&2
	exit 254
fi
cp "$FAKE_NPM_TGZ" "$dest/$FAKE_NPM_NAME"
echo "$FAKE_NPM_NAME"
`

// TestNPMCachePaths fetches into a relative cache, as make data does (.cache/corpus from
// the repository root), and an absolute one, through a stand-in for npm: no network.
func TestNPMCachePaths(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in for npm is a shell script")
	}
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "npm"), []byte(fakeNPM), 0o755); err != nil {
		t.Fatal(err)
	}
	tgz := filepath.Join(bin, "pkg.tgz")
	content := []byte("not really a tarball")
	if err := os.WriteFile(tgz, content, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha512.Sum512(content)
	pkg := NPM{"@scope/pkg", "1.2.3", "sha512-" + base64.StdEncoding.EncodeToString(sum[:])}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKE_NPM_TGZ", tgz)
	t.Setenv("FAKE_NPM_NAME", "scope-pkg-1.2.3.tgz")
	work := t.TempDir()
	t.Chdir(work)

	for _, tc := range []struct {
		name, cache string
		fail        string   // FAKE_NPM_FAIL
		want        []string // in the error; none: success
		unreachable bool     // the error is ErrUnreachable
	}{
		{name: "relative cache", cache: filepath.Join(".cache", "corpus")},
		{name: "absolute cache", cache: filepath.Join(work, "abs")},
		{name: "network error", cache: "net", fail: "ENOTFOUND",
			want: []string{"@scope/pkg@1.2.3", "npm pack", "exit status 1", "ENOTFOUND", "reason: ENOTFOUND"}, unreachable: true},
		{name: "other error", cache: "other", fail: "E404",
			want: []string{"npm pack", "exit status 1", "npm error code E404"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("FAKE_NPM_FAIL", tc.fail)
			f := &Fetcher{Cache: tc.cache}
			path, err := f.NPM(pkg)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if want := filepath.Join(tc.cache, "npm", "scope-pkg-1.2.3.tgz"); path != want {
					t.Errorf("path %q, want %q", path, want)
				}
				if b, err := os.ReadFile(path); err != nil || string(b) != string(content) {
					t.Errorf("cached file: %q, %v", b, err)
				}
				// No temporary folder is left behind.
				if left, _ := filepath.Glob(filepath.Join(tc.cache, "npm", ".tmp-*")); len(left) != 0 {
					t.Errorf("left behind: %v", left)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error (path %s)", path)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "at somewhere") || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q keeps the stack trace or several lines", err)
			}
			if got := errors.Is(err, ErrUnreachable); got != tc.unreachable {
				t.Errorf("errors.Is(err, ErrUnreachable) = %v, want %v (%v)", got, tc.unreachable, err)
			}
		})
	}
}

// TestNPMPackRelativeCache runs the real npm pack into a relative cache. Without npm, or
// without the registry, it skips, except under CI=true.
func TestNPMPackRelativeCache(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads a package")
	}
	if _, err := exec.LookPath("npm"); err != nil && os.Getenv("CI") != "true" {
		t.Skip("no npm")
	}
	t.Chdir(t.TempDir())
	f := &Fetcher{Cache: filepath.Join(".cache", "corpus")}
	path, err := f.NPM(pkgTabler) // one of the smallest of the corpus's packages (0.3 MB)
	if errors.Is(err, ErrUnreachable) && os.Getenv("CI") != "true" {
		t.Skipf("registry unreachable: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := checkIntegrity(path, pkgTabler.Integrity); err != nil {
		t.Error(err)
	}
}

func TestToolError(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses sh")
	}
	for _, tc := range []struct {
		name, script string
		want         string
	}{
		{"stderr", "echo out; echo first >&2; echo '    at frame' >&2; echo >&2; echo second >&2; exit 3",
			"sh -c echo out; echo first >&2; echo '    at frame' >&2; echo >&2; echo second >&2; exit 3: exit status 3: first | second"},
		{"silent", "exit 254", "sh -c exit 254: exit status 254 (nothing on stderr)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runTool(exec.Command("sh", "-c", tc.script))
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %q, want %q", err, tc.want)
			}
		})
	}
}
