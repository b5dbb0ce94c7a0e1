package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/train"
	"github.com/clip-go/clip/train/data/synth"
	"github.com/clip-go/clip/weights"
)

// buildCLI compiles the clip binary once per test run, so tests can kill it like a user would.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "clip")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// waitForCheckpoint polls a run folder until a checkpoint of at least step exists; done
// reports the process's exit.
func waitForCheckpoint(t *testing.T, run string, step int, done <-chan error, stderr *bytes.Buffer) string {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		latest, _ := train.LatestCheckpoint(run)
		var n int
		if latest != "" {
			fmt.Sscanf(filepath.Base(latest), "step-%d", &n)
		}
		if n >= step {
			return latest
		}
		select {
		case err := <-done:
			t.Fatalf("training exited early (%v): %s", err, stderr)
		default:
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no checkpoint of step %d within 3 minutes: %s", step, stderr)
	return ""
}

func metricLosses(t *testing.T, path string) []float64 {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var losses []float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rec struct{ Loss float64 }
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("metrics.jsonl: %v", err)
		}
		losses = append(losses, rec.Loss)
	}
	return losses
}

// TestTrainKillResumeExportClassify is the whole life of a model: train on generated
// shards (one of them corrupt), kill -9 mid-run, resume, finish, export a hub folder and
// classify held-out images with it.
func TestTrainKillResumeExportClassify(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	bin := buildCLI(t)
	dir := t.TempDir()
	if _, err := synth.WriteShards(filepath.Join(dir, "shards"), 3, 48, 32, 1); err != nil {
		t.Fatal(err)
	}
	evalImages, err := synth.WriteEvalFolder(filepath.Join(dir, "eval"), 2, 32, 2)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "shards", "broken.tar"), []byte("not a tar file at all"), 0o644)
	spec := filepath.Join(dir, "shards", "{000000..000002}.tar") + "::" + filepath.Join(dir, "shards", "broken.tar")
	run := filepath.Join(dir, "run")
	args := []string{"train", "--data", spec, "--out", run, "--model-config", "tiny", "--steps", "40", "--batch", "16",
		"--micro-batch", "8", "--lr", "1e-3", "--warmup", "4", "--checkpoint-every", "4", "--quiet",
		"--eval", filepath.Join(dir, "eval"), "--eval-every", "20"}

	// Start, and kill -9 once a few checkpoints exist.
	var stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	killedAt := waitForCheckpoint(t, run, 8, done, &stderr)
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
	// The newest checkpoint is complete and loads.
	latest, _ := train.LatestCheckpoint(run)
	if _, _, err := model.LoadWeights(latest); err != nil {
		t.Fatalf("checkpoint after kill -9 does not load: %v", err)
	}
	if latest < killedAt {
		t.Fatalf("checkpoint went backwards: %s < %s", latest, killedAt)
	}

	// Without --resume the run folder is refused, with it the run finishes.
	if out, err := exec.Command(bin, args...).CombinedOutput(); err == nil || !strings.Contains(string(out), "--resume") {
		t.Errorf("re-running into a used folder: %v %s", err, out)
	}
	out, err := exec.Command(bin, append(args, "--resume")...).Output()
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	var res struct {
		Steps int
		Loss  float64
		Data  struct {
			BadShard int64 `json:"bad_shard"`
		}
	}
	if err := json.Unmarshal(out, &res); err != nil || res.Steps != 40 {
		t.Fatalf("resumed run: %s (%v)", out, err)
	}
	if res.Data.BadShard == 0 {
		t.Errorf("the corrupt shard was not counted: %s", out)
	}
	losses := metricLosses(t, filepath.Join(run, "metrics.jsonl"))
	first, last := losses[0], 0.0
	for _, l := range losses[len(losses)-5:] {
		last += l / 5
	}
	if !(last < 0.8*first) {
		t.Errorf("loss did not decrease: first %.3f, mean of the last five %.3f", first, last)
	}
	t.Logf("loss %.3f → %.3f", first, last)

	// Export and classify the held-out images.
	exported := filepath.Join(dir, "exported")
	if out, err := exec.Command(bin, "export", "--checkpoint", run, "--out", exported).CombinedOutput(); err != nil {
		t.Fatalf("export: %v %s", err, out)
	}
	// A complete hub folder: the fast tokenizer's files and a card naming the data.
	for _, f := range []string{"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt", "preprocessor_config.json"} {
		if _, err := os.Stat(filepath.Join(exported, f)); err != nil {
			t.Errorf("export: %v", err)
		}
	}
	if card, err := os.ReadFile(filepath.Join(exported, "README.md")); err != nil || !strings.Contains(string(card), "shards") {
		t.Errorf("export's README.md does not name the data (%v):\n%s", err, card)
	}
	cargs := []string{"classify", "--model", exported, "--labels", strings.Join(synth.Classes(), ","), "--template", "a photo of a {}.", "--top", "1"}
	for _, im := range evalImages {
		cargs = append(cargs, im.Path)
	}
	out, err = exec.Command(bin, cargs...).Output()
	if err != nil {
		t.Fatalf("classify: %v", err)
	}
	correct := 0
	for i, line := range lines(string(out)) {
		var r classifyRecord
		json.Unmarshal([]byte(line), &r)
		if len(r.Top) == 1 && r.Top[0].Label == evalImages[i].Label {
			correct++
		}
	}
	acc := float64(correct) / float64(len(evalImages))
	t.Logf("zero-shot top-1 on %d held-out images: %.0f%% (chance %.0f%%)", len(evalImages), 100*acc, 100.0/synth.NumClasses)
	if acc < 2.0/synth.NumClasses {
		t.Errorf("top-1 accuracy %.2f, not above twice chance", acc)
	}
}

