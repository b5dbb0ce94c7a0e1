//go:build !goexperiment.simd

package model

// simdKernels reports whether this binary was built with GOEXPERIMENT=simd, which the
// pure-Go backend needs for its AVX2/AVX-512 matrix products on amd64.
const simdKernels = false

// goBackendAVX2BF16: without GOEXPERIMENT=simd the pure-Go backend has no AVX2 kernels
// (see denseBF16).
const goBackendAVX2BF16 = false
