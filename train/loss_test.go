package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clip-go/clip/model"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
)

// wantContrastive is the multi-positive loss computed on the host in float64, straight
// from its definition: each row's (and column's) target spreads evenly over the pairs
// of its group.
func wantContrastive(logits [][]float64, groups []int32) float64 {
	n := len(logits)
	logSoftmax := func(x []float64) []float64 {
		m := math.Inf(-1)
		for _, v := range x {
			m = math.Max(m, v)
		}
		s := 0.0
		for _, v := range x {
			s += math.Exp(v - m)
		}
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = v - m - math.Log(s)
		}
		return out
	}
	size := map[int32]int{}
	for _, g := range groups {
		size[g]++
	}
	var rowLoss, colLoss float64
	for i := 0; i < n; i++ {
		row, col := make([]float64, n), make([]float64, n)
		for j := 0; j < n; j++ {
			row[j], col[j] = logits[i][j], logits[j][i]
		}
		lr, lc := logSoftmax(row), logSoftmax(col)
		for j := 0; j < n; j++ {
			if groups[i] == groups[j] {
				w := 1 / float64(size[groups[i]])
				rowLoss -= w * lr[j]
				colLoss -= w * lc[j]
			}
		}
	}
	return (rowLoss + colLoss) / float64(2*n)
}

func TestContrastiveLossGroups(t *testing.T) {
	backend, err := model.NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	exec := MustNewExec(backend, func(logits, groups *Node) *Node { return ContrastiveLoss(logits, groups) })
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name   string
		groups []int32
	}{
		{"distinct", []int32{0, 1, 2, 3, 4}},
		{"one pair shared", []int32{7, 7, 1, 2, 3}},
		{"two groups", []int32{1, 2, 1, 2, 1}},
		{"all one group", []int32{9, 9, 9, 9, 9}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := len(tc.groups)
			logits := make([][]float64, n)
			flat := make([]float32, 0, n*n)
			for i := range logits {
				logits[i] = make([]float64, n)
				for j := range logits[i] {
					v := float32(r.NormFloat64() * 3)
					logits[i][j] = float64(v)
					flat = append(flat, v)
				}
			}
			got := exec.MustExec(tensors.FromFlatDataAndDimensions(flat, n, n), tensors.FromValue(tc.groups))[0]
			g := float64(tensors.MustCopyFlatData[float32](got)[0])
			want := wantContrastive(logits, tc.groups)
			if math.Abs(g-want) > 1e-5*math.Max(1, math.Abs(want)) {
				t.Errorf("loss %.7f, want %.7f", g, want)
			}
		})
	}
	// Distinct groups are CLIP's loss: -mean log-softmax of the diagonal, both ways.
	logits := [][]float64{{2, 0.5}, {-1, 1}}
	want := wantContrastive(logits, []int32{0, 1})
	clip := -(math.Log(math.Exp(2)/(math.Exp(2)+math.Exp(0.5))) + math.Log(math.Exp(1)/(math.Exp(-1)+math.Exp(1))) +
		math.Log(math.Exp(2)/(math.Exp(2)+math.Exp(-1))) + math.Log(math.Exp(1)/(math.Exp(0.5)+math.Exp(1)))) / 4
	if math.Abs(want-clip) > 1e-12 {
		t.Fatalf("reference formula %v differs from CLIP's loss %v", want, clip)
	}
}

// wantSigmoid is SigLIP's loss computed on the host in float64, straight from its
// definition: -(1/N) Σᵢⱼ log σ(zᵢⱼ·logitsᵢⱼ), z = +1 within a group, -1 across groups.
func wantSigmoid(logits [][]float64, groups []int32) float64 {
	var sum float64
	for i := range logits {
		for j, l := range logits[i] {
			z := -1.0
			if groups[i] == groups[j] {
				z = 1
			}
			sum -= math.Log(1 / (1 + math.Exp(-z*l)))
		}
	}
	return sum / float64(len(logits))
}

// identity is the group ids of n pairs that are each their own group.
func identity(n int) []int32 {
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = int32(i)
	}
	return ids
}

// randomLogits returns n×n logits as float64 rows and as float32 values, drawn around
// the sigmoid loss's starting point (t·cos + b ≈ -10) with a spread that reaches past 0.
func randomLogits(r *rand.Rand, n int) ([][]float64, []float32) {
	logits := make([][]float64, n)
	flat := make([]float32, 0, n*n)
	for i := range logits {
		logits[i] = make([]float64, n)
		for j := range logits[i] {
			v := float32(r.NormFloat64()*6 - 5)
			logits[i][j] = float64(v)
			flat = append(flat, v)
		}
	}
	return logits, flat
}

