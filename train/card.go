package train

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/clip-go/clip/model"
)

// WriteModelCard writes README.md into an exported model folder: what the model is, its
// shape, and how it was trained (the settings and data the checkpoint recorded), so a
// folder that leaves this project still says where it came from.
func WriteModelCard(dir, checkpoint string, cfg model.Config) error {
	js, err := os.ReadFile(filepath.Join(checkpoint, "state.json"))
	if err != nil {
		return err
	}
	var st State
	if err := json.Unmarshal(js, &st); err != nil {
		return fmt.Errorf("%s: corrupt state.json: %v", checkpoint, err)
	}
	hyper, err := json.MarshalIndent(st.Hyper, "", "  ")
	if err != nil {
		return err
	}
	data := "not recorded (a checkpoint from before the data spec was saved)"
	if d, ok := st.Extra["data"].(string); ok && d != "" {
		data = "`" + d + "`"
	}
	v, t := cfg.Vision, cfg.Text
	var b strings.Builder
	fmt.Fprintf(&b, "---\nlibrary_name: transformers\npipeline_tag: zero-shot-image-classification\ntags: [clip]\n---\n\n")
	fmt.Fprintf(&b, "# CLIP trained with clip-go\n\n")
	how := "trained from scratch"
	if init, ok := st.Extra["init"].(string); ok && init != "" {
		how = "fine-tuned from the weights of `" + filepath.Base(filepath.Clean(init)) + "`"
	}
	fmt.Fprintf(&b, "A CLIP model (`CLIPModel`) %s with [clip-go](https://github.com/clip-go/clip) `clip train`, exported by `clip export` from `%s`.\n\n", how, filepath.Base(checkpoint))
	fmt.Fprintf(&b, "- Image tower: ViT, %d layers, width %d, %d heads, %d px images in %d px patches.\n", v.NumHiddenLayers, v.HiddenSize, v.NumAttentionHeads, v.ImageSize, v.PatchSize)
	fmt.Fprintf(&b, "- Text tower: %d layers, width %d, %d heads, context %d, vocabulary %d (CLIP's BPE).\n", t.NumHiddenLayers, t.HiddenSize, t.NumAttentionHeads, t.MaxPositionEmbeddings, t.VocabSize)
	fmt.Fprintf(&b, "- Joint embedding: %d dimensions.\n\n", cfg.ProjectionDim)
	fmt.Fprintf(&b, "## Training\n\n- Data: %s\n- Steps: %d, final loss %.4f\n", data, st.Step, st.Loss)
	if st.Hyper.sigmoid() {
		fmt.Fprintf(&b, "- Loss: SigLIP's sigmoid loss; its learned bias `logit_bias` stays in the checkpoint (a CLIPModel has none, and zero-shot scores, a softmax over labels, do not change with it).\n")
	}
	fmt.Fprintf(&b, "- Settings:\n\n```json\n%s\n```\n", hyper)
	return os.WriteFile(filepath.Join(dir, "README.md"), []byte(b.String()), 0o644)
}
