package evaluate

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Data are labelled features: what probes fit and are measured on.
type Data struct {
	Vecs   [][]float32
	Labels []int
}

// Labelled returns the items of s that have features, with their labels.
func Labelled(s *Set, f *Features) Data {
	var d Data
	for i, v := range f.Vecs {
		if v != nil {
			d.Vecs = append(d.Vecs, v)
			d.Labels = append(d.Labels, s.Items[i].Label)
		}
	}
	return d
}

func (d Data) subset(idx []int) Data { return Data{pick(d.Vecs, idx), pick(d.Labels, idx)} }

// Split divides d into a training and a test part, per class, the share frac of each
// class (rounded, at least one and, for a class of two or more, never all) going to
// training. The same seed gives the same split, so a report can be reproduced.
func (d Data) Split(frac float64, classes int, seed uint64) (train, test Data, err error) {
	if !(frac > 0 && frac < 1) {
		return Data{}, Data{}, fmt.Errorf("split: the training share must be between 0 and 1, not %g", frac)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	var tr, te []int
	for _, idx := range d.byClass(classes) {
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		n := int(frac*float64(len(idx)) + 0.5)
		n = max(1, n)
		if len(idx) >= 2 {
			n = min(n, len(idx)-1)
		}
		n = min(n, len(idx))
		tr = append(tr, idx[:n]...)
		te = append(te, idx[n:]...)
	}
	slices.Sort(tr)
	slices.Sort(te)
	return d.subset(tr), d.subset(te), nil
}

// byClass lists each class's indices, in order.
func (d Data) byClass(classes int) [][]int {
	out := make([][]int, classes)
	for i, y := range d.Labels {
		out[y] = append(out[y], i)
	}
	return out
}

// Shots draws k examples of each class (all of a class with fewer; short counts those
// classes) with the random source rng.
func (d Data) Shots(k, classes int, rng *rand.Rand) (shots Data, short int) {
	var idx []int
	for _, c := range d.byClass(classes) {
		if len(c) == 0 {
			continue
		}
		if len(c) < k {
			short++
		}
		perm := rng.Perm(len(c))
		for _, j := range perm[:min(k, len(c))] {
			idx = append(idx, c[j])
		}
	}
	slices.Sort(idx)
	return d.subset(idx), short
}

// Align relabels test's items with train's class indices, matching classes by folder
// (or label) name, so that a probe fitted on one set can be measured on another. A test
// class the training set lacks is an error: the probe could never predict it.
func Align(train, test *Set) error {
	index := map[string]int{}
	for i, f := range train.Folders {
		index[f] = i
	}
	remap := make([]int, len(test.Folders))
	for i, f := range test.Folders {
		j, ok := index[f]
		if !ok {
			return fmt.Errorf("class %q of %s is not a class of %s", f, test.Source, train.Source)
		}
		remap[i] = j
	}
	for i := range test.Items {
		test.Items[i].Label = remap[test.Items[i].Label]
	}
	test.Classes, test.Folders = train.Classes, train.Folders
	return nil
}
