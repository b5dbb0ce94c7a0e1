package imageproc

// EncodeEach loads n images with load (decode and preprocess; an error costs only that
// image) and encodes those that loaded in one call of encode, which takes n' stacked CHW
// images. It returns one feature per image, or that image's error: with several images,
// a bad one is reported and the others still encoded. err is encode's failure.
func EncodeEach(n int, load func(i int) ([]float32, error), encode func(pixels []float32, n int) ([][]float32, error)) (features [][]float32, errs []error, err error) {
	features, errs = make([][]float32, n), make([]error, n)
	var pixels []float32
	var ok []int
	for i := range n {
		px, err := load(i)
		if err != nil {
			errs[i] = err
			continue
		}
		pixels = append(pixels, px...)
		ok = append(ok, i)
	}
	if len(ok) == 0 {
		return features, errs, nil
	}
	feats, err := encode(pixels, len(ok))
	if err != nil {
		return nil, nil, err
	}
	for j, i := range ok {
		features[i] = feats[j]
	}
	return features, errs, nil
}
