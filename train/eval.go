package train

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/clip-go/clip/model"
)

// EvalSet is a labelled image set in the image-folder layout other tools use: one
// sub-folder per class, named by the class ("red_circle/001.png"; underscores read as
// spaces).
type EvalSet struct {
	Classes []string
	Paths   []string
	Labels  []int
}

// LoadEvalSet lists an image-folder evaluation set.
func LoadEvalSet(dir string) (*EvalSet, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("eval set: %w", err)
	}
	es := &EvalSet{}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		class := len(es.Classes)
		es.Classes = append(es.Classes, strings.ReplaceAll(e.Name(), "_", " "))
		var names []string
		for _, f := range files {
			if !f.IsDir() && !strings.HasPrefix(f.Name(), ".") {
				names = append(names, f.Name())
			}
		}
		sort.Strings(names)
		for _, n := range names {
			es.Paths = append(es.Paths, filepath.Join(dir, e.Name(), n))
			es.Labels = append(es.Labels, class)
		}
	}
	if len(es.Classes) < 2 || len(es.Paths) == 0 {
		return nil, fmt.Errorf("eval set %s: want at least two class folders with images", dir)
	}
	return es, nil
}

// ZeroShotAccuracy classifies every image of es against its class names with the
// templates and returns top-1 and top-5 accuracy. Unreadable images count as misses.
func ZeroShotAccuracy(m *model.Model, es *EvalSet, templates []string) (top1, top5 float64, err error) {
	clf, err := m.Classifier(es.Classes, templates, true)
	if err != nil {
		return 0, 0, err
	}
	feats, _, err := m.EncodeImageFiles(es.Paths)
	if err != nil {
		return 0, 0, err
	}
	var hit1, hit5 int
	for i, f := range feats {
		if f == nil {
			continue
		}
		for rank, p := range clf.Top(f, 5) {
			if p.Label == es.Classes[es.Labels[i]] {
				hit5++
				if rank == 0 {
					hit1++
				}
			}
		}
	}
	n := float64(len(es.Paths))
	return float64(hit1) / n, float64(hit5) / n, nil
}
