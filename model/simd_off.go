//go:build !goexperiment.simd

package model

// simdKernels reports whether this binary was built with GOEXPERIMENT=simd, which the
// pure-Go backend needs for its AVX2/AVX-512 matrix products on amd64.
const simdKernels = false
