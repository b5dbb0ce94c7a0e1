package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clip-go/clip/model/arch"
	"github.com/clip-go/clip/weights"
)

// A naive float64 CLIP, written from the paper and the original code with plain loops, to
// check the GoMLX model on shapes the fixture does not cover (other head counts, widths,
// activations, image and patch sizes, legacy end-token rules).

type refModel struct {
	cfg Config
	p   map[string][]float64
}

func newRefModel(cfg Config, params map[string]*weights.Tensor) refModel {
	r := refModel{cfg, map[string][]float64{}}
	for n, t := range params {
		v, _ := t.Float32s()
		f := make([]float64, len(v))
		for i, x := range v {
			f[i] = float64(x)
		}
		r.p[n] = f
	}
	return r
}

// linear: x [T][in] · W[out][in]ᵀ + b.
func (r refModel) linear(x [][]float64, name string, bias bool) [][]float64 {
	w := r.p[name+".weight"]
	in := len(x[0])
	out := len(w) / in
	y := make([][]float64, len(x))
	for t := range x {
		y[t] = make([]float64, out)
		for o := 0; o < out; o++ {
			s := 0.0
			if bias {
				s = r.p[name+".bias"][o]
			}
			for i := 0; i < in; i++ {
				s += x[t][i] * w[o*in+i]
			}
			y[t][o] = s
		}
	}
	return y
}

func (r refModel) layerNorm(x [][]float64, name string, eps float64) [][]float64 {
	g, b := r.p[name+".weight"], r.p[name+".bias"]
	y := make([][]float64, len(x))
	for t, row := range x {
		var mean, v float64
		for _, a := range row {
			mean += a
		}
		mean /= float64(len(row))
		for _, a := range row {
			v += (a - mean) * (a - mean)
		}
		v /= float64(len(row))
		y[t] = make([]float64, len(row))
		for i, a := range row {
			y[t][i] = (a-mean)/math.Sqrt(v+eps)*g[i] + b[i]
		}
	}
	return y
}

func refAct(name string, x float64) float64 {
	switch name {
	case "quick_gelu":
		return x / (1 + math.Exp(-1.702*x))
	case "gelu":
		return 0.5 * x * (1 + math.Erf(x/math.Sqrt2))
	}
	panic(name)
}

func (r refModel) block(x [][]float64, prefix string, heads int, act string, eps float64, causal bool) [][]float64 {
	h := r.layerNorm(x, prefix+".layer_norm1", eps)
	q := r.linear(h, prefix+".self_attn.q_proj", true)
	k := r.linear(h, prefix+".self_attn.k_proj", true)
	v := r.linear(h, prefix+".self_attn.v_proj", true)
	T, D := len(x), len(x[0])
	hd := D / heads
	att := make([][]float64, T)
	for i := range att {
		att[i] = make([]float64, D)
	}
	for hh := 0; hh < heads; hh++ {
		for i := 0; i < T; i++ {
			scores := make([]float64, T)
			m := math.Inf(-1)
			for j := 0; j < T; j++ {
				if causal && j > i {
					scores[j] = math.Inf(-1)
					continue
				}
				s := 0.0
				for d := 0; d < hd; d++ {
					s += q[i][hh*hd+d] * k[j][hh*hd+d]
				}
				scores[j] = s / math.Sqrt(float64(hd))
				m = math.Max(m, scores[j])
			}
			sum := 0.0
			for j := range scores {
				scores[j] = math.Exp(scores[j] - m)
				sum += scores[j]
			}
			for j := range scores {
				for d := 0; d < hd; d++ {
					att[i][hh*hd+d] += scores[j] / sum * v[j][hh*hd+d]
				}
			}
		}
	}
	o := r.linear(att, prefix+".self_attn.out_proj", true)
	for i := range x {
		for d := range x[i] {
			o[i][d] += x[i][d]
		}
	}
	x = o
	h = r.linear(r.layerNorm(x, prefix+".layer_norm2", eps), prefix+".mlp.fc1", true)
	for i := range h {
		for d := range h[i] {
			h[i][d] = refAct(act, h[i][d])
		}
	}
	h = r.linear(h, prefix+".mlp.fc2", true)
	for i := range x {
		for d := range x[i] {
			h[i][d] += x[i][d]
		}
	}
	return h
}

