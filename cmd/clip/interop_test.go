package main

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/fixtures"
)

// hubPython is a Python with torch and the hub's transformers ($CLIP_PYTHON; .ci/run
// makes one over Debian's python3-torch). Without it the test skips, in CI it fails.
func hubPython(t *testing.T) string {
	t.Helper()
	py := os.Getenv("CLIP_PYTHON")
	if py == "" || exec.Command(py, "-c", "import torch, transformers").Run() != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI: CLIP_PYTHON=%q lacks torch or transformers (see .ci/run)", py)
		}
		t.Skip("set CLIP_PYTHON to a Python with torch and transformers to check exports against the hub's tools")
	}
	return py
}

// hubScript loads a model folder with transformers' CLIPModel and CLIPProcessor, as a
// user of the hub would, and prints the loading report and the features of its inputs.
const hubScript = `import json, sys, warnings
import torch
from PIL import Image
from transformers import CLIPModel, CLIPProcessor
from transformers.utils import logging
logging.set_verbosity_warning()
folder, texts, images = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
model, info = CLIPModel.from_pretrained(folder, output_loading_info=True)
proc = CLIPProcessor.from_pretrained(folder)
inp = proc(text=texts, images=[Image.open(p) for p in images], return_tensors="pt", padding=True)
with torch.no_grad():
    t = model.get_text_features(input_ids=inp["input_ids"], attention_mask=inp["attention_mask"])
    i = model.get_image_features(pixel_values=inp["pixel_values"])
print(json.dumps({"missing": info["missing_keys"], "unexpected": info["unexpected_keys"],
    "mismatched": [str(m) for m in info["mismatched_keys"]],
    "text": t.tolist(), "image": i.tolist()}))`

// TestHubTransformersLoadsExport: a model trained two steps by clip train and written by
// clip export loads in transformers' CLIPModel and CLIPProcessor with no missing,
// unexpected or mismatched weights, and its text and image features equal clip embed's.
func TestHubTransformersLoadsExport(t *testing.T) {
	py := hubPython(t)
	exported, texts, images := trainedExport(t)
	ours := embedAll(t, exported, texts, images)
	tj, _ := json.Marshal(texts)
	ij, _ := json.Marshal(images)
	res, stderr := runScript(t, "transformers", py, hubScript, exported, string(tj), string(ij))
	var hub struct {
		Missing, Unexpected, Mismatched []string
		Text, Image                     [][]float64
	}
	if err := json.Unmarshal(res, &hub); err != nil {
		t.Fatalf("transformers printed %q: %v", res, err)
	}
	if len(hub.Missing)+len(hub.Unexpected)+len(hub.Mismatched) > 0 {
		t.Errorf("weights missing %v, unexpected %v, mismatched %v", hub.Missing, hub.Unexpected, hub.Mismatched)
	}
	if w := stderr; strings.Contains(w, "not initialized") || strings.Contains(w, "not used") {
		t.Errorf("transformers warned:\n%s", w)
	}
	theirs := append(hub.Text, hub.Image...)
	if len(theirs) != len(ours) {
		t.Fatalf("%d hub features, %d of ours", len(theirs), len(ours))
	}
	t.Logf("%d features, worst relative difference to transformers %.2e", len(ours), worstRelDiff(t, ours, theirs))
}

// trainedExport trains the tiny model two steps on generated shards and exports it with
// --names openai (the hub layout and open_clip's file), returning the folder, texts and
// three images to embed.
func trainedExport(t *testing.T) (exported string, texts, images []string) {
	t.Helper()
	dir := t.TempDir()
	if _, stderr, code := clip(t, "synth", "--out", dir, "--shards", "1", "--per-shard", "32", "--size", "32"); code != 0 {
		t.Fatalf("synth: %s", stderr)
	}
	run, exported := filepath.Join(dir, "run"), filepath.Join(dir, "exported")
	if _, stderr, code := clip(t, "train", "--data", filepath.Join(dir, "shards", "*.tar"), "--out", run,
		"--model-config", "tiny", "--steps", "2", "--batch", "16", "--warmup", "1", "--quiet"); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	if _, stderr, code := clip(t, "export", "--checkpoint", run, "--out", exported, "--names", "openai"); code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	texts = []string{"a photo of a red circle.", "a blue square", "an emoji of a 생일 케이크"}
	images, _ = filepath.Glob(filepath.Join(dir, "eval", "*", "*.png"))
	return exported, texts, images[:3]
}

