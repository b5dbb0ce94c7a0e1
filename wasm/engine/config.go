package engine

import (
	"fmt"

	"github.com/clip-go/clip/model/arch"
	"github.com/clip-go/clip/model/imageproc"
)

// Config is the model's architecture, shared with the float model (package arch).
type Config = arch.Config

// maxDim bounds every size but the vocabulary, so a crafted config cannot make the
// engine allocate absurd buffers before the tensor shapes are checked against it.
const maxDim = 1 << 16

// checkConfig is arch's validation plus the engine's own limits.
func checkConfig(c Config) error {
	if err := c.Validate(); err != nil {
		return err
	}
	for _, d := range []int{c.ProjectionDim, c.Text.HiddenSize, c.Text.IntermediateSize, c.Text.MaxPositionEmbeddings,
		c.Vision.HiddenSize, c.Vision.IntermediateSize, c.Vision.ImageSize} {
		if d > maxDim {
			return fmt.Errorf("config: a size of %d is beyond this engine's limit of %d", d, maxDim)
		}
	}
	for _, act := range []string{c.Text.HiddenAct, c.Vision.HiddenAct} {
		if _, ok := activations[act]; !ok {
			return fmt.Errorf("config: hidden_act %q is not implemented by the engine", act)
		}
	}
	return nil
}

// ParseConfig reads config.json bytes as the quantizer stored them.
func ParseConfig(data []byte) (Config, error) {
	c, err := arch.Parse(data)
	if err != nil {
		return c, err
	}
	return c, checkConfig(c)
}

// Preprocessor is the image preprocessing stored in the model file.
// Writers get it from imageproc.Config.Record; imageproc.ParseRecorded reads it back.
type Preprocessor = imageproc.Recorded
