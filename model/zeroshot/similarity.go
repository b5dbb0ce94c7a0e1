package zeroshot

import "math"

// Normalize returns v / ‖v‖ (v unchanged if it is all zeros).
func Normalize(v []float32) []float32 {
	var ss float64
	for _, x := range v {
		ss += float64(float64(x) * float64(x)) // rounded: no fused multiply-add (TestSameBitsEverywhere)
	}
	out := make([]float32, len(v))
	if ss == 0 {
		copy(out, v)
		return out
	}
	inv := 1 / math.Sqrt(ss)
	for i, x := range v {
		out[i] = float32(float64(x) * inv)
	}
	return out
}

// CosineLogits is logits_per_image on the host: scale · cos(image_i, text_j).
func CosineLogits(images, texts [][]float32, scale float64) [][]float32 {
	tn := make([][]float32, len(texts))
	for j, t := range texts {
		tn[j] = Normalize(t)
	}
	out := make([][]float32, len(images))
	for i, im := range images {
		in := Normalize(im)
		out[i] = make([]float32, len(texts))
		for j := range texts {
			var dot float64
			for k := range in {
				dot += float64(float64(in[k]) * float64(tn[j][k]))
			}
			out[i][j] = float32(scale * dot)
		}
	}
	return out
}

// Cosine is the cosine similarity of two vectors, accumulated in float64 (for comparing
// embeddings in tests and reports).
func Cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}