// openCLIPScript loads the open_clip file of an export the way open_clip loads a
// checkpoint (its CLIP class built from open_clip_config.json's model_cfg, then
// load_checkpoint, which converts and checks the state dict), preprocesses and tokenizes
// with open_clip's own transform and tokenizer, and prints the load report and features.
const openCLIPScript = `import json, sys
import torch
from PIL import Image
import open_clip
from open_clip.model import CLIP
from open_clip.tokenizer import SimpleTokenizer
from open_clip.transform import PreprocessCfg, image_transform_v2
folder, texts, images = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
cfg = json.load(open(folder + "/open_clip_config.json"))
model = CLIP(**cfg["model_cfg"]).eval()
keys = open_clip.load_checkpoint(model, folder + "/open_clip_model.safetensors", strict=False)
preprocess = image_transform_v2(PreprocessCfg(**cfg["preprocess_cfg"]), is_train=False)
tok = SimpleTokenizer(context_length=cfg["model_cfg"]["text_cfg"]["context_length"])
with torch.no_grad():
    t = model.encode_text(tok(texts))
    i = model.encode_image(torch.stack([preprocess(Image.open(p)) for p in images]))
act = type(model.transformer.resblocks[0].mlp.gelu).__name__
print(json.dumps({"missing": keys.missing_keys, "unexpected": keys.unexpected_keys, "act": act,
    "text": t.tolist(), "image": i.tolist()}))`

// TestOpenCLIPLoadsExport: the --names openai file of a model trained two steps loads
// strictly in open_clip's CLIP (quick_gelu, the shape from open_clip_config.json) and its
// text and image features equal clip embed's.
func TestOpenCLIPLoadsExport(t *testing.T) {
	py := hubPython(t)
	if err := exec.Command(py, "-c", "import open_clip").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI: CLIP_PYTHON=%q lacks open_clip (see .ci/run)", py)
		}
		t.Skip("CLIP_PYTHON lacks open_clip (pip install open_clip_torch, the version .ci/run pins) to check --names openai exports")
	}
	exported, texts, images := trainedExport(t)
	ours := embedAll(t, exported, texts, images)
	tj, _ := json.Marshal(texts)
	ij, _ := json.Marshal(images)
	res, _ := runScript(t, "open_clip", py, openCLIPScript, exported, string(tj), string(ij))
	var oc struct {
		Missing, Unexpected []string
		Act                 string
		Text, Image         [][]float64
	}
	if err := json.Unmarshal(res, &oc); err != nil {
		t.Fatalf("open_clip printed %q: %v", res, err)
	}
	if len(oc.Missing)+len(oc.Unexpected) > 0 {
		t.Errorf("open_clip: weights missing %v, unexpected %v", oc.Missing, oc.Unexpected)
	}
	if oc.Act != "QuickGELU" {
		t.Errorf("open_clip built its MLPs with %s, want QuickGELU", oc.Act)
	}
	theirs := append(oc.Text, oc.Image...)
	if len(theirs) != len(ours) {
		t.Fatalf("%d open_clip features, %d of ours", len(theirs), len(ours))
	}
	t.Logf("%d features, worst relative difference to open_clip %.2e", len(ours), worstRelDiff(t, ours, theirs))
}

// worstRelDiff fails the test for each feature further than 1e-4 relative from the
// reference's and returns the largest difference.
func worstRelDiff(t *testing.T, ours [][]float32, theirs [][]float64) float64 {
	t.Helper()
	worst := 0.0
	for i := range ours {
		e := relDiff(ours[i], theirs[i])
		if e > 1e-4 || math.IsNaN(e) {
			t.Errorf("feature %d: relative difference %.2e", i, e)
		}
		worst = max(worst, e)
	}
	return worst
}

