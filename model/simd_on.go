//go:build goexperiment.simd

package model

import (
	"os"
	"simd/archsimd"
	"slices"
	"strings"
)

// simdKernels reports whether this binary was built with GOEXPERIMENT=simd, which the
// pure-Go backend needs for its AVX2/AVX-512 matrix products on amd64.
const simdKernels = true

// goBackendAVX2BF16 reports whether the pure-Go backend may multiply bfloat16 matrices in
// its AVX2 kernels (see denseBF16): it takes them where the CPU has AVX2 but not AVX-512,
// or where $GOMLX_SIMD_AVX512 turns AVX-512 off (any value but GoMLX's true ones counts as
// off here, to be safe).
var goBackendAVX2BF16 = archsimd.X86.AVX2() && (!archsimd.X86.AVX512() || !envTrue(os.Getenv("GOMLX_SIMD_AVX512")))

// envTrue is GoMLX's reading of a boolean environment variable, unset counting as true.
func envTrue(v string) bool {
	return v == "" || slices.Contains([]string{"1", "true", "t", "yes", "on", "enabled"}, strings.ToLower(v))
}
