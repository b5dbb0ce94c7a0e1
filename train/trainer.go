package train

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"

	"github.com/clip-go/clip/model"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	gmodel "github.com/gomlx/gomlx/ml/model"
)

// Batch is one contrastive batch: image i pairs with text i.
type Batch struct {
	Pixels []float32 // [N, C, H, W], preprocessed
	Tokens [][]int   // N rows of token ids (start, ids, end, padding)
	// Groups names the concept of each pair (nil: every pair its own): pairs of one
	// group are positives of each other in the loss (ContrastiveLoss).
	Groups []int32
}

// groups returns the batch's group ids as a tensor, each pair its own group when the
// batch names none.
func (b Batch) groups() (*tensors.Tensor, error) {
	n := len(b.Tokens)
	if b.Groups == nil {
		ids := make([]int32, n)
		for i := range ids {
			ids[i] = int32(i)
		}
		return tensors.FromValue(ids), nil
	}
	if len(b.Groups) != n {
		return nil, fmt.Errorf("batch of %d pairs with %d group ids", n, len(b.Groups))
	}
	return tensors.FromValue(b.Groups), nil
}

// Trainer owns the optimisation of one model: gradient accumulators and AdamW moments
// live beside the parameters in the model's store, so one checkpoint holds all of it.
type Trainer struct {
	Model *model.Model
	Hyper Hyper
	Step  int // optimizer steps taken

	names            []string // trainable parameters (hub names), sorted
	params, grads    []*gmodel.Variable
	moment1, moment2 []*gmodel.Variable

	fullExec  *gmodel.Exec // loss and gradients of a whole batch in one pass
	embedExec *gmodel.Exec // gradient caching, 1: embeddings of a micro-batch, no activations kept
	lossExec  *gmodel.Exec // 2: loss and its gradient with respect to all embeddings
	backExec  *gmodel.Exec // 3: a micro-batch again, back-propagating its cached embedding gradients
	applyExec *gmodel.Exec // AdamW update from the accumulated gradients
	zeroExec  *gmodel.Exec // zeroes the accumulators (after the host's AdamW, adamw_host.go)
	// useHost: Apply runs AdamW on the host (the Go backend, adamw_host.go); tests turn
	// it off to compare with the graph's.
	useHost bool
	// par splits each batch over several devices (parallel.go); nil on one device.
	par *dataParallel
	// distillDim > 0 makes the trainer a distiller (distill.go): the text tower and a
	// head to the teacher's distillDim-dimensional embeddings train, nothing else.
	distillDim  int
	distillExec *gmodel.Exec
}

// Optimizer state lives under these scopes of the store.
const (
	gradScope    = "/train/grad"
	moment1Scope = "/train/adam_m"
	moment2Scope = "/train/adam_v"
)

// New prepares training of m with h on one device.
func New(m *model.Model, h Hyper) (*Trainer, error) { return NewOnDevices(m, h, 1) }

// NewOnDevices prepares training of m with h, each batch split over the first devices
// of m's backend (data parallelism, parallel.go): the same steps as on one device, the
// batch (and the micro-batch) a multiple of devices.
func NewOnDevices(m *model.Model, h Hyper, devices int) (*Trainer, error) {
	return newTrainer(m, h, devices, 0)
}

