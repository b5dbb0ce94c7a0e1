package engine

// vecOps are the float helpers of a native SIMD level (AVX-512 or AVX2, ops_*_amd64.s;
// NEON, ops_arm64.s),
// each bit-identical to its Go twin in ops.go and act.go (TestSIMDOpsMatchPortable). A
// model holds the set of its kernel's level (opsFor), or nil: then the Go twins run.
type vecOps struct {
	name string
	// quickGELU is the quick_gelu activation on any length.
	quickGELU func(x []float32)
	// softmax16, attnScores, attnOut: their twins' contracts (lengths multiples of 16).
	softmax16  func(x []float32)
	attnScores func(q, kt []float32, ldk int, s []float32, scale float32)
	attnOut    func(p, v []float32, ldv int, o []float32)
	// attnScores4 and attnOut4 are attnScores and attnOut for four rows at once.
	attnScores4 func(q []float32, ldq, dh int, kt []float32, ldk int, s []float32, lds, n int, scale float32)
	attnOut4    func(p []float32, ldp, n int, v []float32, ldv int, o []float32, ldo, dh int)
	// layerNorm is layerNormGo for a length that is a multiple of 16.
	layerNorm func(dst, x, weight, bias []float32, eps float64)
	// quantRow is qact.setRow for a row of whole blocks, bs a multiple of 16.
	quantRow func(x []float32, q []int8, scale []float32, init []int32, bs int, offset, qmax int32)
	// emitTile copies (or adds) rows rows of tileCols floats from src (rows tileCols
	// apart) to dst (rows ldo apart).
	emitTile func(dst []float32, ldo int, src []float32, rows int, add bool)
}
