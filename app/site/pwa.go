package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// swFile is the service worker (web/sw.js); its line starting with buildLine is
// replaced by the build's description, which is how a new build reaches the browser: the
// worker's bytes change, the browser installs it, and the page offers a reload.
const (
	swFile    = "sw.js"
	buildLine = "const BUILD = "
)

// BuildInfo is what the service worker knows of a build: Hash names its app cache
// ("clip-app-" + Hash), Shell lists the files it precaches there, and Models maps each
// model file of the site to its SHA-256, so that the model cache, which no app update
// clears, keeps one copy per content.
type BuildInfo struct {
	Hash   string            `json:"hash"`
	Shell  []string          `json:"shell"`
	Models map[string]string `json:"models"`
}

// Describe hashes every file of a built site but the service worker and the
// precompressed copies (a host sends one in place of its file): the shell files
// (everything outside models/) and the models (models/*.safetensors, each with its own
// SHA-256). The build's hash covers all of them, names and bytes.
func Describe(dir string) (BuildInfo, error) {
	info := BuildInfo{Models: map[string]string{}}
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if rel = filepath.ToSlash(rel); rel != swFile && !precompressed(rel) {
			names = append(names, rel)
		}
		return nil
	})
	if err != nil {
		return info, err
	}
	sort.Strings(names)
	all := sha256.New()
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return info, err
		}
		sum := sha256.Sum256(b)
		fmt.Fprintf(all, "%s\x00%x\n", name, sum)
		if strings.HasPrefix(name, "models/") && path.Ext(name) == ".safetensors" {
			info.Models[name] = hex.EncodeToString(sum[:])
			continue
		}
		info.Shell = append(info.Shell, name)
	}
	info.Hash = hex.EncodeToString(all.Sum(nil))[:16]
	return info, nil
}

// WriteServiceWorker describes the site in dir and writes that description into its
// sw.js (copied there from web/). Run it last: any file changed after it is not in the
// hash. Writing it again after a change (a new default model) is how the site gets a
// new version.
func WriteServiceWorker(dir string) (BuildInfo, error) {
	info, err := Describe(dir)
	if err != nil {
		return info, err
	}
	file := filepath.Join(dir, swFile)
	src, err := os.ReadFile(file)
	if err != nil {
		return info, err
	}
	desc, err := json.Marshal(info)
	if err != nil {
		return info, err
	}
	var out bytes.Buffer
	found := false
	for _, line := range strings.SplitAfter(string(src), "\n") {
		if strings.HasPrefix(line, buildLine) {
			line, found = buildLine+string(desc)+";\n", true
		}
		out.WriteString(line)
	}
	if !found {
		return info, fmt.Errorf("%s has no line starting %q", file, buildLine)
	}
	return info, os.WriteFile(file, out.Bytes(), 0o644)
}