// TestTrainStopsCleanlyOnSIGTERM: a terminated run writes a checkpoint of the step it
// reached and reports that it stopped.
func TestTrainStopsCleanlyOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	bin := buildCLI(t)
	dir := t.TempDir()
	if _, err := synth.WriteShards(filepath.Join(dir, "shards"), 1, 32, 32, 3); err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, "run")
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "train", "--data", filepath.Join(dir, "shards", "*.tar"), "--out", run, "--model-config", "tiny",
		"--steps", "100000", "--batch", "8", "--checkpoint-every", "3", "--quiet")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if l, _ := train.LatestCheckpoint(run); l != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint: %s", stderr.String())
		}
		select {
		case err := <-done:
			t.Fatalf("training exited early (%v): %s", err, stderr.String())
		default:
		}
		time.Sleep(100 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatal("training did not stop within a minute of SIGTERM")
	}
	var res struct {
		Steps      int
		Stopped    bool
		Checkpoint string
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil || !res.Stopped || !strings.HasSuffix(res.Checkpoint, fmt.Sprintf("step-%08d", res.Steps)) {
		t.Errorf("after SIGTERM: %s (%v)", stdout.String(), err)
	}
}

// TestEvalCommand: clip eval reports accuracy per folder and the predictions file has one
// line per image.
func TestEvalCommand(t *testing.T) {
	dir := tinyModel(t)
	evalDir := filepath.Join(t.TempDir(), "eval")
	images, err := synth.WriteEvalFolder(evalDir, 1, 32, 3)
	if err != nil {
		t.Fatal(err)
	}
	pred := filepath.Join(t.TempDir(), "pred.jsonl")
	out, stderr, code := clip(t, "eval", "--model", dir, "--predictions", pred, evalDir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		Set             string
		Classes, Images int
		Top1, Top5      float64
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Classes != synth.NumClasses || r.Images != len(images) || r.Top5 < r.Top1 {
		t.Errorf("eval output %s (%v)", out, err)
	}
	b, _ := os.ReadFile(pred)
	if n := len(lines(string(b))); n != len(images) {
		t.Errorf("%d predictions for %d images", n, len(images))
	}
	var first prediction
	if err := json.Unmarshal([]byte(lines(string(b))[0]), &first); err != nil || first.Predicted == "" || !(first.Margin >= 0) {
		t.Errorf("prediction line %q (%v)", lines(string(b))[0], err)
	}
	// Against its own predictions a model agrees on every image; against a file that
	// lacks some, or is no predictions file, it says so.
	out, stderr, code = clip(t, "eval", "--model", dir, "--agree", pred, evalDir)
	var a struct{ Agree *float64 }
	if code != 0 || json.Unmarshal([]byte(out), &a) != nil || a.Agree == nil || *a.Agree != 1 {
		t.Errorf("--agree with its own predictions: exit %d, %s %s", code, out, stderr)
	}
	// One image's label changed in the reference: agreement drops by one image and the
	// reference's margin on it is reported.
	first.Predicted, first.Margin = "not a class", 7.5
	changed, _ := json.Marshal(first)
	altered := filepath.Join(t.TempDir(), "altered.jsonl")
	os.WriteFile(altered, []byte(string(changed)+"\n"+strings.Join(lines(string(b))[1:], "\n")+"\n"), 0o644)
	out, stderr, code = clip(t, "eval", "--model", dir, "--agree", altered, evalDir)
	var c struct {
		Agree            float64
		ChangedMaxMargin float64 `json:"changed_max_margin"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &c) != nil || c.Agree != 1-1/float64(len(images)) || c.ChangedMaxMargin != 7.5 {
		t.Errorf("--agree with one changed prediction: exit %d, %s %s", code, out, stderr)
	}
	partial := filepath.Join(t.TempDir(), "partial.jsonl")
	os.WriteFile(partial, []byte(lines(string(b))[0]+"\n"), 0o644)
	if _, stderr, code := clip(t, "eval", "--model", dir, "--agree", partial, evalDir); code == 0 || !strings.Contains(stderr, "no prediction for") {
		t.Errorf("--agree with a partial file: exit %d, %s", code, stderr)
	}
	garbage := filepath.Join(t.TempDir(), "garbage.jsonl")
	os.WriteFile(garbage, []byte("not json\n"), 0o644)
	if _, stderr, code := clip(t, "eval", "--model", dir, "--agree", garbage, evalDir); code == 0 || !strings.Contains(stderr, "not a line of clip eval --predictions") {
		t.Errorf("--agree with a garbage file: exit %d, %s", code, stderr)
	}
	if _, stderr, code := clip(t, "eval", "--model", dir, filepath.Join(t.TempDir(), "missing")); code == 0 || !strings.Contains(stderr, "missing") {
		t.Errorf("missing folder: exit %d, %s", code, stderr)
	}
}

// TestTrainSigmoidExport: `clip train --loss sigmoid` keeps the loss's bias in its
// checkpoints, `clip export` leaves it out of the CLIP folder (a CLIPModel has no bias),
// and an unknown loss is a usage error.
func TestTrainSigmoidExport(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.WriteShards(filepath.Join(dir, "shards"), 1, 16, 32, 3); err != nil {
		t.Fatal(err)
	}
	run, exported := filepath.Join(dir, "run"), filepath.Join(dir, "exported")
	args := []string{"train", "--data", filepath.Join(dir, "shards", "*.tar"), "--out", run, "--model-config", "tiny",
		"--steps", "2", "--batch", "8", "--warmup", "1", "--quiet"}
	if _, stderr, code := clip(t, append(args, "--loss", "hinge")...); code != 2 || !strings.Contains(stderr, `loss "hinge"`) {
		t.Errorf("--loss hinge: exit %d, stderr %q; want a usage error", code, stderr)
	}
	if _, stderr, code := clip(t, append(args, "--loss", "sigmoid")...); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	if _, stderr, code := clip(t, "export", "--checkpoint", run, "--out", exported); code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	if card, err := os.ReadFile(filepath.Join(exported, "README.md")); err != nil || !strings.Contains(string(card), "sigmoid loss") {
		t.Errorf("the exported model card does not name the loss (%v):\n%s", err, card)
	}
	latest, _ := train.LatestCheckpoint(run)
	for _, c := range []struct {
		folder   string
		wantBias bool
	}{{latest, true}, {exported, false}} {
		_, params, err := model.LoadWeights(c.folder)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := params[train.LogitBias]; ok != c.wantBias {
			t.Errorf("%s: logit_bias present %v, want %v", c.folder, ok, c.wantBias)
		}
		if _, ok := params["logit_scale"]; !ok {
			t.Errorf("%s: no logit_scale", c.folder)
		}
	}
}

// TestTrainBudget: `clip train --budget` without --steps lets the budget size the run at
// the end of the warm-up (never fewer steps than the warm-up's), says so, and records the
// number, which a resumed run keeps; a negative budget, or --init beside --model-config,
// is a usage error.
func TestTrainBudget(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.WriteShards(filepath.Join(dir, "shards"), 1, 16, 32, 3); err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, "run")
	args := []string{"train", "--data", filepath.Join(dir, "shards", "*.tar"), "--out", run, "--model-config", "tiny",
		"--batch", "8", "--warmup", "10", "--quiet"}
	if _, stderr, code := clip(t, append(args, "--init", dir)...); code != 2 || !strings.Contains(stderr, "leave --model-config out") {
		t.Errorf("--init with --model-config: exit %d, stderr %q; want a usage error", code, stderr)
	}
	if _, stderr, code := clip(t, append(args, "--budget", "-1s")...); code != 2 || !strings.Contains(stderr, "negative --budget") {
		t.Errorf("--budget -1s: exit %d, stderr %q; want a usage error", code, stderr)
	}
	stdout, stderr, code := clip(t, append(args, "--budget", "4s")...)
	if code != 0 {
		t.Fatalf("train --budget 4s: %s", stderr)
	}
	var res struct{ Steps int }
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("stdout %q: %v", stdout, err)
	}
	if !strings.Contains(stderr, "steps fit the budget of 4s") {
		t.Errorf("stderr does not say what the budget chose: %q", stderr)
	}
	js, err := os.ReadFile(filepath.Join(run, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var chosen int
	for line := range strings.SplitSeq(strings.TrimSpace(string(js)), "\n") {
		var rec struct {
			Step        int `json:"step"`
			BudgetSteps int `json:"budget_steps"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err == nil && rec.BudgetSteps > 0 {
			if rec.Step != 10 {
				t.Errorf("the budget decided at step %d, want 10 (the end of the warm-up)", rec.Step)
			}
			chosen = rec.BudgetSteps
		}
	}
	if chosen < 10 || res.Steps != chosen {
		t.Errorf("the run took %d steps, the budget chose %d (want the same, at least 10)", res.Steps, chosen)
	}
	t.Logf("--budget 4s: %d steps", res.Steps)
	// Resumed without --steps, the run keeps the number the budget chose: it is done.
	stdout, stderr, code = clip(t, append(args, "--resume")...)
	if err := json.Unmarshal([]byte(stdout), &res); code != 0 || err != nil || res.Steps != chosen {
		t.Errorf("resumed without --steps: exit %d, %s %s; want %d steps, as the budget chose", code, stdout, stderr, chosen)
	}
}

// TestTrainTrimExportQuantize: `clip train --trim` carries through: the exported folder's
// preprocessor_config.json says "trim_border", `clip quantize` records it in the file, and
// `clip quantize --trim=false` of that file clears it (and --trim sets it back) without
// touching the weights.
func TestTrainTrimExportQuantize(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.WriteShards(filepath.Join(dir, "shards"), 1, 16, 32, 3); err != nil {
		t.Fatal(err)
	}
	run, exported := filepath.Join(dir, "run"), filepath.Join(dir, "exported")
	if _, stderr, code := clip(t, "train", "--data", filepath.Join(dir, "shards", "*.tar"), "--out", run, "--model-config", "tiny",
		"--steps", "1", "--batch", "8", "--warmup", "1", "--trim", "--quiet"); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	if _, stderr, code := clip(t, "export", "--checkpoint", run, "--out", exported); code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	if c, err := imageproc.LoadConfig(filepath.Join(exported, "preprocessor_config.json")); err != nil || !c.Trim {
		t.Errorf("exported preprocessing %+v, %v; want it trimmed", c, err)
	}
	recorded := func(path string) (imageproc.Config, []byte) {
		t.Helper()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		qf, err := weights.ParseQuant(data)
		if err != nil {
			t.Fatal(err)
		}
		c, err := imageproc.ParseRecorded(qf.Preprocessor, 32)
		if err != nil {
			t.Fatal(err)
		}
		return c, qf.Quant["vision_model.encoder.layers.0.mlp.fc1.weight"].Q.Data
	}
	q, untrimmed, again := filepath.Join(dir, "q.safetensors"), filepath.Join(dir, "untrimmed.safetensors"), filepath.Join(dir, "again.safetensors")
	for _, c := range []struct {
		args []string
		out  string
		trim bool
	}{
		{[]string{"--model", exported}, q, true},
		{[]string{"--model", q, "--trim=false"}, untrimmed, false},
		{[]string{"--model", untrimmed, "--trim"}, again, true},
	} {
		if _, stderr, code := clip(t, append(append([]string{"quantize"}, c.args...), "--out", c.out)...); code != 0 {
			t.Fatalf("quantize %v: %s", c.args, stderr)
		}
		if got, _ := recorded(c.out); got.Trim != c.trim {
			t.Errorf("quantize %v: trim %v, want %v", c.args, got.Trim, c.trim)
		}
	}
	_, w1 := recorded(q)
	_, w2 := recorded(untrimmed)
	if len(w1) == 0 || !bytes.Equal(w1, w2) {
		t.Error("--trim=false changed the weights")
	}
	a, _ := os.ReadFile(q)
	b, _ := os.ReadFile(again)
	if !bytes.Equal(a, b) {
		t.Error("clearing and setting --trim again does not give the same file back")
	}
}
