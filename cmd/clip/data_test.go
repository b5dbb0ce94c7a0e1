package main

import (
	"strings"
	"testing"
)

// The corpus build itself is tested in train/corpus; here, the command line.
func TestDataCommandLine(t *testing.T) {
	for _, c := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"data"}, 2, "clip data build"},
		{[]string{"data", "fetch"}, 2, "clip data build"},
		{[]string{"data", "build"}, 2, "--out"},
		{[]string{"data", "build", "--out", t.TempDir(), "extra"}, 2, "--out"},
		{[]string{"data", "build", "--out", t.TempDir(), "--small", "--card", "x.md"}, 2, "full builds"},
	} {
		_, stderr, code := clip(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.stderr) {
			t.Errorf("clip %v: exit %d, stderr %q; want %d and %q", c.args, code, stderr, c.code, c.stderr)
		}
	}
	if out, _, code := clip(t, "data", "help"); code != 0 || !strings.Contains(out, "--small") {
		t.Errorf("clip data help: exit %d, %q", code, out)
	}
}
