package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/weights"
	"github.com/gomlx/gomlx/core/tensors"
	gmodel "github.com/gomlx/gomlx/ml/model"
)

// A checkpoint is a folder checkpoints/step-NNNNNNNN/ of the run's output folder with
//
//	model.safetensors      the parameters, hub names (loads as a model on its own), and
//	                       with the sigmoid loss its bias logit_bias (which a CLIP ignores)
//	config.json            the model config
//	preprocessor_config.json  the image preprocessing (hub format), so a resumed run and
//	                       its export keep a fine-tuned model's (or --trim's)
//	optimizer.safetensors  AdamW moments, "adam_m.<name>" and "adam_v.<name>"
//	state.json             step, settings, data position, last metrics
//
// It is written to a temporary folder and renamed into place, so a crash at any moment
// leaves either the complete checkpoint or none; a half-written temporary folder is
// ignored and cleaned up.

// PreprocessorFile is the checkpoint's image preprocessing, named as in a hub folder.
const PreprocessorFile = "preprocessor_config.json"

// CheckpointImage is the image preprocessing a checkpoint folder records; a checkpoint
// from before it was recorded has CLIP's for the model's image size.
func CheckpointImage(dir string, cfg model.Config) (imageproc.Config, error) {
	p := filepath.Join(dir, PreprocessorFile)
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return imageproc.DefaultConfig(cfg.Vision.ImageSize), nil
	}
	return imageproc.LoadConfig(p)
}

// State is what a checkpoint records besides tensors.
type State struct {
	Step  int             `json:"step"`
	Hyper Hyper           `json:"hyper"`
	Data  json.RawMessage `json:"data,omitempty"` // the data loader's position
	Loss  float64         `json:"loss"`
	Extra map[string]any  `json:"extra,omitempty"`
}

const checkpointPrefix = "step-"

