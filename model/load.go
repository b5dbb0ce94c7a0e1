package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/clip-go/clip/model/arch"
	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/model/tokenizer"
	"github.com/clip-go/clip/weights"
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	gmodel "github.com/gomlx/gomlx/ml/model"
)

// NewStore puts hub-named float32 tensors into a GoMLX store, checking that every
// parameter the config calls for is present with the right shape. Unknown tensors (such
// as the hub's position_ids buffers) are ignored.
func NewStore(cfg Config, params map[string]*weights.Tensor) (*gmodel.Store, error) {
	store := gmodel.NewStore()
	names, err := cfg.CheckParams(shapeIn(params))
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		t := params[name]
		vals, err := t.Float32s()
		if err != nil {
			return nil, fmt.Errorf("parameter %q: %v", name, err)
		}
		var tt *tensors.Tensor
		if len(t.Shape) == 0 {
			tt = tensors.FromScalar(vals[0])
		} else {
			tt = tensors.FromFlatDataAndDimensions(vals, t.Shape...)
		}
		if _, err := store.CreateVariable(VarPath(name), tt); err != nil {
			return nil, err
		}
	}
	return store, nil
}

// shapeIn reports the shapes of a parameter map, for Config.CheckParams.
func shapeIn(params map[string]*weights.Tensor) func(string) ([]int, bool) {
	return func(name string) ([]int, bool) {
		t, ok := params[name]
		if !ok {
			return nil, false
		}
		return t.Shape, true
	}
}

// ParamsFromFile returns a checkpoint's parameters under hub names, converting the
// original naming scheme when it finds it, and the config inferred from it for original
// checkpoints (nil for hub ones, which need config.json).
func ParamsFromFile(f *weights.File) (map[string]*weights.Tensor, *Config, error) {
	if isOriginalNames(f) {
		cfg, err := inferConfig(f)
		if err != nil {
			return nil, nil, err
		}
		params, err := fromOriginalNames(f)
		return params, &cfg, err
	}
	params := map[string]*weights.Tensor{}
	for name, t := range f.Tensors {
		t, err := toF32(name, t)
		if err != nil {
			return nil, nil, err
		}
		params[name] = t
	}
	return params, nil, nil
}

// FindWeights returns the safetensors files of a model folder: model.safetensors, the
// shards listed in model.safetensors.index.json, or the one *.safetensors file there is.
func FindWeights(dir string) ([]string, error) {
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("model folder %s: %w", dir, errors.Unwrap(err))
	} else if !st.IsDir() {
		return []string{dir}, nil // a weights file given directly
	}
	single := filepath.Join(dir, "model.safetensors")
	if _, err := os.Stat(single); err == nil {
		return []string{single}, nil
	}
	index := filepath.Join(dir, "model.safetensors.index.json")
	if data, err := os.ReadFile(index); err == nil {
		var idx struct {
			WeightMap map[string]string `json:"weight_map"`
		}
		if err := json.Unmarshal(data, &idx); err != nil {
			return nil, fmt.Errorf("%s: corrupt index: %v", index, err)
		}
		var files []string
		for _, f := range idx.WeightMap {
			p := filepath.Join(dir, filepath.Base(f))
			if !slices.Contains(files, p) {
				files = append(files, p)
			}
		}
		sort.Strings(files)
		return files, nil
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	switch len(matches) {
	case 1:
		return matches, nil
	case 0:
		if _, err := os.Stat(filepath.Join(dir, "pytorch_model.bin")); err == nil {
			return nil, fmt.Errorf("%s: only pytorch_model.bin, which we do not read (pickle can run code); download model.safetensors instead", dir)
		}
		return nil, fmt.Errorf("%s: no model.safetensors", dir)
	}
	return nil, fmt.Errorf("%s: several .safetensors files and no model.safetensors: name the file to use", dir)
}

// LoadWeights reads the weights of a model folder (or file) and its config: config.json
// when the folder has one, otherwise inferred from original-name shapes.
func LoadWeights(path string) (Config, map[string]*weights.Tensor, error) {
	files, err := FindWeights(path)
	if err != nil {
		return Config{}, nil, err
	}
	merged := weights.NewFile()
	for _, file := range files {
		f, err := weights.ReadFile(file)
		if err != nil {
			return Config{}, nil, err
		}
		for n, t := range f.Tensors {
			merged.Tensors[n] = t
		}
	}
	params, inferred, err := ParamsFromFile(merged)
	if err != nil {
		return Config{}, nil, fmt.Errorf("%s: %w", files[0], err)
	}
	dir := path
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		dir = filepath.Dir(path)
	}
	cfgPath := filepath.Join(dir, "config.json")
	var cfg Config
	if _, err := os.Stat(cfgPath); err == nil {
		if cfg, err = arch.Load(cfgPath); err != nil {
			return Config{}, nil, err
		}
	} else if inferred != nil {
		cfg = *inferred
	} else {
		return Config{}, nil, fmt.Errorf("%s: no config.json (needed for hub-named weights)", dir)
	}
	return cfg, params, nil
}

// Model is a loaded CLIP: its config, parameters and the executables that run it.
type Model struct {
	Config  Config
	Store   *gmodel.Store
	Backend compute.Backend

	// Set by Load for inference from a model folder.
	Tokenizer *tokenizer.Tokenizer
	Image     imageproc.Config

	textExec, imageExec *gmodel.Exec
}

// New builds a Model from hub-named parameters.
func New(backend compute.Backend, cfg Config, params map[string]*weights.Tensor) (*Model, error) {
	store, err := NewStore(cfg, params)
	if err != nil {
		return nil, err
	}
	m := &Model{Config: cfg, Store: store, Backend: backend}
	err = catch(func() error {
		var err error
		m.textExec, err = gmodel.NewExec(backend, store, func(s *gmodel.Scope, ids, eot *Node) *Node {
			return TextFeatures(s.Store(), cfg, ids, eot)
		})
		if err != nil {
			return err
		}
		m.imageExec, err = gmodel.NewExec(backend, store, func(s *gmodel.Scope, pixels *Node) *Node {
			return ImageFeatures(s.Store(), cfg, pixels)
		})
		return err
	})
	return m, err
}
