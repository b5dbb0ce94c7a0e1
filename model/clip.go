// Package model is CLIP (Radford et al. 2021) in GoMLX: a ViT image encoder and a causal
// text transformer projected into one embedding space. Parameters live in a model.Store
// under their model-hub CLIPModel names ("vision_model.encoder.layers.0.mlp.fc1.weight" is
// the variable /vision_model/encoder/layers/0/mlp/fc1/weight), with linear weights in
// PyTorch's [out, in] layout, so a hub checkpoint loads without reshuffling.
//
// This file is the whole forward pass, top to bottom: text, image, and the scaled cosine
// similarity between them.
package model

import (
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/ml/layers/activation"
	gmodel "github.com/gomlx/gomlx/ml/model"
)

// MaxLogitScale clamps exp(logit_scale), as in the paper, so training cannot make the
// softmax arbitrarily sharp.
const MaxLogitScale = 100.0

// VarPath maps a hub parameter name to its variable path in the store.
func VarPath(name string) string { return "/" + strings.ReplaceAll(name, ".", "/") }

// ParamName maps a store variable path back to the hub parameter name.
func ParamName(path string) string {
	return strings.ReplaceAll(strings.TrimPrefix(path, "/"), "/", ".")
}

// ParamBF16 is the store setting that runs the linear layers' matrix products in bfloat16
// (inputs and weights rounded to bf16, products accumulated in float32), like PyTorch's
// autocast: parameters, norms, softmax and the loss stay float32. Off by default.
const ParamBF16 = "bf16_matmuls"

// weightsIn gives the graph access to parameters by hub name.
type weightsIn struct {
	store *gmodel.Store
	g     *Graph
	bf16  bool
}

func newWeightsIn(store *gmodel.Store, g *Graph) weightsIn {
	return weightsIn{store, g, gmodel.GetRootParamOr(store, ParamBF16, false)}
}

func (w weightsIn) get(name string) *Node {
	v := w.store.GetVariable(VarPath(name))
	if v == nil {
		panic(fmt.Sprintf("model has no parameter %q", name))
	}
	return v.NodeValue(w.g)
}

// linear is y = x·Wᵀ + b with W in PyTorch's [out, in] layout; bias may be absent.
func (w weightsIn) linear(x *Node, name string, bias bool) *Node {
	var b *Node
	if bias {
		b = w.get(name + ".bias")
	}
	weight := w.get(name + ".weight")
	if w.bf16 {
		y := denseBF16(x, weight)
		if b != nil {
			y = Add(y, ExpandLeftToRank(b, y.Rank()))
		}
		return y
	}
	return dense(x, weight, b)
}

func (w weightsIn) layerNorm(x *Node, name string, eps float64) *Node {
	return layerNormLast(x, w.get(name+".weight"), w.get(name+".bias"), eps)
}

// activations are the hub's hidden_act values.
var activations = map[string]func(*Node) *Node{
	// quick_gelu is the original CLIP's x·σ(1.702x) (vjp.go).
	"quick_gelu":        quickGELU,
	"gelu":              activation.Gelu,
	"gelu_new":          activation.GeluApproximate,
	"gelu_pytorch_tanh": activation.GeluApproximate,
	"relu":              activation.Relu,
}

// encoderLayer is one pre-norm residual block: x + attn(ln1(x)), then x + mlp(ln2(x)).
// mask, if not nil, is added to the attention scores ([T, T], 0 or -inf).
func (w weightsIn) encoderLayer(x *Node, prefix string, heads int, act string, eps float64, mask *Node) *Node {
	h := w.layerNorm(x, prefix+".layer_norm1", eps)
	x = Add(x, w.attention(h, prefix+".self_attn", heads, mask))
	h = w.layerNorm(x, prefix+".layer_norm2", eps)
	h = activations[act](w.linear(h, prefix+".mlp.fc1", true))
	return Add(x, w.linear(h, prefix+".mlp.fc2", true))
}

// attention is multi-head scaled dot-product self-attention over x [B, T, D].
// Heads are moved next to the batch axis once ([B, H, T, Dh]), so both products below are
// plain batched matmuls with no transposes inside them.
func (w weightsIn) attention(x *Node, prefix string, heads int, mask *Node) *Node {
	dims := x.Shape().Dimensions
	batch, seq, width := dims[0], dims[1], dims[2]
	headDim := width / heads
	split := func(t *Node) *Node { return TransposeAllDims(Reshape(t, batch, seq, heads, headDim), 0, 2, 1, 3) }
	q := split(MulScalar(w.linear(x, prefix+".q_proj", true), 1/math.Sqrt(float64(headDim))))
	k := split(w.linear(x, prefix+".k_proj", true))
	v := split(w.linear(x, prefix+".v_proj", true))
	out := attentionCore(q, k, v, mask) // softmax(q·kᵀ + mask)·v, with a hand-written gradient (vjp.go)
	out = Reshape(TransposeAllDims(out, 0, 2, 1, 3), batch, seq, width)
	return w.linear(out, prefix+".out_proj", true)
}

