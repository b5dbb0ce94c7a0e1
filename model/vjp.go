package model

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/ml/nn"
)

// Hand-written gradients for the layers that dominate a training step on the pure-Go
// backend. GoMLX differentiates a fused op (dense, softmax, layer norm) through its
// decomposed twin: training ran the decomposed forward pass as well as the fused one, then a
// long chain of small ops backwards, including full copies (identity transposes after every
// matrix product's gradient) and sums with ReduceSum, which on the Go backend is 10-20×
// slower than the same sum written as a product with a vector of ones (sumLast, sumLeading).
// Each op is one pass over memory on one core; with these, the forward pass runs once and
// the backward pass is a few passes. The parity tests check every gradient against PyTorch.
//
// The mechanism is GoMLX's own for fused ops (InternalFusedOpCaller): the gradient arriving
// at the fused output is handed to an "alternate" node, and autodiff continues from there.
// Our alternates are identities with custom gradients, so autodiff never walks the ops of
// the forward pass. The alternates' forward values are never used, and the backend skips
// nodes no output needs, so they cost nothing at run time.

// withVJP returns forward(x), whose gradient with respect to x is vjp(x, y, v), with
// y = forward(x) and v the gradient arriving at y; y must have x's shape. fallback(x) must
// compute the same with ordinary ops: it is used when fused ops are turned off
// (GOMLX_FUSION=false) or the backend lacks one.
func withVJP(x *Node, forward, fallback func(x *Node) *Node, vjp func(x, y, v *Node) *Node) *Node {
	var y *Node
	out, ok := InternalFusedOpCaller(
		func() *Node { y = forward(x); return y },
		func() *Node {
			return IdentityWithCustomGradient(x, func(x, v *Node) *Node { return vjp(x, y, v) })
		},
		true)
	if !ok {
		return fallback(x)
	}
	return out
}

// sumLast is the sum over the last axis, kept with size 1, as a product with ones.
func sumLast(x *Node) *Node {
	d := x.Shape().Dimensions[x.Rank()-1]
	return DotGeneral(x, []int{x.Rank() - 1}, nil, Ones(x.Graph(), shapes.Make(x.DType(), 1, d)), []int{1}, nil)
}

// sumLeading is the sum over all axes but the last ([..., d] → [d]), as a product with ones.
func sumLeading(x *Node) *Node {
	d := x.Shape().Dimensions[x.Rank()-1]
	n := x.Shape().Size() / d
	ones := Ones(x.Graph(), shapes.Make(x.DType(), 1, n))
	return Reshape(DotGeneral(ones, []int{1}, nil, Reshape(x, n, d), []int{0}, nil), d)
}

// dense is x·Wᵀ + b with W in PyTorch's [out, in] layout and b optional (nil), computed
// by the backend's fused dense op, with the gradients
//
//	dx = v·W, dW = vᵀ·x (over all leading axes), db = Σ v
//
// each one matrix product in a layout the Go backend multiplies directly (dW after one
// explicit transpose, see denseWeightGrad). The alternate node is x'·W'ᵀ + b' of identities
// x', W', b' with custom gradients, under an identity that records v: autodiff reaches that
// identity first (it was created last), and the ops it then builds for x', W' and b' are
// discarded.
func dense(x, weight, bias *Node) *Node {
	fused := func() *Node {
		return BackendFusedDense(x, weight, bias, compute.DenseConfig{WeightLayout: compute.DenseLayoutOutputsInput})
	}
	var v *Node
	alternate := func() *Node {
		xi := IdentityWithCustomGradient(x, func(_, _ *Node) *Node {
			return DotGeneral(v, []int{v.Rank() - 1}, nil, weight, []int{0}, nil)
		})
		wi := IdentityWithCustomGradient(weight, func(_, _ *Node) *Node { return denseWeightGrad(x, weight, v) })
		y := DotGeneral(xi, []int{x.Rank() - 1}, nil, wi, []int{1}, nil)
		if bias != nil {
			bi := IdentityWithCustomGradient(bias, func(_, _ *Node) *Node { return sumLeading(v) })
			y = Add(y, ExpandLeftToRank(bi, y.Rank()))
		}
		return IdentityWithCustomGradient(y, func(_, grad *Node) *Node { v = grad; return grad })
	}
	out, ok := InternalFusedOpCaller(fused, alternate, true)
	if !ok {
		return nn.Dense(x, weight, bias, compute.DenseLayoutOutputsInput)
	}
	return out
}