// SaveCheckpoint writes the trainer's state as a new checkpoint under dir and keeps only
// the newest keep checkpoints (0 keeps all).
func (t *Trainer) SaveCheckpoint(dir string, st State, keep int) (string, error) {
	root := filepath.Join(dir, "checkpoints")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	final := filepath.Join(root, fmt.Sprintf("%s%08d", checkpointPrefix, t.Step))
	removeTemporaries(root) // left by a run that crashed while writing; we own the folder now
	tmp, err := os.MkdirTemp(root, ".tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp) // after a successful rename there is nothing left to remove
	st.Step, st.Hyper = t.Step, t.Hyper
	if err := t.writeCheckpoint(tmp, st); err != nil {
		return "", err
	}
	if err := os.RemoveAll(final); err != nil { // a checkpoint of the same step, from a crashed run
		return "", err
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", err
	}
	syncDir(root)
	return final, prune(root, keep)
}

func (t *Trainer) writeCheckpoint(dir string, st State) error {
	params, err := t.Model.Params()
	if err != nil {
		return err
	}
	if t.Hyper.sigmoid() {
		b, err := t.Model.Store.GetVariable(model.VarPath(LogitBias)).Value()
		if err != nil {
			return err
		}
		params[LogitBias] = weights.FromFloat32s([]int{}, tensors.MustCopyFlatData[float32](b))
	}
	if t.distillDim > 0 { // the distiller's head, beside the model as the bias is
		h, err := t.Model.Store.GetVariable(model.VarPath(DistillHead)).Value()
		if err != nil {
			return err
		}
		params[DistillHead] = weights.FromFloat32s(h.Shape().Dimensions, tensors.MustCopyFlatData[float32](h))
	}
	mf := weights.NewFile()
	mf.Tensors = params
	mf.Metadata["format"] = "pt"
	if err := weights.WriteFile(filepath.Join(dir, "model.safetensors"), mf); err != nil {
		return err
	}
	of := weights.NewFile()
	for i, name := range t.names {
		for prefix, v := range map[string]*gmodel.Variable{"adam_m.": t.moment1[i], "adam_v.": t.moment2[i]} {
			val, err := v.Value()
			if err != nil {
				return err
			}
			of.Tensors[prefix+name] = weights.FromFloat32s(t.shape(i), tensors.MustCopyFlatData[float32](val))
		}
	}
	if err := weights.WriteFile(filepath.Join(dir, "optimizer.safetensors"), of); err != nil {
		return err
	}
	cfg, err := t.Model.Config.Marshal()
	if err != nil {
		return err
	}
	if err := writeFileSync(filepath.Join(dir, "config.json"), cfg); err != nil {
		return err
	}
	if t.Model.Image.Size > 0 {
		pre, err := t.Model.Image.MarshalHub()
		if err != nil {
			return err
		}
		if err := writeFileSync(filepath.Join(dir, PreprocessorFile), pre); err != nil {
			return err
		}
	}
	js, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return writeFileSync(filepath.Join(dir, "state.json"), js)
}

// LoadCheckpoint restores parameters, optimizer moments and step from a checkpoint folder
// and returns its State. The trainer must have been built for the same model shape.
func (t *Trainer) LoadCheckpoint(dir string) (State, error) {
	var st State
	js, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(js, &st); err != nil {
		return st, fmt.Errorf("%s: corrupt state.json: %v", dir, err)
	}
	if got, want := st.Hyper.LossName(), t.Hyper.LossName(); got != want {
		return st, fmt.Errorf("%s: trained with the %s loss, cannot continue with the %s loss", dir, got, want)
	}
	mf, err := weights.ReadFile(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		return st, err
	}
	if err := t.Model.SetParams(mf.Tensors); err != nil {
		return st, fmt.Errorf("%s: %w", dir, err)
	}
	if t.Hyper.sigmoid() {
		b, ok := mf.Tensors[LogitBias]
		if !ok || len(b.Shape) != 0 {
			return st, fmt.Errorf("%s: the sigmoid loss's %s missing or not a scalar", dir, LogitBias)
		}
		vals, err := b.Float32s()
		if err != nil {
			return st, err
		}
		if err := t.Model.Store.GetVariable(model.VarPath(LogitBias)).SetValue(tensors.FromScalar(vals[0])); err != nil {
			return st, err
		}
	}
	if t.distillDim > 0 {
		want := []int{t.Model.Config.ProjectionDim, t.distillDim}
		h, ok := mf.Tensors[DistillHead]
		if !ok || fmt.Sprint(h.Shape) != fmt.Sprint(want) {
			return st, fmt.Errorf("%s: the distiller's %s missing or not of shape %v", dir, DistillHead, want)
		}
		vals, err := h.Float32s()
		if err != nil {
			return st, err
		}
		if err := t.Model.Store.GetVariable(model.VarPath(DistillHead)).SetValue(tensors.FromFlatDataAndDimensions(vals, want...)); err != nil {
			return st, err
		}
	}
	of, err := weights.ReadFile(filepath.Join(dir, "optimizer.safetensors"))
	if err != nil {
		return st, err
	}
	for i, name := range t.names {
		for prefix, target := range map[string]*gmodel.Variable{"adam_m.": t.moment1[i], "adam_v.": t.moment2[i]} {
			tt, ok := of.Tensors[prefix+name]
			if !ok || fmt.Sprint(tt.Shape) != fmt.Sprint(t.shape(i)) {
				return st, fmt.Errorf("%s: optimizer state for %q missing or of the wrong shape", dir, name)
			}
			vals, err := tt.Float32s()
			if err != nil {
				return st, err
			}
			if err := target.SetValue(tensors.FromFlatDataAndDimensions(vals, t.shape(i)...)); err != nil {
				return st, err
			}
		}
	}
	t.Step = st.Step
	return st, nil
}

// LatestCheckpoint returns the newest complete checkpoint under a run folder ("" if none).
func LatestCheckpoint(dir string) (string, error) {
	list, err := checkpoints(filepath.Join(dir, "checkpoints"))
	if err != nil || len(list) == 0 {
		return "", err
	}
	return list[len(list)-1], nil
}

// NewestIn is what a path names as a model: a run folder stands for its newest checkpoint
// (so one run can start where another ended, and export or merge a run as it is now);
// anything else, a checkpoint or model folder or file, is returned as given.
func NewestIn(path string) string {
	if latest, err := LatestCheckpoint(path); err == nil && latest != "" {
		return latest
	}
	return path
}

// removeTemporaries deletes half-written checkpoint folders. Only the writer of a run
// calls it: a reader (an export during training) must not delete a write in progress.
func removeTemporaries(root string) {
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
}

// checkpoints lists complete checkpoint folders, oldest first; temporary folders of
// writes in progress (or of crashed ones) are not checkpoints.
func checkpoints(root string) ([]string, error) {
	entries, err := os.ReadDir(root)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var list []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), checkpointPrefix) {
			list = append(list, filepath.Join(root, e.Name()))
		}
	}
	sort.Strings(list) // zero-padded step numbers sort in step order
	return list, nil
}

func prune(root string, keep int) error {
	if keep <= 0 {
		return nil
	}
	list, err := checkpoints(root)
	if err != nil {
		return err
	}
	for len(list) > keep {
		if err := os.RemoveAll(list[0]); err != nil {
			return err
		}
		list = list[1:]
	}
	return nil
}

func writeFileSync(path string, data []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
