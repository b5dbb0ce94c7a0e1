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