func (r refModel) text(ids []int, eot int) []float64 {
	t := r.cfg.Text
	D := t.HiddenSize
	x := make([][]float64, len(ids))
	for i, id := range ids {
		x[i] = make([]float64, D)
		for d := 0; d < D; d++ {
			x[i][d] = r.p["text_model.embeddings.token_embedding.weight"][id*D+d] + r.p["text_model.embeddings.position_embedding.weight"][i*D+d]
		}
	}
	for l := 0; l < t.NumHiddenLayers; l++ {
		x = r.block(x, fmt.Sprintf("text_model.encoder.layers.%d", l), t.NumAttentionHeads, t.HiddenAct, t.LayerNormEps, true)
	}
	x = r.layerNorm(x, "text_model.final_layer_norm", t.LayerNormEps)
	return r.linear(x[eot:eot+1], "text_projection", false)[0]
}

func (r refModel) image(px []float32) []float64 {
	v := r.cfg.Vision
	P, S, C, D := v.PatchSize, v.ImageSize, v.NumChannels, v.HiddenSize
	grid := S / P
	w := r.p["vision_model.embeddings.patch_embedding.weight"]
	x := [][]float64{append([]float64(nil), r.p["vision_model.embeddings.class_embedding"]...)}
	for gy := 0; gy < grid; gy++ {
		for gx := 0; gx < grid; gx++ {
			e := make([]float64, D)
			for o := 0; o < D; o++ {
				for c := 0; c < C; c++ {
					for py := 0; py < P; py++ {
						for pxx := 0; pxx < P; pxx++ {
							e[o] += float64(px[c*S*S+(gy*P+py)*S+gx*P+pxx]) * w[((o*C+c)*P+py)*P+pxx]
						}
					}
				}
			}
			x = append(x, e)
		}
	}
	for i := range x {
		for d := range x[i] {
			x[i][d] += r.p["vision_model.embeddings.position_embedding.weight"][i*D+d]
		}
	}
	x = r.layerNorm(x, "vision_model.pre_layrnorm", v.LayerNormEps)
	for l := 0; l < v.NumHiddenLayers; l++ {
		x = r.block(x, fmt.Sprintf("vision_model.encoder.layers.%d", l), v.NumAttentionHeads, v.HiddenAct, v.LayerNormEps, false)
	}
	x = r.layerNorm(x[:1], "vision_model.post_layernorm", v.LayerNormEps)
	return r.linear(x, "visual_projection", false)[0]
}

// randomParams draws every parameter of cfg, with non-trivial norms and biases.
func randomParams(cfg Config, seed uint64) map[string]*weights.Tensor {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := map[string]*weights.Tensor{}
	for name, shape := range cfg.ParamShapes() {
		n := 1
		for _, d := range shape {
			n *= d
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * 0.1)
			if strings.Contains(name, "norm") && strings.HasSuffix(name, "weight") {
				v[i] += 1
			}
		}
		if name == "logit_scale" {
			v[0] = float32(math.Log(1 / 0.07))
		}
		out[name] = weights.FromFloat32s(shape, v)
	}
	return out
}