// newTrainer is NewOnDevices, or with distillDim > 0 NewDistiller's trainer.
func newTrainer(m *model.Model, h Hyper, devices, distillDim int) (*Trainer, error) {
	if err := h.Validate(); err != nil {
		return nil, err
	}
	t := &Trainer{Model: m, Hyper: h, distillDim: distillDim}
	if devices > 1 {
		if _, err := DevicesFor(devices, m.Backend.NumDevices(), h); err != nil {
			return nil, err
		}
		var err error
		if t.par, err = newDataParallel(devices); err != nil {
			return nil, err
		}
	}
	m.Store.SetParam(model.ParamBF16, h.BF16)
	for name := range m.Config.ParamShapes() {
		t.names = append(t.names, name)
	}
	store := m.Store
	if h.sigmoid() {
		// The sigmoid loss's bias is trained with the model but is not part of a CLIP
		// (ParamShapes), so the trainer owns it: it lives beside the parameters in the store,
		// unless a trainer of this model made it already.
		if store.GetVariable(model.VarPath(LogitBias)) == nil {
			if _, err := store.CreateVariable(model.VarPath(LogitBias), tensors.FromScalar(float32(SigmoidInitBias))); err != nil {
				return nil, err
			}
		}
		t.names = append(t.names, LogitBias)
	}
	if h.LockText {
		if distillDim > 0 {
			return nil, fmt.Errorf("a distiller trains the text tower: it cannot lock it")
		}
		t.names = slices.DeleteFunc(t.names, textTower)
	}
	if distillDim > 0 {
		if err := t.addDistillHead(); err != nil {
			return nil, err
		}
	}
	sort.Strings(t.names)
	zeros := func(scope string, v *gmodel.Variable) (*gmodel.Variable, error) {
		if existing := store.GetVariable(scope + v.Path()); existing != nil {
			return existing, nil
		}
		nv, err := store.CreateVariable(scope+v.Path(), tensors.FromShape(v.Shape()))
		if err != nil {
			return nil, err
		}
		return nv.SetTrainable(false), nil
	}
	for _, name := range t.names {
		p := store.GetVariable(model.VarPath(name))
		if p == nil {
			return nil, fmt.Errorf("model has no parameter %q", name)
		}
		g, err := zeros(gradScope, p)
		if err != nil {
			return nil, err
		}
		m1, err := zeros(moment1Scope, p)
		if err != nil {
			return nil, err
		}
		m2, err := zeros(moment2Scope, p)
		if err != nil {
			return nil, err
		}
		t.params, t.grads = append(t.params, p), append(t.grads, g)
		t.moment1, t.moment2 = append(t.moment1, m1), append(t.moment2, m2)
	}
	if err := t.buildExecs(); err != nil {
		return nil, err
	}
	return t, nil
}

// accumulate adds gradients to the accumulators of the parameters they belong to.
func (t *Trainer) accumulate(g *Graph, idx []int, grads []*Node) {
	for k, i := range idx {
		acc := t.grads[i]
		acc.SetNodeValue(Add(acc.NodeValue(g), grads[k]))
	}
}

// shape is the dimensions of trainable parameter i ([] for a scalar, as ParamShapes has it).
func (t *Trainer) shape(i int) []int { return append([]int{}, t.params[i].Shape().Dimensions...) }

// paramNodes returns the graph nodes of the parameters with the given indices.
func (t *Trainer) paramNodes(g *Graph, idx []int) []*Node {
	nodes := make([]*Node, len(idx))
	for k, i := range idx {
		nodes[k] = t.params[i].NodeValue(g)
	}
	return nodes
}

func (t *Trainer) indices(keep func(name string) bool) []int {
	var idx []int
	for i, n := range t.names {
		if keep(n) {
			idx = append(idx, i)
		}
	}
	return idx
}

func (t *Trainer) buildExecs() error {
	cfg, store, backend := t.Model.Config, t.Model.Store, t.Model.Backend
	all := t.indices(func(string) bool { return true })
	// The head: the parameters of the loss on top of the embeddings (scale, and the
	// sigmoid loss's bias), whose gradients gradient caching takes from the loss alone.
	head := func(n string) bool { return n == "logit_scale" || n == LogitBias }
	encoders := t.indices(func(n string) bool { return !head(n) })
	heads := t.indices(head)
	var err error
	t.fullExec, err = gmodel.NewExec(backend, store, func(_ *gmodel.Scope, pixels, ids, eot, groups *Node) *Node {
		img := model.ImageFeatures(store, cfg, pixels)
		txt := model.TextFeatures(store, cfg, ids, eot)
		loss := t.loss(img, txt, groups)
		t.accumulate(loss.Graph(), all, Gradient(loss, t.paramNodes(loss.Graph(), all)...))
		return loss
	})
	if err != nil {
		return err
	}
	t.embedExec, err = gmodel.NewExec(backend, store, func(_ *gmodel.Scope, pixels, ids, eot *Node) (*Node, *Node) {
		return model.ImageFeatures(store, cfg, pixels), model.TextFeatures(store, cfg, ids, eot)
	})
	if err != nil {
		return err
	}
	t.lossExec, err = gmodel.NewExec(backend, store, func(_ *gmodel.Scope, img, txt, groups *Node) (*Node, *Node, *Node) {
		loss := t.loss(img, txt, groups)
		g := loss.Graph()
		grads := Gradient(loss, append([]*Node{img, txt}, t.paramNodes(g, heads)...)...)
		t.accumulate(g, heads, grads[2:])
		return loss, grads[0], grads[1]
	})
	if err != nil {
		return err
	}
	// The micro-batch's share of the full-batch gradient: d(loss)/dθ = Σ (dloss/de)·(de/dθ)
	// over its embeddings e, i.e. the gradient of Σ e·stop_gradient(dloss/de).
	t.backExec, err = gmodel.NewExec(backend, store, func(_ *gmodel.Scope, pixels, ids, eot, dImg, dTxt *Node) {
		img := model.ImageFeatures(store, cfg, pixels)
		txt := model.TextFeatures(store, cfg, ids, eot)
		surrogate := Add(ReduceAllSum(Mul(img, dImg)), ReduceAllSum(Mul(txt, dTxt)))
		g := surrogate.Graph()
		t.accumulate(g, encoders, Gradient(surrogate, t.paramNodes(g, encoders)...))
	})
	if err != nil {
		return err
	}
	t.applyExec, err = gmodel.NewExec(backend, store, t.adamW)
	if err != nil {
		return err
	}
	t.zeroExec, err = gmodel.NewExec(backend, store, func(_ *gmodel.Scope, g *Graph) {
		for _, acc := range t.grads {
			acc.SetNodeValue(ZerosLike(acc.NodeValue(g)))
		}
	})
	if err != nil {
		return err
	}
	if t.distillDim > 0 {
		if t.distillExec, err = gmodel.NewExec(backend, store, t.distillGraph); err != nil {
			return err
		}
	}
	t.useHost = hostOptimizer(backend) && t.par == nil
	if t.par != nil {
		for _, d := range []struct {
			e       *gmodel.Exec
			split   []bool
			outputs int
		}{
			{t.fullExec, fullSplit, 1}, {t.embedExec, embedSplit, 2}, {t.lossExec, lossSplit, 3},
			{t.backExec, backSplit, 0}, {t.applyExec, applySplit, 1}, {t.zeroExec, nil, 0},
		} {
			if err := t.par.distribute(d.e, d.split, d.outputs); err != nil {
				return err
			}
		}
	}
	return nil
}

