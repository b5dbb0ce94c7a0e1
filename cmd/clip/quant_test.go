package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/fixtures"
	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/model/arch"
	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/model/tokenizer"
	"github.com/clip-go/clip/model/zeroshot"
	"github.com/clip-go/clip/train/data/synth"
	"github.com/clip-go/clip/wasm/engine"
	"github.com/clip-go/clip/wasm/quanttest"
	"github.com/clip-go/clip/weights"
)

// quantizedFrom quantizes an in-memory model and loads it in the engine.
func quantizedFrom(t *testing.T, cfg model.Config, params map[string]*weights.Tensor, tok *tokenizer.Tokenizer, bits, textBits int) *engine.Model {
	t.Helper()
	qf, err := quantizeParams(cfg, params, tok, imageproc.DefaultConfig(cfg.Vision.ImageSize), bits, textBits, weights.DefaultBlock)
	if err != nil {
		t.Fatal(err)
	}
	f, err := qf.File()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := weights.Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	m, err := engine.Load(buf.Bytes(), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestQuantizedAccuracy: embeddings of the int8 and int4 engine against the float32 model,
// on the reference fixture and on a ViT-B/32-shaped random model (one image batch, one
// text batch): cosine ≥ 0.999 at 8 bits and ≥ 0.99 at 4 bits for every input.
func TestQuantizedAccuracy(t *testing.T) {
	type input struct {
		cfg    model.Config
		params map[string]*weights.Tensor
		tok    *tokenizer.Tokenizer
		texts  []string
		images [][]byte
	}
	cases := map[string]func(t *testing.T) input{
		"openai-tiny": func(t *testing.T) input {
			dir := tinyModel(t)
			cfg, params, err := model.LoadWeights(dir)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := model.LoadTokenizer(dir)
			if err != nil {
				t.Fatal(err)
			}
			c, _ := loadCase(t)
			var images [][]byte
			for _, p := range c.Images {
				b, err := os.ReadFile(fixtures.Path(t, "openai-tiny", p))
				if err != nil {
					t.Fatal(err)
				}
				images = append(images, b)
			}
			return input{cfg, params, tok, c.Texts, images}
		},
		"ViT-B/32 random": func(t *testing.T) input {
			if testing.Short() {
				t.Skip("ViT-B/32")
			}
			cfg, _ := arch.Preset("ViT-B/32")
			tok, err := tokenizer.Default()
			if err != nil {
				t.Skip(err)
			}
			images := [][]byte{quanttest.PNG(t, 256, 224, 1), quanttest.PNG(t, 224, 300, 2)}
			return input{cfg, model.InitParams(cfg, 7), tok, []string{"a photo of a dog.", "a diagram", "an emoji of a grinning face"}, images}
		},
	}
	for _, name := range []string{"openai-tiny", "ViT-B/32 random"} {
		t.Run(name, func(t *testing.T) {
			in := cases[name](t)
			be, err := model.NewBackend("")
			if err != nil {
				t.Fatal(err)
			}
			fm, err := model.New(be, in.cfg, in.params)
			if err != nil {
				t.Fatal(err)
			}
			fm.Tokenizer, fm.Image = in.tok, imageproc.DefaultConfig(in.cfg.Vision.ImageSize)
			want, err := fm.EncodeTexts(in.texts, false)
			if err != nil {
				t.Fatal(err)
			}
			var pixels []float32
			for _, b := range in.images {
				img, err := imageproc.DecodeBytes(b)
				if err != nil {
					t.Fatal(err)
				}
				pixels = append(pixels, fm.Image.Preprocess(img)...)
			}
			wantImg, err := fm.EncodePixels(pixels, len(in.images))
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, wantImg...)
			// int4 is the default 4-bit file (text tower at 8 bits); int4-text4 has every
			// matrix at 4 bits and is only reported.
			for _, c := range []struct {
				name           string
				bits, textBits int
				min            float64
			}{{"int8", 8, 8, 0.999}, {"int4", 4, 8, 0.99}, {"int4-text4", 4, 4, 0}} {
				qm := quantizedFrom(t, in.cfg, in.params, in.tok, c.bits, c.textBits)
				got := quanttest.Embed(t, qm, in.texts, in.images)
				worstText, worstImage := 1.0, 1.0
				for i := range want {
					if i < len(in.texts) {
						worstText = min(worstText, zeroshot.Cosine(got[i], want[i]))
					} else {
						worstImage = min(worstImage, zeroshot.Cosine(got[i], want[i]))
					}
				}
				t.Logf("%s: lowest cosine to float32: texts %.5f, images %.5f (file %.1f MB)", c.name, worstText, worstImage, float64(qm.FileSize())/1e6)
				if min(worstText, worstImage) < c.min {
					t.Errorf("%s: cosine %.5f < %.3f", c.name, min(worstText, worstImage), c.min)
				}
			}
		})
	}
}

// TestQuantizeCLI: `clip quantize` writes the file, and embed and classify take it as
// --model with the same output as the float folder (nearly the same numbers).
func TestQuantizeCLI(t *testing.T) {
	dir := tinyModel(t)
	out := filepath.Join(t.TempDir(), "tiny-int8.safetensors")
	stdout, stderr, code := clip(t, "quantize", "--model", dir, "--bits", "8", "--out", out)
	if code != 0 {
		t.Fatalf("quantize: exit %d: %s", code, stderr)
	}
	var rec quantizeRecord
	if err := json.Unmarshal([]byte(stdout), &rec); err != nil || rec.Bytes == 0 || rec.Bits != 8 || rec.Block != 32 {
		t.Fatalf("quantize printed %q (%v)", stdout, err)
	}
	img := fixtures.Path(t, "openai-tiny", "image1.png")
	var outs [2][]embedRecord
	for i, m := range []string{dir, out} {
		stdout, stderr, code := clip(t, "embed", "--model", m, "--text", "a photo of a cat.", "--image", img, "--normalize")
		if code != 0 {
			t.Fatalf("embed --model %s: exit %d: %s", m, code, stderr)
		}
		for _, line := range lines(stdout) {
			var r embedRecord
			json.Unmarshal([]byte(line), &r)
			outs[i] = append(outs[i], r)
		}
	}
	for i := range outs[0] {
		f, q := outs[0][i], outs[1][i]
		if f.Kind != q.Kind || f.Input != q.Input || len(f.Embedding) != len(q.Embedding) {
			t.Fatalf("record %d: float %+v, quantized %+v", i, f, q)
		}
		if c := zeroshot.Cosine(f.Embedding, q.Embedding); c < 0.999 {
			t.Errorf("%s: cosine %.5f", f.Kind, c)
		}
	}
	stdout, stderr, code = clip(t, "classify", "--model", out, "--labels", "cat,dog,turtle", "--top", "2", img)
	var cr classifyRecord
	if code != 0 || json.Unmarshal([]byte(stdout), &cr) != nil || len(cr.Top) != 2 || cr.Image != img {
		t.Fatalf("classify: exit %d, %q %s", code, stdout, stderr)
	}

	// The quantized file marked for 7-bit activations: same weights and sizes, and
	// embeddings close to the 8-bit ones but not equal to them.
	out7 := filepath.Join(t.TempDir(), "tiny-act7.safetensors")
	stdout, stderr, code = clip(t, "quantize", "--model", out, "--act-bits", "7", "--out", out7)
	var rec7 quantizeRecord
	if code != 0 || json.Unmarshal([]byte(stdout), &rec7) != nil || rec7.ActBits != 7 || rec7.Bits != 8 || rec7.Block != 32 || rec7.Parameters != rec.Parameters {
		t.Fatalf("quantize --act-bits 7: exit %d, %q %s", code, stdout, stderr)
	}
	stdout, stderr, code = clip(t, "embed", "--model", out7, "--text", "a photo of a cat.", "--image", img, "--normalize")
	if code != 0 {
		t.Fatalf("embed --model %s: exit %d: %s", out7, code, stderr)
	}
	for i, line := range lines(stdout) {
		var r embedRecord
		json.Unmarshal([]byte(line), &r)
		if c := zeroshot.Cosine(r.Embedding, outs[1][i].Embedding); c < 0.999 || c == 1 {
			t.Errorf("%s with 7-bit activations: cosine %.6f to 8-bit", r.Kind, c)
		}
	}

	// Bad input: wrong bit width, a truncated file, a tampered one.
	if _, stderr, code := clip(t, "quantize", "--model", dir, "--bits", "5", "--out", out+"5"); code != 2 || !strings.Contains(stderr, "bit width 5") {
		t.Errorf("--bits 5: exit %d, %s", code, stderr)
	}
	if _, stderr, code := clip(t, "quantize", "--model", dir, "--act-bits", "6", "--out", out+"6"); code != 2 || !strings.Contains(stderr, "--act-bits must be 8 or 7") {
		t.Errorf("--act-bits 6: exit %d, %s", code, stderr)
	}
	if _, stderr, code := clip(t, "quantize", "--model", out, "--bits", "4", "--out", out+"4"); code != 2 || !strings.Contains(stderr, "already quantized") {
		t.Errorf("--bits 4 on a quantized file: exit %d, %s", code, stderr)
	}
	data, _ := os.ReadFile(out)
	bad := filepath.Join(t.TempDir(), "bad.safetensors")
	for name, b := range map[string][]byte{"truncated": data[:len(data)/2], "tampered": flipByte(data, len(data)-100)} {
		os.WriteFile(bad, b, 0o644)
		_, stderr, code := clip(t, "classify", "--model", bad, "--labels", "a,b", img)
		if code != 1 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, bad) ||
			!(strings.Contains(stderr, "truncated") || strings.Contains(stderr, "checksum mismatch")) {
			t.Errorf("%s file: exit %d, stderr %q", name, code, stderr)
		}
	}
}