// causalMask is 0 on and below the diagonal and -inf above: token i sees tokens ≤ i.
func causalMask(g *Graph, seq int) *Node {
	lower := LowerTriangular(g, seq)
	return Where(lower, Zeros(g, shapesF32(seq, seq)), BroadcastToDims(Const(g, float32(math.Inf(-1))), seq, seq))
}

// TextFeatures encodes token ids [B, T] (int32) into projected text features [B, E].
// eot [B] (int32) is the position of each sequence's end-of-text token, whose final hidden
// state is the sequence's feature. The causal mask makes features independent of what
// follows that position, so T may be shorter than the context length.
func TextFeatures(store *gmodel.Store, cfg Config, ids, eot *Node) *Node {
	g := ids.Graph()
	w := newWeightsIn(store, g)
	t := cfg.Text
	seq := ids.Shape().Dimensions[1]
	x := Gather(w.get("text_model.embeddings.token_embedding.weight"), InsertAxes(ids, -1))
	pos := Slice(w.get("text_model.embeddings.position_embedding.weight"), AxisRange(0, seq))
	x = Add(x, InsertAxes(pos, 0))
	mask := Reshape(causalMask(g, seq), 1, 1, seq, seq)
	for i := 0; i < t.NumHiddenLayers; i++ {
		x = w.encoderLayer(x, fmt.Sprintf("text_model.encoder.layers.%d", i), t.NumAttentionHeads, t.HiddenAct, t.LayerNormEps, mask)
	}
	x = w.layerNorm(x, "text_model.final_layer_norm", t.LayerNormEps)
	pooled := Einsum("bt,btd->bd", OneHot(eot, seq, x.DType()), x)
	return w.linear(pooled, "text_projection", false)
}

// ImageFeatures encodes normalised pixels [B, C, H, W] into projected image features [B, E].
func ImageFeatures(store *gmodel.Store, cfg Config, pixels *Node) *Node {
	w := newWeightsIn(store, pixels.Graph())
	v := cfg.Vision
	batch, p := pixels.Shape().Dimensions[0], v.PatchSize
	grid := v.ImageSize / p
	// Patch embedding: a stride-p convolution without bias, written as a matrix product
	// over flattened patches (same numbers, and a plain matmul on every backend).
	x := Reshape(pixels, batch, v.NumChannels, grid, p, grid, p)
	x = TransposeAllDims(x, 0, 2, 4, 1, 3, 5) // [B, gh, gw, C, p, p]
	x = Reshape(x, batch, grid*grid, v.NumChannels*p*p)
	kernel := Reshape(w.get("vision_model.embeddings.patch_embedding.weight"), v.HiddenSize, v.NumChannels*p*p)
	x = dense(x, kernel, nil)
	cls := BroadcastToDims(Reshape(w.get("vision_model.embeddings.class_embedding"), 1, 1, v.HiddenSize), batch, 1, v.HiddenSize)
	x = Concatenate([]*Node{cls, x}, 1)
	x = Add(x, InsertAxes(w.get("vision_model.embeddings.position_embedding.weight"), 0))
	x = w.layerNorm(x, "vision_model.pre_layrnorm", v.LayerNormEps)
	for i := 0; i < v.NumHiddenLayers; i++ {
		x = w.encoderLayer(x, fmt.Sprintf("vision_model.encoder.layers.%d", i), v.NumAttentionHeads, v.HiddenAct, v.LayerNormEps, nil)
	}
	pooled := Squeeze(Slice(x, AxisRange(), AxisElem(0)), 1) // the class token
	pooled = w.layerNorm(pooled, "vision_model.post_layernorm", v.LayerNormEps)
	return w.linear(pooled, "visual_projection", false)
}

// LogitScale is exp(logit_scale), clamped at MaxLogitScale.
func LogitScale(store *gmodel.Store, g *Graph) *Node {
	w := newWeightsIn(store, g)
	return MinScalar(Exp(w.get("logit_scale")), MaxLogitScale)
}

// Logits returns logits_per_image [N, M] = scale · cos(image_i, text_j).
func Logits(store *gmodel.Store, imageFeatures, textFeatures *Node) *Node {
	img := L2Normalize(imageFeatures, -1)
	txt := L2Normalize(textFeatures, -1)
	return Mul(LogitScale(store, imageFeatures.Graph()), Einsum("nd,md->nm", img, txt))
}

func shapesF32(dims ...int) shapes.Shape { return shapes.Make(dtypes.Float32, dims...) }

// LogitScaleFrom is the host-side twin of LogitScale, for a stored log-scale value.
func LogitScaleFrom(logScale float64) float64 { return min(math.Exp(logScale), MaxLogitScale) }