func TestOtherShapesMatchNaiveReference(t *testing.T) {
	tiny, _ := arch.Preset("tiny")
	gelu := tiny
	gelu.ProjectionDim = 24
	gelu.Text.HiddenSize, gelu.Text.NumAttentionHeads, gelu.Text.NumHiddenLayers, gelu.Text.HiddenAct = 48, 4, 3, "gelu"
	gelu.Text.IntermediateSize, gelu.Text.MaxPositionEmbeddings, gelu.Text.VocabSize = 96, 20, 300
	gelu.Text.EosTokenID = 299
	gelu.Vision.HiddenSize, gelu.Vision.NumAttentionHeads, gelu.Vision.NumHiddenLayers, gelu.Vision.HiddenAct = 64, 1, 1, "gelu"
	gelu.Vision.IntermediateSize, gelu.Vision.ImageSize, gelu.Vision.PatchSize = 80, 48, 16
	gelu.FillProjection()
	legacy := gelu
	legacy.Text.EosTokenID = 2 // the hub's legacy default: end token found by argmax
	legacy.Text.VocabSize = 280
	// Heads at 64 channels each and QuickGELU: what inferConfig assumes of an original
	// checkpoint without config.json.
	inferable := tiny
	inferable.Text.NumAttentionHeads, inferable.Vision.NumAttentionHeads = 1, 2
	inferable.Text.VocabSize, inferable.Text.BosTokenID, inferable.Text.EosTokenID = 500, 498, 499
	inferable.Vision.ImageSize = 40

	for _, tc := range []struct {
		name       string
		cfg        Config
		origConfig bool // whether the original-names folder has config.json
	}{{"gelu-4heads", gelu, true}, {"legacy-eos", legacy, true}, {"inferred-config", inferable, false}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			params := randomParams(cfg, 7)
			ref := newRefModel(cfg, params)
			dir := t.TempDir()
			hubDir, origDir := filepath.Join(dir, "hub"), filepath.Join(dir, "orig")
			os.Mkdir(hubDir, 0o755)
			os.Mkdir(origDir, 0o755)
			hub := weights.NewFile()
			hub.Tensors = params
			if err := weights.WriteFile(filepath.Join(hubDir, "model.safetensors"), hub); err != nil {
				t.Fatal(err)
			}
			js, _ := cfg.Marshal()
			os.WriteFile(filepath.Join(hubDir, "config.json"), js, 0o644)
			if tc.origConfig {
				os.WriteFile(filepath.Join(origDir, "config.json"), js, 0o644) // heads are not in the shapes
			}
			orig, err := ToOriginalNames(cfg, params)
			if err != nil {
				t.Fatal(err)
			}
			origFile := weights.NewFile()
			origFile.Tensors = orig
			if err := weights.WriteFile(filepath.Join(origDir, "model.safetensors"), origFile); err != nil {
				t.Fatal(err)
			}
			eos := cfg.Text.VocabSize - 1
			rows := [][]int{{0, 5, 9, eos, 0, 0}, {0, 17, 3, 42, 8, 11, 7, eos, 0}, {0, eos}}
			rng := rand.New(rand.NewPCG(3, 4))
			S := cfg.Vision.ImageSize
			pixels := make([]float32, 2*3*S*S)
			for i := range pixels {
				pixels[i] = float32(rng.NormFloat64())
			}
			b, _ := NewBackend("")
			for _, d := range []string{hubDir, origDir} {
				c, p, err := LoadWeights(d)
				if err != nil {
					t.Fatal(err)
				}
				if c.Text != cfg.Text || c.Vision != cfg.Vision || c.ProjectionDim != cfg.ProjectionDim {
					t.Fatalf("%s: config\n%+v\nwant\n%+v", filepath.Base(d), c, cfg)
				}
				m, err := New(b, c, p)
				if err != nil {
					t.Fatal(err)
				}
				txt, err := m.EncodeTokens(rows)
				if err != nil {
					t.Fatal(err)
				}
				var want [][]float32
				for i, r := range rows {
					want = append(want, f32(ref.text(r, cfg.EOTPositions(rows)[i])))
				}
				if e := relErr(txt, want); e > 1e-4 {
					t.Errorf("%s: text relative error %.2e", filepath.Base(d), e)
				}
				img, err := m.EncodePixels(pixels, 2)
				if err != nil {
					t.Fatal(err)
				}
				want = [][]float32{f32(ref.image(pixels[:3*S*S])), f32(ref.image(pixels[3*S*S:]))}
				if e := relErr(img, want); e > 1e-4 {
					t.Errorf("%s: image relative error %.2e", filepath.Base(d), e)
				}
			}
		})
	}
}

func TestEOTPositions(t *testing.T) {
	c, _ := arch.Preset("tiny")
	rows := [][]int{{49406, 5, 49407, 0}, {49406, 49407, 0, 0}}
	if got := c.EOTPositions(rows); got[0] != 2 || got[1] != 1 {
		t.Errorf("EOTPositions = %v", got)
	}
	c.Text.EosTokenID = 7 // a vocabulary whose end token is not the largest id
	if got := c.EOTPositions([][]int{{6, 9, 7, 0}}); got[0] != 2 {
		t.Errorf("with eos 7: %v", got)
	}
	c.Text.EosTokenID = 2 // legacy: argmax
	if got := c.EOTPositions([][]int{{6, 9, 7, 0}}); got[0] != 1 {
		t.Errorf("legacy: %v", got)
	}
}

func f32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}