func flipByte(b []byte, at int) []byte {
	b = bytes.Clone(b)
	b[at] ^= 1
	return b
}

// TestQuantizedAgreement trains a tiny model briefly on generated shapes and checks that
// `clip classify` with its int8 and int4 files picks the float model's top-1 label on
// held-out generated images (the data issue's held-out sets do not exist yet).
func TestQuantizedAgreement(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	dir := t.TempDir()
	if _, err := synth.WriteShards(filepath.Join(dir, "shards"), 2, 64, 32, 11); err != nil {
		t.Fatal(err)
	}
	evalImages, err := synth.WriteEvalFolder(filepath.Join(dir, "eval"), 8, 32, 12)
	if err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, "run")
	if _, stderr, code := clip(t, "train", "--data", filepath.Join(dir, "shards", "*.tar"), "--out", run, "--model-config", "tiny",
		"--steps", "120", "--batch", "32", "--lr", "2e-3", "--warmup", "5", "--quiet"); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	exported := filepath.Join(dir, "exported")
	if _, stderr, code := clip(t, "export", "--checkpoint", run, "--out", exported); code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	top2 := func(modelPath string) []classifyRecord {
		args := []string{"classify", "--model", modelPath, "--labels", strings.Join(synth.Classes(), ","), "--top", "2"}
		for _, im := range evalImages {
			args = append(args, im.Path)
		}
		stdout, stderr, code := clip(t, args...)
		if code != 0 {
			t.Fatalf("classify %s: %s", modelPath, stderr)
		}
		var recs []classifyRecord
		for _, line := range lines(stdout) {
			var r classifyRecord
			json.Unmarshal([]byte(line), &r)
			recs = append(recs, r)
		}
		return recs
	}
	ref := top2(exported)
	correct := 0
	for i, r := range ref {
		if r.Top[0].Label == evalImages[i].Label {
			correct++
		}
	}
	t.Logf("float32: top-1 %d/%d correct (chance %.0f%%)", correct, len(ref), 100.0/synth.NumClasses)
	// A near-tie (the float model's two best labels within minMargin of probability)
	// can go either way under any perturbation; agreement is also reported without them.
	const minMargin = 0.02
	for _, c := range []struct {
		bits int
		min  float64
	}{{8, 0.99}, {4, 0.95}} {
		file := filepath.Join(dir, fmt.Sprintf("int%d.safetensors", c.bits))
		if _, stderr, code := clip(t, "quantize", "--model", exported, "--bits", fmt.Sprint(c.bits), "--out", file); code != 0 {
			t.Fatalf("quantize: %s", stderr)
		}
		got := top2(file)
		agree, clear, clearAgree := 0, 0, 0
		for i := range got {
			same := got[i].Top[0].Label == ref[i].Top[0].Label
			margin := ref[i].Top[0].Prob - ref[i].Top[1].Prob
			if same {
				agree++
			} else {
				t.Logf("int%d: %s: %s (float32: %s %.3f, %s %.3f)", c.bits, filepath.Base(ref[i].Image), got[i].Top[0].Label,
					ref[i].Top[0].Label, ref[i].Top[0].Prob, ref[i].Top[1].Label, ref[i].Top[1].Prob)
			}
			if margin >= minMargin {
				clear++
				if same {
					clearAgree++
				}
			}
		}
		frac := float64(agree) / float64(len(ref))
		t.Logf("int%d: top-1 agrees with float32 on %d/%d images (%.1f%%); on the %d that are not near-ties: %d (%.1f%%)",
			c.bits, agree, len(ref), 100*frac, clear, clearAgree, 100*float64(clearAgree)/float64(clear))
		if float64(clearAgree) < c.min*float64(clear) {
			t.Errorf("int%d: agreement %.3f on non-tied images < %.2f", c.bits, float64(clearAgree)/float64(clear), c.min)
		}
	}
}
