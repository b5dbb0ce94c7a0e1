//go:build !js

package engine

// The WebAssembly SIMD kernel exists only in the js/wasm build (kernel_js.go).

const jsKernelName, jsRelaxedName = "", ""

func findJSKernel() bool { return false }

func findRelaxedKernel() bool { return false }

func (m *Model) matmulJS(l *linear, a *qact, out []float32, ldo int, add bool) {
	panic("engine: no WebAssembly kernel in this build")
}

func (m *Model) attentionJS(q, k, v, o []float32, d, heads int, seqs []seq, causal bool) {
	panic("engine: no WebAssembly kernel in this build")
}

func quantJS(x []float32, rows, k int, a *qact) { panic("engine: no WebAssembly kernel in this build") }

func quickGELUJS(x []float32) { panic("engine: no WebAssembly kernel in this build") }
