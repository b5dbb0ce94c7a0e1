// Package zeroshot is zero-shot classification on top of any CLIP encoder: prompt
// templates, class embeddings ensembled in embedding space, and the softmax over scaled
// cosine similarities. It has no dependency on how the encoders run (GoMLX model,
// quantized engine, WebAssembly).
package zeroshot

import (
	"fmt"
	"sort"
	"strings"
)

// Prompt templates turn a label into sentences like those CLIP saw in training. Averaging
// the embeddings of several templates (ensembling in embedding space) gains several points
// of zero-shot accuracy over the bare label (the paper, section 3.1.4).
var templateSets = map[string][]string{
	// photo: the single template the paper starts from.
	"photo": {"a photo of a {}."},
	// clip7: the seven templates the CLIP authors selected from the 80 for ImageNet
	// (their "Prompt_Engineering_for_ImageNet" notebook); nearly the accuracy of all 80 at
	// a tenth of the text-encoder cost. The default.
	"clip7": {
		"itap of a {}.",
		"a bad photo of the {}.",
		"a origami {}.",
		"a photo of the large {}.",
		"a {} in a video game.",
		"art of the {}.",
		"a photo of the small {}.",
	},
	// imagenet80: the paper's 80 ImageNet templates.
	"imagenet80": {
		"a bad photo of a {}.", "a photo of many {}.", "a sculpture of a {}.", "a photo of the hard to see {}.",
		"a low resolution photo of the {}.", "a rendering of a {}.", "graffiti of a {}.", "a bad photo of the {}.",
		"a cropped photo of the {}.", "a tattoo of a {}.", "the embroidered {}.", "a photo of a hard to see {}.",
		"a bright photo of a {}.", "a photo of a clean {}.", "a photo of a dirty {}.", "a dark photo of the {}.",
		"a drawing of a {}.", "a photo of my {}.", "the plastic {}.", "a photo of the cool {}.",
		"a close-up photo of a {}.", "a black and white photo of the {}.", "a painting of the {}.", "a painting of a {}.",
		"a pixelated photo of the {}.", "a sculpture of the {}.", "a bright photo of the {}.", "a cropped photo of a {}.",
		"a plastic {}.", "a photo of the dirty {}.", "a jpeg corrupted photo of a {}.", "a blurry photo of the {}.",
		"a photo of the {}.", "a good photo of the {}.", "a rendering of the {}.", "a {} in a video game.",
		"a photo of one {}.", "a doodle of a {}.", "a close-up photo of the {}.", "a photo of a {}.",
		"the origami {}.", "the {} in a video game.", "a sketch of a {}.", "a doodle of the {}.",
		"a origami {}.", "a low resolution photo of a {}.", "the toy {}.", "a rendition of the {}.",
		"a photo of the clean {}.", "a photo of a large {}.", "a rendition of a {}.", "a photo of a nice {}.",
		"a photo of a weird {}.", "a blurry photo of a {}.", "a cartoon {}.", "art of a {}.",
		"a sketch of the {}.", "a embroidered {}.", "a pixelated photo of a {}.", "itap of the {}.",
		"a jpeg corrupted photo of the {}.", "a good photo of a {}.", "a plushie {}.", "a photo of the nice {}.",
		"a photo of the small {}.", "a photo of the weird {}.", "the cartoon {}.", "art of the {}.",
		"a drawing of the {}.", "a photo of the large {}.", "a black and white photo of a {}.", "the plushie {}.",
		"a dark photo of a {}.", "itap of a {}.", "graffiti of the {}.", "a toy {}.",
		"itap of my {}.", "a photo of a cool {}.", "a photo of a small {}.", "a tattoo of the {}.",
	},
	// pictogram: for emoji, icons and clip art, phrased as the captions of the project's
	// corpus (train/corpus) are, without a full stop, so the default model's prompts look
	// like its training captions.
	"pictogram": {"an emoji of a {}", "an icon of a {}", "{}"},
	// pictogram-ko: the same for Korean labels (the corpus's Korean captions are "{} 이모지"
	// and the bare name).
	"pictogram-ko": {"{} 이모지", "{}"},
	// label: the bare label, for models trained on bare names or to see what templates add.
	"label": {"{}"},
}

// DefaultTemplateSet is used when no template is given.
const DefaultTemplateSet = "clip7"

// TemplateSet returns a named template set.
func TemplateSet(name string) ([]string, error) {
	t, ok := templateSets[name]
	if !ok {
		return nil, fmt.Errorf("unknown template set %q (known: %s)", name, strings.Join(TemplateSetNames(), ", "))
	}
	return append([]string(nil), t...), nil
}

// TemplateSetNames lists the built-in sets.
func TemplateSetNames() []string {
	var names []string
	for n := range templateSets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Fill puts label into template's "{}" placeholder.
func Fill(template, label string) (string, error) {
	if strings.Count(template, "{}") != 1 {
		return "", fmt.Errorf("template %q must contain the placeholder {} exactly once", template)
	}
	return strings.Replace(template, "{}", label, 1), nil
}

// SplitLabels splits a comma-separated label list.
func SplitLabels(list string) []string { return strings.Split(list, ",") }

// CleanLabels trims labels, drops empty ones and rejects repeated ones and an empty list.
func CleanLabels(raw []string) ([]string, error) {
	var labels []string
	seen := map[string]bool{}
	for _, l := range raw {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if seen[l] {
			return nil, fmt.Errorf("label %q is given twice", l)
		}
		seen[l] = true
		labels = append(labels, l)
	}
	if len(labels) == 0 {
		return nil, fmt.Errorf("no labels: give at least one label")
	}
	return labels, nil
}
