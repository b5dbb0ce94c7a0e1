package model

import (
	"strings"
	"testing"

	"github.com/clip-go/clip/weights"
)

func TestMerge(t *testing.T) {
	vec := func(v ...float32) map[string]*weights.Tensor {
		return map[string]*weights.Tensor{"w": weights.FromFloat32s([]int{len(v)}, v)}
	}
	base := vec(1, 2, 4)
	a, b := vec(3, 2, 0), vec(1, 6, 4)
	for _, tc := range []struct {
		name   string
		models []map[string]*weights.Tensor
		w      []float64
		want   []float32
	}{
		{"nothing added is the base", nil, nil, []float32{1, 2, 4}},
		{"weight 0 is the base", []map[string]*weights.Tensor{a}, []float64{0}, []float32{1, 2, 4}},
		{"weight 1 is the model", []map[string]*weights.Tensor{a}, []float64{1}, []float32{3, 2, 0}},
		{"WiSE-FT halfway", []map[string]*weights.Tensor{a}, []float64{0.5}, []float32{2, 2, 2}},
		{"two changes added", []map[string]*weights.Tensor{a, b}, []float64{1, 0.5}, []float32{3, 4, 0}},
		{"extrapolated", []map[string]*weights.Tensor{a}, []float64{-1}, []float32{-1, 2, 8}},
	} {
		got, err := Merge(base, tc.models, tc.w)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		v, _ := got["w"].Float32s()
		for j := range v {
			if v[j] != tc.want[j] {
				t.Errorf("%s: %v, want %v", tc.name, v, tc.want)
				break
			}
		}
	}
	// The inputs are not changed.
	if v, _ := base["w"].Float32s(); v[0] != 1 || v[2] != 4 {
		t.Errorf("base changed to %v", v)
	}

	for _, tc := range []struct {
		name   string
		models []map[string]*weights.Tensor
		w      []float64
		want   string
	}{
		{"weights miscounted", []map[string]*weights.Tensor{a}, nil, "1 models and 0 weights"},
		{"missing parameter", []map[string]*weights.Tensor{{}}, []float64{1}, "has no parameter w"},
		{"other shape", []map[string]*weights.Tensor{vec(1, 2)}, []float64{1}, "is [2], the base's [3]"},
		{"extra parameter", []map[string]*weights.Tensor{{"w": a["w"], "v": a["w"]}}, []float64{1}, "has v, which the base does not"},
	} {
		if _, err := Merge(base, tc.models, tc.w); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}
