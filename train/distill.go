package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	gmodel "github.com/gomlx/gomlx/ml/model"

	"github.com/clip-go/clip/model"
)

// Distillation gives the text tower language (issue 26): a pretrained sentence encoder,
// the teacher (package teacher), embeds every training text once at data-build time, and
// the text tower learns to map each text, through a learned head, to the teacher's
// embedding of it. Only the text tower trains (its encoder, final layer norm and text
// projection) and the head: the image tower and the logit scale are neither updated nor
// decayed. The head is the distiller's own: no CLIP has it, and an export leaves it out.

// DistillHead is the head's name in the store: [projection dim, teacher dim], a linear
// map from the text tower's projected features to the teacher's space.
const DistillHead = "distill_head"

// NewDistiller prepares distillation of m's text tower towards a teacher of dim
// dimensions with h's optimizer settings (Batch is the texts per step). Each step is
// Distill, then Apply.
func NewDistiller(m *model.Model, h Hyper, dim int) (*Trainer, error) {
	if dim <= 0 {
		return nil, fmt.Errorf("distillation to a teacher of %d dimensions", dim)
	}
	return newTrainer(m, h, 1, dim)
}

// textTower says whether a parameter belongs to what distillation trains.
func textTower(name string) bool {
	return strings.HasPrefix(name, "text_model.") || name == "text_projection.weight" || name == DistillHead
}

// addDistillHead keeps only the text tower's parameters trainable and adds the head,
// made unless the store has one (from a checkpoint): normal with variance 1/E, so that
// the head's outputs start at the scale of its inputs.
func (t *Trainer) addDistillHead() error {
	t.names = slices.DeleteFunc(t.names, func(n string) bool { return !textTower(n) })
	store, e := t.Model.Store, t.Model.Config.ProjectionDim
	if store.GetVariable(model.VarPath(DistillHead)) == nil {
		rng := rand.New(rand.NewPCG(t.Hyper.Seed, 26))
		w := make([]float32, e*t.distillDim)
		for i := range w {
			w[i] = float32(rng.NormFloat64() / math.Sqrt(float64(e)))
		}
		if _, err := store.CreateVariable(model.VarPath(DistillHead), tensors.FromFlatDataAndDimensions(w, e, t.distillDim)); err != nil {
			return err
		}
	}
	t.names = append(t.names, DistillHead)
	return nil
}

// distillGraph is the distillation loss of a batch, 1 − the mean cosine between the
// head's output and the teacher's (unit) embedding, plus the anchor's term (see
// DistillAnchored), whose gradients it accumulates. It returns the loss and the
// distillation term alone.
func (t *Trainer) distillGraph(_ *gmodel.Scope, ids, eot, target, anchor, weight, lambda *Node) (*Node, *Node) {
	store, cfg := t.Model.Store, t.Model.Config
	txt := model.TextFeatures(store, cfg, ids, eot)
	g := txt.Graph()
	cosine := func(a, b *Node) *Node { // rows of a against unit rows of b
		return Div(ReduceSum(Mul(a, b), -1), Sqrt(AddScalar(ReduceSum(Square(a), -1), 1e-12)))
	}
	pred := MatMul(txt, store.GetVariable(model.VarPath(DistillHead)).NodeValue(g))
	distill := OneMinus(ReduceAllMean(cosine(pred, target)))
	// The anchor: 1 − cosine to the embedding the text had, averaged over the weighted rows.
	kept := ReduceAllSum(Mul(weight, OneMinus(cosine(txt, anchor))))
	anchored := Div(kept, Max(ReduceAllSum(weight), ScalarOne(g, weight.DType())))
	loss := Add(distill, Mul(lambda, anchored))
	all := t.indices(func(string) bool { return true })
	t.accumulate(g, all, Gradient(loss, t.paramNodes(g, all)...))
	return loss, distill
}

// Distill computes the distillation loss of texts (token rows) against the teacher's
// embeddings of them (targets: one unit vector of the teacher's dimension per text, row
// after row) and leaves its gradients in the accumulators; Apply takes the step.
func (t *Trainer) Distill(texts [][]int, targets []float32) (float64, error) {
	loss, _, err := t.DistillAnchored(texts, targets, nil, nil, 0)
	return loss, err
}

// DistillAnchored is Distill with an anchor: the texts whose weight is 1 are also pulled
// towards anchors (one unit vector of the projection dimension per text: the embedding
// the text tower gave them before distillation), lambda times 1 − their mean cosine. The
// anchor keeps the captions the image tower was trained against where that tower expects
// them, so that distillation adds language without breaking what the model could already
// match; texts the model never learned (weight 0) are placed by the teacher alone. It
// returns the loss and its distillation term. anchors and weights nil: no anchor.
func (t *Trainer) DistillAnchored(texts [][]int, targets, anchors, weights []float32, lambda float64) (loss, distill float64, err error) {
	if t.distillExec == nil {
		return 0, 0, fmt.Errorf("not a distiller (NewDistiller)")
	}
	n, e := len(texts), t.Model.Config.ProjectionDim
	if n == 0 || len(targets) != n*t.distillDim {
		return 0, 0, fmt.Errorf("%d texts and %d target values (want %d per text)", n, len(targets), t.distillDim)
	}
	if anchors == nil && weights == nil {
		anchors, weights = make([]float32, n*e), make([]float32, n)
	}
	if len(anchors) != n*e || len(weights) != n {
		return 0, 0, fmt.Errorf("%d texts, %d anchor values and %d weights (want %d values per text and a weight each)", n, len(anchors), len(weights), e)
	}
	ids, eot, err := model.PackTokens(t.Model.Config, texts)
	if err != nil {
		return 0, 0, err
	}
	out, err := call(t.distillExec, ids, eot, tensors.FromFlatDataAndDimensions(targets, n, t.distillDim),
		tensors.FromFlatDataAndDimensions(anchors, n, e), tensors.FromFlatDataAndDimensions(weights, n), tensors.FromScalar(float32(lambda)))
	if err != nil {
		return 0, 0, err
	}
	return scalar(out[0]), scalar(out[1]), nil
}
