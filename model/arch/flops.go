package arch

// ImageFLOPs is the floating-point work of encoding one image, counting a multiply-add
// as two operations: the matmuls (patch embedding, the layers' six, the projection) and
// attention's two products. Element-wise work is left out, as is usual.
func (c Config) ImageFLOPs() float64 {
	v := c.Vision
	t, d, f := float64(c.NumPatches()+1), float64(v.HiddenSize), float64(v.IntermediateSize)
	patch := 2 * float64(c.NumPatches()) * float64(v.NumChannels*v.PatchSize*v.PatchSize) * d
	layer := 2*t*(4*d*d+2*d*f) + 4*t*t*d
	return patch + float64(v.NumHiddenLayers)*layer + 2*d*float64(c.ProjectionDim)
}

// TextFLOPs is the work of encoding one prompt of the given length (start and end tokens
// included); causal attention does about half the products of full attention.
func (c Config) TextFLOPs(tokens int) float64 {
	tc := c.Text
	t, d, f := float64(tokens), float64(tc.HiddenSize), float64(tc.IntermediateSize)
	layer := 2*t*(4*d*d+2*d*f) + 2*t*(t+1)*d
	return float64(tc.NumHiddenLayers)*layer + 2*d*float64(c.ProjectionDim)
}