func TestSigmoidLossMatchesFormula(t *testing.T) {
	backend, err := model.NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	withGroups := MustNewExec(backend, func(logits, groups *Node) *Node { return SigmoidLoss(logits, groups) })
	noGroups := MustNewExec(backend, func(logits *Node) *Node { return SigmoidLoss(logits, nil) })
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		name   string
		n      int
		groups []int32 // nil: SigmoidLoss(logits, nil)
	}{
		{"nil groups, N=2", 2, nil},
		{"nil groups, N=7", 7, nil},
		{"distinct, N=5", 5, identity(5)},
		{"one pair shared, N=5", 5, []int32{7, 7, 1, 2, 3}},
		{"two groups, N=6", 6, []int32{1, 2, 1, 2, 1, 2}},
		{"all one group, N=4", 4, []int32{9, 9, 9, 9}},
		{"mixed, N=16", 16, []int32{0, 1, 0, 2, 3, 1, 4, 5, 6, 7, 8, 0, 9, 9, 10, 11}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logits, flat := randomLogits(r, tc.n)
			x := tensors.FromFlatDataAndDimensions(flat, tc.n, tc.n)
			var got *tensors.Tensor
			groups := tc.groups
			if groups == nil {
				got, groups = noGroups.MustExec(x)[0], identity(tc.n)
			} else {
				got = withGroups.MustExec(x, tensors.FromValue(groups))[0]
			}
			g := float64(tensors.MustCopyFlatData[float32](got)[0])
			want := wantSigmoid(logits, groups)
			if math.Abs(g-want) > 1e-5*math.Max(1, math.Abs(want)) {
				t.Errorf("loss %.7f, want %.7f", g, want)
			}
		})
	}
	// Far out in both tails the stable form neither overflows nor rounds to zero:
	// log σ(±100) is 0 (to float32) and -100.
	x := tensors.FromFlatDataAndDimensions([]float32{100, -100, -100, 100}, 2, 2)
	if got := tensors.MustCopyFlatData[float32](noGroups.MustExec(x)[0])[0]; got > 1e-6 || got < 0 {
		t.Errorf("confident and right: loss %v, want ≈ 0", got)
	}
	x = tensors.FromFlatDataAndDimensions([]float32{-100, 100, 100, -100}, 2, 2)
	if got := tensors.MustCopyFlatData[float32](noGroups.MustExec(x)[0])[0]; math.Abs(float64(got)-200) > 1e-3 {
		t.Errorf("confident and wrong: loss %v, want 200", got)
	}
}

// TestLossGradientsMatchFiniteDifferences: each loss's gradient with respect to the
// logits, as GoMLX differentiates it, against central differences of the float64 formula.
func TestLossGradientsMatchFiniteDifferences(t *testing.T) {
	backend, err := model.NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct {
		name   string
		loss   func(logits, groups *Node) *Node
		want   func(logits [][]float64, groups []int32) float64
		groups []int32
	}{
		{"sigmoid distinct", SigmoidLoss, wantSigmoid, identity(4)},
		{"sigmoid groups", SigmoidLoss, wantSigmoid, []int32{3, 1, 3, 2, 1}},
		{"softmax distinct", ContrastiveLoss, wantContrastive, identity(4)},
		{"softmax groups", ContrastiveLoss, wantContrastive, []int32{3, 1, 3, 2, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec := MustNewExec(backend, func(logits, groups *Node) *Node {
				return Gradient(tc.loss(logits, groups), logits)[0]
			})
			n := len(tc.groups)
			logits, flat := randomLogits(r, n)
			grad := tensors.MustCopyFlatData[float32](exec.MustExec(
				tensors.FromFlatDataAndDimensions(flat, n, n), tensors.FromValue(tc.groups))[0])
			const h = 1e-5
			for i := range n {
				for j := range n {
					keep := logits[i][j]
					logits[i][j] = keep + h
					up := tc.want(logits, tc.groups)
					logits[i][j] = keep - h
					down := tc.want(logits, tc.groups)
					logits[i][j] = keep
					fd := (up - down) / (2 * h)
					if got := float64(grad[i*n+j]); math.Abs(got-fd) > 1e-5+1e-4*math.Abs(fd) {
						t.Errorf("d loss/d logits[%d][%d] = %.7f, finite differences %.7f", i, j, got, fd)
					}
				}
			}
		})
	}
}
