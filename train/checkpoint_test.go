package train

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckpointResumesExactly: training 2 steps after a checkpoint gives the same losses
// whether the run went on or was restored from the checkpoint into a fresh trainer.
func TestCheckpointResumesExactly(t *testing.T) {
	h := DefaultHyper()
	h.Batch, h.Steps, h.Warmup, h.LR = 6, 10, 2, 1e-3
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
	for i, b := range batches[3:] {
		loss, _, _ := fresh.TrainStep(b)
		if loss != want[i] {
			t.Errorf("step %d after resume: loss %v, uninterrupted run %v", 4+i, loss, want[i])
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "checkpoints", ".tmp-crashed")); !os.IsNotExist(err) {
		t.Errorf("temporary folder of a crashed write not cleaned up")
	}
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