// denseWeightGrad is dW = vᵀ·x [out, in], summed over all leading axes of v [..., out] and
// x [..., in]. Both operands have the summed axis (rows) first, a layout the Go backend's
// matrix product cannot take: it would transpose both operands into [cols, rows] (an
// element-by-element copy, about as slow as the product itself at these sizes). Only the
// left operand needs its rows last, so we transpose just one of them ourselves, the one with
// fewer columns: vᵀ·x directly, or (xᵀ·v)ᵀ, whose final transpose is only weight-sized.
func denseWeightGrad(x, weight, v *Node) *Node {
	out, in := weight.Shape().Dimensions[0], weight.Shape().Dimensions[1]
	v2, x2 := Reshape(v, -1, out), Reshape(x, -1, in)
	if out <= in {
		return DotGeneral(Transpose(v2, 0, 1), []int{1}, nil, x2, []int{0}, nil)
	}
	return Transpose(DotGeneral(Transpose(x2, 0, 1), []int{1}, nil, v2, []int{0}, nil), 0, 1)
}

// quickGELU is the original CLIP's x·σ(1.702x). σ is computed as 1/(1+exp(−1.702x)): the
// Go backend's Exp is about 1.6× faster than its Logistic, which branches on the sign.
// For x below about −52, exp overflows to +Inf and σ is exactly 0, so no NaN can appear.
// The gradient is σ + 1.702·y·(1−σ) with y = x·σ, from the forward's σ.
func quickGELU(x *Node) *Node {
	var sigma *Node
	forward := func(x *Node) *Node {
		sigma = Reciprocal(OnePlus(Exp(MulScalar(x, -1.702))))
		return Mul(x, sigma)
	}
	fallback := func(x *Node) *Node { return Mul(x, Sigmoid(MulScalar(x, 1.702))) }
	return withVJP(x, forward, fallback, func(_, y, v *Node) *Node {
		return Mul(v, Add(sigma, MulScalar(Sub(y, Mul(y, sigma)), 1.702)))
	})
}

// layerNormLast is layer normalisation over the last axis, (x−μ)/√(σ²+ε)·γ + β, fused on the
// Go backend, with the gradient written out:
//
//	x̂ = (x−μ)·r, r = 1/√(σ²+ε), g = v·γ
//	dx = r·(g − mean(g) − x̂·mean(g·x̂)), dγ = Σ v·x̂, dβ = Σ v
//
// The alternate node is x' + γ' + β' (γ and β broadcast to x's shape), identities with
// custom gradients, under an identity that records v, as in dense.
func layerNormLast(x, gamma, beta *Node, eps float64) *Node {
	rank := x.Rank()
	d := x.Shape().Dimensions[rank-1]
	fused := func() *Node { return BackendFusedLayerNorm(x, []int{-1}, eps, gamma, beta) }
	var v, xhat, rstd *Node
	stats := func() { // x̂ and r for the backward pass, built once
		if xhat == nil {
			centered := Sub(x, DivScalar(sumLast(x), float64(d)))
			rstd = Rsqrt(AddScalar(DivScalar(sumLast(Square(centered)), float64(d)), eps))
			xhat = Mul(centered, rstd)
		}
	}
	alternate := func() *Node {
		xi := IdentityWithCustomGradient(x, func(_, _ *Node) *Node {
			stats()
			g := Mul(v, ExpandLeftToRank(gamma, rank))
			meanG := DivScalar(sumLast(g), float64(d))
			meanGX := DivScalar(sumLast(Mul(g, xhat)), float64(d))
			return Mul(Sub(Sub(g, meanG), Mul(xhat, meanGX)), rstd)
		})
		gi := IdentityWithCustomGradient(gamma, func(_, _ *Node) *Node {
			stats()
			return sumLeading(Mul(v, xhat))
		})
		bi := IdentityWithCustomGradient(beta, func(_, _ *Node) *Node { return sumLeading(v) })
		y := Add(Add(xi, ExpandLeftToRank(gi, rank)), ExpandLeftToRank(bi, rank))
		return IdentityWithCustomGradient(y, func(_, grad *Node) *Node { v = grad; return grad })
	}
	out, ok := InternalFusedOpCaller(fused, alternate, true)
	if !ok {
		return nn.LayerNorm(x, []int{-1}, eps, gamma, beta, nil)
	}
	return out
}

