package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes/bfloat16"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
)

// TestDenseBF16 checks the bf16_matmuls linear layer against float64 arithmetic on the
// same bfloat16 operands, over the shapes where the pure-Go backend's AVX2 bfloat16
// kernels drop half the products (docs/upstream-gomlx-bf16.md). `make test` runs it a
// second time with GOMLX_SIMD_AVX512=0, so that AVX-512 machines test the AVX2 path too.
func TestDenseBF16(t *testing.T) {
	be, err := NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("emulated bf16 products on the Go backend: %v", goBackendAVX2BF16)
	rng := rand.New(rand.NewPCG(1, 2))
	bf := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = bfloat16.FromFloat32(float32(rng.NormFloat64())).Float32()
		}
		return v
	}
	for _, s := range []struct{ batch, rows, out, in int }{
		{1, 4, 4, 4}, {1, 8, 16, 32}, {1, 5, 17, 33}, {2, 50, 64, 64}, {1, 64, 64, 256},
		{1, 128, 128, 128}, {4, 7, 96, 64}, {1, 200, 300, 150},
	} {
		t.Run(fmt.Sprintf("%dx%dx%d←%d", s.batch, s.rows, s.out, s.in), func(t *testing.T) {
			x, w := bf(s.batch*s.rows*s.in), bf(s.out*s.in)
			exec := MustNewExec(be, denseBF16)
			got := tensors.MustCopyFlatData[float32](exec.MustExec(
				tensors.FromFlatDataAndDimensions(x, s.batch, s.rows, s.in),
				tensors.FromFlatDataAndDimensions(w, s.out, s.in))[0])
			for r := range s.batch * s.rows {
				for n := range s.out {
					var want, mag float64
					for k := range s.in {
						p := float64(x[r*s.in+k]) * float64(w[n*s.in+k])
						want, mag = want+p, mag+math.Abs(p)
					}
					// The result is rounded to bfloat16 (8 bits of mantissa); float32 sums add
					// far less.
					if d := math.Abs(float64(got[r*s.out+n]) - want); d > math.Abs(want)/256+1e-5*mag {
						t.Fatalf("[%d,%d] = %v, want %v", r, n, got[r*s.out+n], want)
					}
				}
			}
		})
	}
}

// TestGoBackendName: denseBF16 recognises the pure-Go backend by its name.
func TestGoBackendName(t *testing.T) {
	be, err := NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	if be.Name() != goBackendName {
		t.Fatalf("the Go backend's name is %q, not %q: denseBF16 would no longer recognise it", be.Name(), goBackendName)
	}
}