// Which inputs of each executable are split along the batch over the devices.
var (
	fullSplit  = []bool{true, true, true, true}       // pixels, ids, eot, groups
	embedSplit = []bool{true, true, true}             // pixels, ids, eot
	lossSplit  = []bool{false, false, false}          // every embedding, groups: the whole batch's loss
	backSplit  = []bool{true, true, true, true, true} // pixels, ids, eot, dImg, dTxt
	applySplit = []bool{false, false, false}          // lr, stepSize, sqrtBC2
)

// run runs e on the trainer's devices: on one, as it is; on several, with the inputs
// that split marks split along the batch, returning the first device's outputs.
func (t *Trainer) run(e *gmodel.Exec, split []bool, args ...*tensors.Tensor) ([]*tensors.Tensor, error) {
	if t.par == nil {
		plain := make([]any, len(args))
		for i, a := range args {
			plain[i] = a
		}
		return call(e, plain...)
	}
	return t.par.call(e, split, args...)
}

// LogitBias is the sigmoid loss's learnable bias b, named as the hub's SiglipModel names it.
// Checkpoints keep it (model.safetensors); an export does not, since a CLIPModel has no
// bias, and it is not needed: zero-shot classification is a softmax over the labels'
// logits, which a constant added to all of them leaves unchanged.
const LogitBias = "logit_bias"

// The sigmoid loss's initial temperature and bias, the paper's (Zhai et al. 2023, §3.2):
// with N² pairs of which only N are positives, a start at t = 10, b = -10 makes every
// logit t·cos - 10 ≈ -10, so σ ≈ 0 for all pairs: the prior matches the heavy imbalance
// and the first steps are not spent on large gradients pushing all the negatives down.
var (
	SigmoidInitLogScale = math.Log(10)
	SigmoidInitBias     = -10.0
)

// loss is the training objective on a batch's embeddings: the model's scaled cosine
// similarities under Hyper.Loss (plus the bias, for the sigmoid loss).
func (t *Trainer) loss(img, txt, groups *Node) *Node {
	logits := model.Logits(t.Model.Store, img, txt)
	if !t.Hyper.sigmoid() {
		return ContrastiveLoss(logits, groups)
	}
	bias := t.Model.Store.GetVariable(model.VarPath(LogitBias)).NodeValue(logits.Graph())
	return SigmoidLoss(Add(logits, bias), groups)
}

