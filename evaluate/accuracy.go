package evaluate

import (
	"cmp"
	"slices"
)

// Accuracy is how well ranked predictions match the labels.
type Accuracy struct {
	Images       int     `json:"images"`
	Top1         float64 `json:"top1"`
	Top5         float64 `json:"top5"`
	MeanPerClass float64 `json:"mean_per_class"` // top-1 averaged over the classes with images
	// PerClass is each class's top-1 (NaN-free: classes without images are left out).
	PerClass []ClassAccuracy `json:"-"`
	// Confusions are the most frequent (true, predicted) pairs of wrong top-1s.
	Confusions []Confusion `json:"confusions,omitempty"`
}

// ClassAccuracy is one class's top-1.
type ClassAccuracy struct {
	Class  string  `json:"class"`
	Images int     `json:"images"`
	Top1   float64 `json:"top1"`
}

// Confusion is a count of images of class True predicted as Predicted.
type Confusion struct {
	True      string `json:"true"`
	Predicted string `json:"predicted"`
	Count     int    `json:"count"`
}

// maxConfusions is how many confusions a result keeps: the table's worth.
const maxConfusions = 10

// score measures predictions: ranked[i] is image i's classes, best first (at least the
// top 5 where there are 5 classes), labels[i] its true class.
func score(classes []string, labels []int, ranked [][]int) Accuracy {
	a := Accuracy{Images: len(labels)}
	if len(labels) == 0 {
		return a
	}
	hits := make([]int, len(classes))
	counts := make([]int, len(classes))
	confused := map[[2]int]int{}
	var top1, top5 int
	for i, r := range ranked {
		y := labels[i]
		counts[y]++
		if r[0] == y {
			top1++
			hits[y]++
		} else {
			confused[[2]int{y, r[0]}]++
		}
		if slices.Contains(r[:min(5, len(r))], y) {
			top5++
		}
	}
	n := float64(len(labels))
	a.Top1, a.Top5 = float64(top1)/n, float64(top5)/n
	var sum float64
	for c, k := range counts {
		if k == 0 {
			continue
		}
		acc := float64(hits[c]) / float64(k)
		a.PerClass = append(a.PerClass, ClassAccuracy{classes[c], k, acc})
		sum += acc
	}
	a.MeanPerClass = sum / float64(len(a.PerClass))
	for pair, k := range confused {
		a.Confusions = append(a.Confusions, Confusion{classes[pair[0]], classes[pair[1]], k})
	}
	// most frequent first; ties by name, so that output is the same run to run
	slices.SortFunc(a.Confusions, func(x, y Confusion) int {
		return cmp.Or(y.Count-x.Count, cmp.Compare(x.True, y.True), cmp.Compare(x.Predicted, y.Predicted))
	})
	a.Confusions = a.Confusions[:min(maxConfusions, len(a.Confusions))]
	return a
}

// rank returns the indices of scores, highest first (ties: lower index first).
func rank(scores []float64) []int {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(scores[b], scores[a]) })
	return idx
}