// attentionCore is softmax(q·kᵀ + mask)·v for q, k, v [B, H, T, Dh] (q already scaled;
// mask nil or broadcastable to the scores [B, H, T, T]), with the gradient written out:
//
//	P = softmax(S), dP = dO·vᵀ, dS = P·(dP − Σ dP·P), dq = dS·k, dk = dSᵀ·q, dv = Pᵀ·dO
//
// every product in a layout the Go backend multiplies directly, after transposing P and dS
// once each (autodiff's products transposed 8 tensors per layer, 2 of them identities).
// The alternate node is q' + k' + v', identities with custom gradients, under an identity
// that records dO, as in dense.
//
// Not the backend's FusedScaledDotProductAttention: in gomlx/compute v0.1.2 the Go backend
// leaves it unregistered (its scalar-loop kernel lost to the SIMD matmuls) and has no fused
// VJP, so the call would always fall back here.
func attentionCore(q, k, v, mask *Node) *Node {
	dims := q.Shape().Dimensions
	bh, seq, hd := dims[0]*dims[1], dims[2], dims[3]
	var probs *Node
	forward := func() *Node {
		scores := Einsum("bhqd,bhkd->bhqk", q, k)
		if mask != nil {
			scores = Add(scores, mask)
		}
		probs = Softmax(scores, -1)
		return Einsum("bhqk,bhkd->bhqd", probs, v)
	}
	var dOut, dq, dk, dv *Node
	backward := func() { // all three gradients, built once
		if dq != nil {
			return
		}
		dO := Reshape(dOut, bh, seq, hd)
		p := Reshape(probs, bh, seq, seq)
		q3, k3, v3 := Reshape(q, bh, seq, hd), Reshape(k, bh, seq, hd), Reshape(v, bh, seq, hd)
		dP := DotGeneral(dO, []int{2}, []int{0}, v3, []int{2}, []int{0})
		dPP := Mul(dP, p)
		dS := Sub(dPP, Mul(p, sumLast(dPP)))
		dq = Reshape(DotGeneral(dS, []int{2}, []int{0}, k3, []int{1}, []int{0}), dims...)
		dk = Reshape(DotGeneral(TransposeAllAxes(dS, 0, 2, 1), []int{2}, []int{0}, q3, []int{1}, []int{0}), dims...)
		dv = Reshape(DotGeneral(TransposeAllAxes(p, 0, 2, 1), []int{2}, []int{0}, dO, []int{1}, []int{0}), dims...)
	}
	alternate := func() *Node {
		qi := IdentityWithCustomGradient(q, func(_, _ *Node) *Node { backward(); return dq })
		ki := IdentityWithCustomGradient(k, func(_, _ *Node) *Node { backward(); return dk })
		vi := IdentityWithCustomGradient(v, func(_, _ *Node) *Node { backward(); return dv })
		return IdentityWithCustomGradient(Add(Add(qi, ki), vi), func(_, grad *Node) *Node { dOut = grad; return grad })
	}
	out, ok := InternalFusedOpCaller(forward, alternate, true)
	if !ok {
		return forward()
	}
	return out
}
