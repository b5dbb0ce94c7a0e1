package evaluate

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// TestSplit: the split is per class, reproducible from its seed, and keeps a class of
// one image in training; a share outside (0, 1) is an error.
func TestSplit(t *testing.T) {
	d := Data{Labels: []int{0, 0, 0, 0, 1, 1, 1, 1, 2}}
	for i := range d.Labels {
		d.Vecs = append(d.Vecs, []float32{float32(i)})
	}
	tr, te, err := d.Split(0.5, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	count := func(x Data) []int {
		n := make([]int, 3)
		for _, y := range x.Labels {
			n[y]++
		}
		return n
	}
	if got := count(tr); !reflect.DeepEqual(got, []int{2, 2, 1}) {
		t.Errorf("training part per class %v, want [2 2 1]", got)
	}
	if got := count(te); !reflect.DeepEqual(got, []int{2, 2, 0}) {
		t.Errorf("test part per class %v, want [2 2 0]", got)
	}
	tr2, _, _ := d.Split(0.5, 3, 1)
	if !reflect.DeepEqual(tr, tr2) {
		t.Error("the same seed split differently")
	}
	for _, bad := range []float64{0, 1, -0.5} {
		if _, _, err := d.Split(bad, 3, 1); err == nil {
			t.Errorf("split %g: no error", bad)
		}
	}
	shots, short := d.Shots(3, 3, rand.New(rand.NewPCG(1, 1)))
	if got := count(shots); !reflect.DeepEqual(got, []int{3, 3, 1}) || short != 1 {
		t.Errorf("3 shots per class %v (%d short), want [3 3 1] (1 short)", got, short)
	}
}

// TestAlign: a test set's labels follow the training set's class order; a class the
// training set lacks is an error.
func TestAlign(t *testing.T) {
	train, _ := Load(writeFolder(t, colourFiles(1, "red", "green", "blue")))
	test, _ := Load(writeFolder(t, colourFiles(1, "red", "blue")))
	if err := Align(train, test); err != nil {
		t.Fatal(err)
	}
	for _, it := range test.Items {
		if c := train.Classes[it.Label]; !strings.Contains(it.Name, "/"+c+"/") {
			t.Errorf("%s labelled %q", it.Name, c)
		}
	}
	other, _ := Load(writeFolder(t, colourFiles(1, "red", "purple")))
	if err := Align(train, other); err == nil || !strings.Contains(err.Error(), `class "purple"`) {
		t.Errorf("error %v, want one naming purple", err)
	}
}