// adamW applies one AdamW step (PyTorch's formulation, decoupled weight decay on weights
// of rank ≥ 2 only, so never on the scalar logit scale or bias) from the accumulated
// gradients, clipped to the global norm GradClip, then zeroes the accumulators and clamps
// the logit scale to [0, ln 100] (the bias is not clamped). The inputs are
// the learning rate, lr/(1-β₁ᵗ) and sqrt(1-β₂ᵗ), computed on the host in float64.
// It returns the global gradient norm before clipping.
//
// Every element-wise op is one pass over a parameter-sized buffer on one core (the token
// embedding alone is 12.6M values in the small shape), so scalars are folded together:
// the clip factor goes into the moments' coefficients, and
// stepSize·m/(√v/√bc₂ + ε) = (stepSize·√bc₂)·m/(√v + ε·√bc₂). The squared norm is a dot
// product (sumRows), and g² is shared with the second moment.
func (t *Trainer) adamW(_ *gmodel.Scope, lr, stepSize, sqrtBC2 *Node) *Node {
	g := lr.Graph()
	h := t.Hyper
	grads := make([]*Node, len(t.grads))
	squares := make([]*Node, len(t.grads)) // g², for the norm and the second moment
	sumSq := ScalarZero(g, dtypes.Float32)
	for i, acc := range t.grads {
		grads[i] = acc.NodeValue(g)
		squares[i] = Square(grads[i])
		sumSq = Add(sumSq, ReduceAllSum(sumRows(squares[i])))
	}
	norm := Sqrt(sumSq)
	clip := ScalarOne(g, dtypes.Float32)
	if h.GradClip > 0 {
		clip = MinScalar(Div(Scalar(g, dtypes.Float32, h.GradClip), AddScalar(norm, 1e-6)), 1)
	}
	c1 := MulScalar(clip, 1-h.Beta1)         // m ← β₁m + (1−β₁)·clip·g
	c2 := MulScalar(Square(clip), 1-h.Beta2) // v ← β₂v + (1−β₂)·clip²·g²
	rate := Mul(stepSize, sqrtBC2)           // stepSize·√bc₂
	eps := MulScalar(sqrtBC2, h.Eps)         // ε·√bc₂
	decay := OneMinus(MulScalar(lr, h.WeightDecay))
	for i, p := range t.params {
		grad := grads[i]
		m := Add(MulScalar(t.moment1[i].NodeValue(g), h.Beta1), Mul(grad, c1))
		v := Add(MulScalar(t.moment2[i].NodeValue(g), h.Beta2), Mul(squares[i], c2))
		t.moment1[i].SetNodeValue(m)
		t.moment2[i].SetNodeValue(v)
		value := p.NodeValue(g)
		if p.Shape().Rank() >= 2 && h.WeightDecay > 0 {
			value = Mul(value, decay)
		}
		value = Sub(value, Mul(Div(m, Add(Sqrt(v), eps)), rate))
		if t.names[i] == "logit_scale" {
			value = ClipScalar(value, 0, math.Log(model.MaxLogitScale))
		}
		p.SetNodeValue(value)
		t.grads[i].SetNodeValue(ZerosLike(grads[i]))
	}
	return norm
}

// sumRows sums x over its leading axes ([..., d] → [d]; a vector is one row) as a product
// with a vector of ones: on the Go backend, 10× faster than ReduceSum, which is left with d
// values to add.
func sumRows(x *Node) *Node {
	d := 1
	if x.Rank() > 0 {
		d = x.Shape().Dimensions[x.Rank()-1]
	}
	rows := x.Shape().Size() / d
	if rows == 1 {
		return x
	}
	if x.Rank() != 2 {
		x = Reshape(x, rows, d) // only when needed: the Go backend may copy for a reshape
	}
	ones := Ones(x.Graph(), shapes.Make(x.DType(), 1, rows))
	return DotGeneral(ones, []int{1}, nil, x, []int{0}, nil)
}

