package train

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/clip-go/clip/model/zeroshot"
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

// Encoder is what zero-shot evaluation needs of a model (the float model and the
// quantized engine both are one).
type Encoder interface {
	zeroshot.TextEncoder
	EncodeImageFiles(paths []string) ([][]float32, []error, error)
}

// EvalResult is zero-shot accuracy on an eval set, with each image's top-1 label ("" for an
// image that did not load) and its margin: how far, in logits (scale·cosine), the top-1
// label is ahead of the runner-up (0 with one class or an image that did not load). A
// quantized model can only change the top-1 of an image whose margin is small.
type EvalResult struct {
	Top1, Top5 float64
	Predicted  []string
	Margin     []float64
}

// ZeroShot classifies every image of es against its class names with the templates.
// Unreadable images count as misses.
func ZeroShot(m Encoder, es *EvalSet, templates []string) (EvalResult, error) {
	clf, err := zeroshot.Build(m, es.Classes, templates, true)
	if err != nil {
		return EvalResult{}, err
	}
	feats, _, err := m.EncodeImageFiles(es.Paths)
	if err != nil {
		return EvalResult{}, err
	}
	res := EvalResult{Predicted: make([]string, len(es.Paths)), Margin: make([]float64, len(es.Paths))}
	var hit1, hit5 int
	for i, f := range feats {
		if f == nil {
			continue
		}
		top := clf.Top(f, 5)
		if len(top) > 1 && top[1].Prob > 0 {
			// softmax probabilities' log ratio is the logits' difference
			res.Margin[i] = math.Log(top[0].Prob / top[1].Prob)
		}
		for rank, p := range top {
			if rank == 0 {
				res.Predicted[i] = p.Label
			}
			if p.Label == es.Classes[es.Labels[i]] {
				hit5++
				if rank == 0 {
					hit1++
				}
			}
		}
	}
	n := float64(len(es.Paths))
	res.Top1, res.Top5 = float64(hit1)/n, float64(hit5)/n
	return res, nil
}