// hubSaveScript makes a randomly initialised CLIP of a shape of our choosing with
// transformers, saves it with save_pretrained in float32 and in float16 (the second with
// only the fast tokenizer's tokenizer.json, as some tools save it), and prints the
// features of the inputs (the float16 folder's from its float16 weights, in float32).
const hubSaveScript = `import json, os, sys
import torch
from PIL import Image
from transformers import CLIPConfig, CLIPModel, CLIPProcessor, CLIPTokenizerFast, CLIPImageProcessor
out, bpe, texts, images = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
torch.manual_seed(0)
cfg = CLIPConfig(projection_dim=24,
    text_config=dict(hidden_size=48, intermediate_size=96, num_attention_heads=4, num_hidden_layers=2),
    vision_config=dict(hidden_size=40, intermediate_size=80, num_attention_heads=2, num_hidden_layers=3, image_size=32, patch_size=8))
model = CLIPModel(cfg).eval()
tok = CLIPTokenizerFast(vocab_file=bpe + "/vocab.json", merges_file=bpe + "/merges.txt")
proc = CLIPProcessor(image_processor=CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}), tokenizer=tok)
def features(m):
    inp = proc(text=texts, images=[Image.open(p) for p in images], return_tensors="pt", padding=True)
    with torch.no_grad():
        return m.get_text_features(input_ids=inp["input_ids"], attention_mask=inp["attention_mask"]).tolist() + \
            m.get_image_features(pixel_values=inp["pixel_values"]).tolist()
res = {}
model.save_pretrained(out + "/f32"); proc.save_pretrained(out + "/f32")
res["f32"] = features(model)
model.half().save_pretrained(out + "/f16"); proc.save_pretrained(out + "/f16")
for f in ("vocab.json", "merges.txt"):
    os.remove(out + "/f16/" + f)
res["f16"] = features(model.float())
print(json.dumps(res))`

// TestHubSavedFolderLoads: folders written by transformers' save_pretrained, in float32
// and in float16 with only tokenizer.json, load with clip embed and give transformers'
// features.
func TestHubSavedFolderLoads(t *testing.T) {
	py := hubPython(t)
	dir := t.TempDir()
	if _, stderr, code := clip(t, "synth", "--out", filepath.Join(dir, "synth"), "--shards", "1", "--per-shard", "4", "--size", "32"); code != 0 {
		t.Fatalf("synth: %s", stderr)
	}
	texts := []string{"a photo of a red circle.", "it's 2 blue squares!", "a 🐱"}
	images, _ := filepath.Glob(filepath.Join(dir, "synth", "eval", "*", "*.png"))
	images = images[:3]
	tj, _ := json.Marshal(texts)
	ij, _ := json.Marshal(images)
	res, _ := runScript(t, "transformers", py, hubSaveScript, dir, filepath.Join(fixtures.Dir(t), "clip-bpe"), string(tj), string(ij))
	var hub map[string][][]float64
	if err := json.Unmarshal(res, &hub); err != nil {
		t.Fatalf("transformers printed %q: %v", res, err)
	}
	for _, variant := range []string{"f32", "f16"} {
		got := embedAll(t, filepath.Join(dir, variant), texts, images)
		if len(got) != len(hub[variant]) {
			t.Fatalf("%s: %d features, transformers %d", variant, len(got), len(hub[variant]))
		}
		for i := range got {
			if e := relDiff(got[i], hub[variant][i]); e > 1e-4 || math.IsNaN(e) {
				t.Errorf("%s: feature %d: relative difference %.2e", variant, i, e)
			}
		}
	}
}

// embedAll runs clip embed on texts then images and returns the embeddings in order.
func embedAll(t *testing.T, model string, texts, images []string) [][]float32 {
	t.Helper()
	args := []string{"embed", "--model", model}
	for _, s := range texts {
		args = append(args, "--text", s)
	}
	for _, p := range images {
		args = append(args, "--image", p)
	}
	out, stderr, code := clip(t, args...)
	if code != 0 {
		t.Fatalf("embed --model %s: %s", model, stderr)
	}
	var embs [][]float32
	for _, line := range lines(out) {
		var r embedRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		embs = append(embs, r.Embedding)
	}
	return embs
}

// relDiff is |a-b|/|b|.
func relDiff(a []float32, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var diff, norm float64
	for j, v := range b {
		d := float64(a[j]) - v
		diff, norm = diff+d*d, norm+v*v
	}
	return math.Sqrt(diff / norm)
}

// runScript runs a Python script with py -c and its arguments and returns what it printed;
// a failing script fails the test with its standard error (who names the library).
func runScript(t *testing.T, who, py, script string, args ...string) (stdout []byte, stderr string) {
	t.Helper()
	cmd := exec.Command(py, append([]string{"-c", script}, args...)...)
	var errBuf strings.Builder
	cmd.Stderr = &errBuf
	res, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", who, err, errBuf.String())
	}
	return res, errBuf.String()
}