// ComputeGradients runs the forward and backward passes of a batch and leaves the
// gradients in the accumulators; it returns the loss. With MicroBatch < Batch it uses
// gradient caching (Gao et al. 2021): the same gradients, with the memory of one
// micro-batch of activations.
func (t *Trainer) ComputeGradients(b Batch) (float64, error) {
	n := len(b.Tokens)
	v := t.Model.Config.Vision
	per := v.NumChannels * v.ImageSize * v.ImageSize
	if n < 2 || len(b.Pixels) != n*per {
		return 0, fmt.Errorf("batch of %d texts and %d pixel values (want ≥ 2 pairs of %d values)", n, len(b.Pixels), per)
	}
	pixels := func(lo, hi int) *tensors.Tensor {
		return tensors.FromFlatDataAndDimensions(b.Pixels[lo*per:hi*per], hi-lo, v.NumChannels, v.ImageSize, v.ImageSize)
	}
	groups, err := b.groups()
	if err != nil {
		return 0, err
	}
	micro := min(t.Hyper.micro(), n)
	if micro >= n {
		ids, eot, err := model.PackTokens(t.Model.Config, b.Tokens)
		if err != nil {
			return 0, err
		}
		out, err := t.run(t.fullExec, fullSplit, pixels(0, n), ids, eot, groups)
		if err != nil {
			return 0, err
		}
		return scalar(out[0]), nil
	}
	// 1. Embeddings of every micro-batch, no activations kept.
	type chunk struct {
		lo, hi   int
		ids, eot *tensors.Tensor
	}
	var chunks []chunk
	var imgs, txts []float32
	for lo := 0; lo < n; lo += micro {
		hi := min(lo+micro, n)
		ids, eot, err := model.PackTokens(t.Model.Config, b.Tokens[lo:hi])
		if err != nil {
			return 0, err
		}
		chunks = append(chunks, chunk{lo, hi, ids, eot})
		out, err := t.run(t.embedExec, embedSplit, pixels(lo, hi), ids, eot)
		if err != nil {
			return 0, err
		}
		imgs = append(imgs, tensors.MustCopyFlatData[float32](out[0])...)
		txts = append(txts, tensors.MustCopyFlatData[float32](out[1])...)
	}
	// 2. The loss over all N×N pairs and its gradient with respect to every embedding.
	e := t.Model.Config.ProjectionDim
	out, err := t.run(t.lossExec, lossSplit, tensors.FromFlatDataAndDimensions(imgs, n, e), tensors.FromFlatDataAndDimensions(txts, n, e), groups)
	if err != nil {
		return 0, err
	}
	loss := scalar(out[0])
	dImg, dTxt := tensors.MustCopyFlatData[float32](out[1]), tensors.MustCopyFlatData[float32](out[2])
	// 3. Each micro-batch again, back-propagating its slice of the embedding gradients.
	for _, c := range chunks {
		dI := tensors.FromFlatDataAndDimensions(dImg[c.lo*e:c.hi*e], c.hi-c.lo, e)
		dT := tensors.FromFlatDataAndDimensions(dTxt[c.lo*e:c.hi*e], c.hi-c.lo, e)
		if _, err := t.run(t.backExec, backSplit, pixels(c.lo, c.hi), c.ids, c.eot, dI, dT); err != nil {
			return 0, err
		}
		// The Go backend keeps freed buffers in sync.Pools for reuse, which only a
		// collection empties: without one here, the idle buffers of earlier micro-batches
		// could sit beside the next one's activations and double the peak that gradient
		// caching exists to bound. A collection costs milliseconds (the heap is mostly
		// pointer-free buffers); a micro-batch, seconds.
		runtime.GC()
	}
	return loss, nil
}

// Apply takes one AdamW step with the accumulated gradients and returns the gradient norm.
func (t *Trainer) Apply() (float64, error) {
	h := t.Hyper
	lr := h.LearningRate(t.Step)
	step := float64(t.Step + 1)
	stepSize := lr / (1 - math.Pow(h.Beta1, step))
	sqrtBC2 := math.Sqrt(1 - math.Pow(h.Beta2, step))
	if t.useHost {
		norm, err := t.hostAdamW(lr, stepSize, sqrtBC2)
		if err != nil {
			return 0, err
		}
		t.Step++
		return norm, nil
	}
	out, err := t.run(t.applyExec, applySplit, tensors.FromScalar(float32(lr)), tensors.FromScalar(float32(stepSize)), tensors.FromScalar(float32(sqrtBC2)))
	if err != nil {
		return 0, err
	}
	t.Step++
	return scalar(out[0]), nil
}

// TrainStep is ComputeGradients then Apply.
func (t *Trainer) TrainStep(b Batch) (loss, gradNorm float64, err error) {
	if loss, err = t.ComputeGradients(b); err != nil {
		return 0, 0, err
	}
	gradNorm, err = t.Apply()
	return loss, gradNorm, err
}

// Gradients returns the accumulated gradients by parameter name (for tests and tools).
func (t *Trainer) Gradients() (map[string][]float32, error) {
	out := map[string][]float32{}
	for i, g := range t.grads {
		v, err := g.Value()
		if err != nil {
			return nil, err
		}
		out[t.names[i]] = tensors.MustCopyFlatData[float32](v)
	}
	return out, nil
}

// call runs an executable, turning GoMLX's panics into errors.
func call(e *gmodel.Exec, args ...any) (out []*tensors.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return e.Call(args...)
}

func scalar(t *tensors.Tensor) float64 {
	return float64(tensors.MustCopyFlatData[float32](t)[0])
}
