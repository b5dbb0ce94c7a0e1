package train

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/weights"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestCheckpointResumesExactly: training 2 steps after a checkpoint gives the same losses
// whether the run went on or was restored from the checkpoint into a fresh trainer, with
// either loss (the sigmoid loss's bias is part of the state).
func TestCheckpointResumesExactly(t *testing.T) {
	for _, loss := range []string{"", LossSigmoid} {
		t.Run(Hyper{Loss: loss}.LossName(), func(t *testing.T) { testResumesExactly(t, loss) })
	}
}

func testResumesExactly(t *testing.T, loss string) {
	h := DefaultHyper()
	h.Batch, h.Steps, h.Warmup, h.LR, h.Loss = 6, 10, 2, 1e-3, loss
	dir := t.TempDir()
	batches := []Batch{}
	tr := newRandomTrainer(t, "tiny", h)
	for i := 0; i < 5; i++ {
		batches = append(batches, randomBatch(tr.Model.Config, 6, uint64(i)))
	}
	for _, b := range batches[:3] {
		if _, _, err := tr.TrainStep(b); err != nil {
			t.Fatal(err)
		}
	}
	// A crash mid-write leaves a temporary folder; it must be ignored and cleaned up.
	os.MkdirAll(filepath.Join(dir, "checkpoints", ".tmp-crashed"), 0o755)
	path, err := tr.SaveCheckpoint(dir, State{Data: []byte(`{"epoch":1}`)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	bias := checkpointBias(t, path)
	if h.sigmoid() != (bias != nil) {
		t.Fatalf("loss %q: logit_bias in the checkpoint: %v", loss, bias)
	}
	var want []float64
	for _, b := range batches[3:] {
		loss, _, _ := tr.TrainStep(b)
		want = append(want, loss)
	}

	fresh := newRandomTrainer(t, "tiny", h)
	latest, err := LatestCheckpoint(dir)
	if err != nil || latest != path {
		t.Fatalf("LatestCheckpoint = %q, %v; want %q", latest, err, path)
	}
	st, err := fresh.LoadCheckpoint(latest)
	if err != nil {
		t.Fatal(err)
	}
	var data bytes.Buffer
	json.Compact(&data, st.Data)
	if fresh.Step != 3 || st.Step != 3 || data.String() != `{"epoch":1}` {
		t.Errorf("restored step %d, state %+v", fresh.Step, st)
	}
	if bias != nil {
		// Three steps moved the bias off its start, and the restore brought it back.
		got, _ := fresh.Model.Store.GetVariable(model.VarPath(LogitBias)).Value()
		if b := tensors.MustCopyFlatData[float32](got)[0]; b != bias[0] || b == float32(SigmoidInitBias) {
			t.Errorf("restored logit_bias %v, checkpoint %v (start %v)", b, bias[0], SigmoidInitBias)
		}
	}
	for i, b := range batches[3:] {
		loss, _, _ := fresh.TrainStep(b)
		if loss != want[i] {
			t.Errorf("step %d after resume: loss %v, uninterrupted run %v", 4+i, loss, want[i])
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "checkpoints", ".tmp-crashed")); !os.IsNotExist(err) {
		t.Errorf("temporary folder of a crashed write not cleaned up")
	}
	// The checkpoint cannot be continued with the other loss.
	other := h
	other.Loss = map[bool]string{true: LossSoftmax, false: LossSigmoid}[h.sigmoid()]
	if _, err := newRandomTrainer(t, "tiny", other).LoadCheckpoint(path); err == nil || !strings.Contains(err.Error(), "loss") {
		t.Errorf("a %s checkpoint loaded for the %s loss: err = %v", h.LossName(), other.Loss, err)
	}
}

// checkpointBias returns the logit_bias a checkpoint's model.safetensors holds (nil: none).
func checkpointBias(t *testing.T, dir string) []float32 {
	t.Helper()
	f, err := weights.ReadFile(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	b, ok := f.Tensors[LogitBias]
	if !ok {
		return nil
	}
	vals, err := b.Float32s()
	if err != nil || len(b.Shape) != 0 {
		t.Fatalf("logit_bias of shape %v: %v", b.Shape, err)
	}
	return vals
}

func TestCheckpointKeepsLastK(t *testing.T) {
	h := DefaultHyper()
	h.Batch = 2
	tr := newRandomTrainer(t, "tiny", h)
	dir := t.TempDir()
	for step := 1; step <= 4; step++ {
		tr.Step = step
		if _, err := tr.SaveCheckpoint(dir, State{}, 2); err != nil {
			t.Fatal(err)
		}
	}
	list, _ := checkpoints(filepath.Join(dir, "checkpoints"))
	if len(list) != 2 || !strings.HasSuffix(list[0], "step-00000003") || !strings.HasSuffix(list[1], "step-00000004") {
		t.Errorf("kept %v", list)
	}
	// A damaged checkpoint is an error, not a panic.
	os.Truncate(filepath.Join(list[1], "model.safetensors"), 100)
	if _, err := tr.LoadCheckpoint(list[1]); err == nil || !strings.Contains(err.Error(), "model.safetensors") {
		t.Errorf("truncated checkpoint: err = %v", err)
	}
}
