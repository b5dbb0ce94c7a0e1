package model

import (
	"fmt"
	"maps"
	"slices"

	"github.com/clip-go/clip/weights"
)

// Merge is weight-space ensembling: base + Σ wᵢ·(modelsᵢ − base), parameter by parameter.
// One model at weight α between 0 and 1 is WiSE-FT's interpolation of a fine-tuned model
// with the one it started from (Wortsman et al. 2022), which keeps most of what the
// fine-tuning gained and gives back most of what it cost on what the start knew; several
// are task arithmetic (Ilharco et al. 2023): the changes of runs that started from the same
// base, added. The result is a plain CLIP of base's shape. Every model must have base's
// parameters, by name and shape.
func Merge(base map[string]*weights.Tensor, models []map[string]*weights.Tensor, w []float64) (map[string]*weights.Tensor, error) {
	if len(models) != len(w) {
		return nil, fmt.Errorf("merge: %d models and %d weights", len(models), len(w))
	}
	out := make(map[string]*weights.Tensor, len(base))
	for _, name := range slices.Sorted(maps.Keys(base)) {
		b, err := base[name].Float32s()
		if err != nil {
			return nil, fmt.Errorf("merge: base %s: %w", name, err)
		}
		sum := make([]float64, len(b))
		for j, v := range b {
			sum[j] = float64(v)
		}
		for i, m := range models {
			t, ok := m[name]
			if !ok {
				return nil, fmt.Errorf("merge: model %d has no parameter %s", i+1, name)
			}
			if !slices.Equal(t.Shape, base[name].Shape) {
				return nil, fmt.Errorf("merge: model %d: %s is %v, the base's %v", i+1, name, t.Shape, base[name].Shape)
			}
			v, err := t.Float32s()
			if err != nil {
				return nil, fmt.Errorf("merge: model %d %s: %w", i+1, name, err)
			}
			for j := range sum {
				sum[j] += w[i] * (float64(v[j]) - float64(b[j]))
			}
		}
		res := make([]float32, len(sum))
		for j, v := range sum {
			res[j] = float32(v)
		}
		out[name] = weights.FromFloat32s(base[name].Shape, res)
	}
	for i, m := range models {
		for name := range m {
			if _, ok := base[name]; !ok {
				return nil, fmt.Errorf("merge: model %d has %s, which the base does not", i+1, name)
			}
		}
	}
	return out, nil
}
