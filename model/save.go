package model

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/model/tokenizer"
	"github.com/clip-go/clip/weights"
	"github.com/gomlx/gomlx/core/tensors"
)

// Params returns the model's parameters by hub name, as float32 tensors.
func (m *Model) Params() (map[string]*weights.Tensor, error) {
	out := map[string]*weights.Tensor{}
	for name, shape := range m.Config.ParamShapes() {
		v := m.Store.GetVariable(VarPath(name))
		if v == nil {
			return nil, fmt.Errorf("model has no parameter %q", name)
		}
		t, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("parameter %q: %w", name, err)
		}
		out[name] = weights.FromFloat32s(shape, tensors.MustCopyFlatData[float32](t))
	}
	return out, nil
}

// SetParams overwrites the parameters' values (for example from a checkpoint); shapes must
// match the config.
func (m *Model) SetParams(params map[string]*weights.Tensor) error {
	store, err := NewStore(m.Config, params)
	if err != nil {
		return err
	}
	for name := range m.Config.ParamShapes() {
		t, _ := store.GetVariable(VarPath(name)).Value()
		if err := m.Store.GetVariable(VarPath(name)).SetValue(t); err != nil {
			return err
		}
	}
	return nil
}

// SaveFolder writes a model folder in the hub layout (config.json, model.safetensors,
// vocab.json, merges.txt, tokenizer.json, tokenizer_config.json, special_tokens_map.json,
// preprocessor_config.json) that Load, and other CLIP tools, read.
// tok nil means the built-in original vocabulary; img nil means CLIP's preprocessing.
func (m *Model) SaveFolder(dir string, tok *tokenizer.Tokenizer, img *imageproc.Config) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if tok == nil {
		var err error
		if tok, err = tokenizer.Default(); err != nil {
			return err
		}
	}
	ic := imageproc.DefaultConfig(m.Config.Vision.ImageSize)
	if img != nil {
		ic = *img
	}
	params, err := m.Params()
	if err != nil {
		return err
	}
	f := weights.NewFile()
	f.Tensors = params
	f.Metadata["format"] = "pt" // what the hub's loaders expect of a PyTorch-layout file
	if err := weights.WriteFile(filepath.Join(dir, "model.safetensors"), f); err != nil {
		return err
	}
	cfg := m.Config
	cfg.TorchDType = "float32"
	js, err := cfg.Marshal()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), js, 0o644); err != nil {
		return err
	}
	pre, err := ic.MarshalHub()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "preprocessor_config.json"), pre, 0o644); err != nil {
		return err
	}
	if err := tok.WriteHub(dir); err != nil {
		return err
	}
	return tok.WriteHubFast(dir, m.Config.Text.MaxPositionEmbeddings)
}
