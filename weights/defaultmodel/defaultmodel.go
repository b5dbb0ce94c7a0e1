// Package defaultmodel is the model that clip and the web page use when none is given:
// a small CLIP trained by this project on its own corpus of emoji, icons and clip art
// (train/corpus), quantized to 8 bits. It knows pictograms, not photographs; MODEL.md
// beside this file is its card (data, recipe, results, limits).
//
// The file is embedded, so a `go install`ed clip runs it with nothing to download.
package defaultmodel

import (
	"bytes"
	"errors"
)

// Name is how the model is called in the CLI's and the page's messages.
const Name = "clip-go pictograms (small, int8)"

// TemplateSet is the built-in template set (model/zeroshot) that classify and eval use
// with this model when none is given: prompts phrased like its training captions, which
// score 11 points higher on unseen styles than the photo templates (MODEL.md).
const TemplateSet = "pictogram"

// ErrNotBuiltIn is Load's error in a binary built with -tags nomodel.
var ErrNotBuiltIn = errors.New("this binary was built without it (-tags nomodel): give --model")

// Bytes returns a copy of the quantized model file (the format of weights.QuantFile, as
// `clip quantize` writes): a copy, because the engine rearranges what it loads in place.
// It fails with ErrNotBuiltIn in a binary built without the model.
func Bytes() ([]byte, error) {
	if len(file) == 0 {
		return nil, ErrNotBuiltIn
	}
	return bytes.Clone(file), nil
}
