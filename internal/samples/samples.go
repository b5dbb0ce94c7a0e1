// Package samples reads the demo's sample pictures (testdata/samples): the pictures, the
// label list make demo classifies them against, and each picture's true label, which is
// its file name. The built-in model's tests, make demo's test and the page's test share it.
package samples

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// Samples are the demo's pictures with their labels.
type Samples struct {
	Pictures []string // absolute paths, sorted
	Labels   []string // labels.txt, one per line, in order
	Want     []string // Pictures[i]'s true label ("night_with_stars.png": "night with stars")
}

// Load reads testdata/samples under the repository root root.
func Load(root string) (Samples, error) {
	dir, err := filepath.Abs(filepath.Join(root, "testdata", "samples"))
	if err != nil {
		return Samples{}, err
	}
	var s Samples
	if s.Pictures, err = filepath.Glob(filepath.Join(dir, "*.png")); err != nil {
		return s, err
	}
	if len(s.Pictures) == 0 {
		return s, errors.New(dir + ": no sample pictures")
	}
	for _, p := range s.Pictures {
		s.Want = append(s.Want, strings.ReplaceAll(strings.TrimSuffix(filepath.Base(p), ".png"), "_", " "))
	}
	data, err := os.ReadFile(filepath.Join(dir, "labels.txt"))
	if err != nil {
		return s, err
	}
	for _, l := range strings.Split(string(data), "\n") { // as clip classify --labels-file reads it
		if l = strings.TrimSpace(l); l != "" {
			s.Labels = append(s.Labels, l)
		}
	}
	return s, nil
}

// LabelsFile is the label list's path under root, for commands that take the file.
func LabelsFile(root string) string {
	return filepath.Join(root, "testdata", "samples", "labels.txt")
}
