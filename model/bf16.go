package model

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/ml/nn"
)

// denseBF16 is x·Wᵀ with bfloat16 operands and float32 accumulation, its result rounded
// to bfloat16 (then returned as float32): the bf16_matmuls setting's linear layer,
// without the bias.
//
// Where the pure-Go backend would multiply bfloat16 in its AVX2 kernels (amd64 without
// AVX-512, GOEXPERIMENT=simd), the same arithmetic is spelt out instead: operands rounded
// to bfloat16 and back, a float32 product (exact for bf16 operands, accumulated in
// float32), the result rounded to bfloat16; the gradients are rounded where a bf16 product's
// would be, since autodiff converts them at the same nodes. Those kernels (gomlx/compute
// v0.1.2 to at least v0.1.35, "small transposed" variant) load 16 bfloat16 values per
// step but multiply only the first 8 (`l0, _ := ….ToFloat32()`), so x·Wᵀ of up to about
// 10⁶ multiply-adds comes out wrong: bf16 training there gave loss 2.94 against float32's
// 2.47 and gradients at cosine 0.05-0.25 (docs/upstream-gomlx-bf16.md).
func denseBF16(x, weight *Node) *Node {
	if goBackendAVX2BF16 && x.Graph().Backend().Name() == goBackendName {
		round := func(n *Node) *Node { return ConvertDType(ConvertDType(n, dtypes.BFloat16), dtypes.Float32) }
		return round(dense(round(x), round(weight), nil))
	}
	y := nn.Dense(ConvertDType(x, dtypes.BFloat16), ConvertDType(weight, dtypes.BFloat16), nil, compute.DenseLayoutOutputsInput)
	return ConvertDType(y, dtypes.Float32)
}

// goBackendName is what the pure-Go backend's Name returns (TestGoBackendName).
const goBackendName = "Go Backend"
