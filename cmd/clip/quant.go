package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/clip-go/clip/model"
	"github.com/clip-go/clip/model/imageproc"
	"github.com/clip-go/clip/wasm/engine"
	"github.com/clip-go/clip/weights"
)

func init() {
	commands = append(commands,
		command{"quantize", "quantize --model DIR --out FILE [flags]", "write a model as one quantized file (8- or 4-bit weights) for the quantized engine", cmdQuantize},
		command{"bench", "bench (--model FILE | --shape NAME --random) [flags]", "measure the quantized engine: ms per image or prompt, throughput, peak memory", cmdBench})
	// classify and embed accept a quantized file as --model: it runs on the quantized
	// engine instead of GoMLX.
	otherLoaders = append(otherLoaders, func(path string, opt engine.Options) (clipModel, bool, error) {
		if !weights.IsQuantFile(path) {
			return nil, false, nil
		}
		m, err := engine.LoadFile(path, opt)
		return m, true, err
	})
}

// quantizeRecord is what `clip quantize` prints.
type quantizeRecord struct {
	Out        string `json:"out"`
	Bits       int    `json:"bits"`
	TextBits   int    `json:"text_bits"`
	Block      int    `json:"block"`
	ActBits    int    `json:"activation_bits"`
	Bytes      int64  `json:"bytes"`
	Float32    int64  `json:"float32_bytes"` // the same parameters in float32
	Parameters int64  `json:"parameters"`
	Checksum   string `json:"checksum"`
}

// cmdQuantize writes a model folder (or checkpoint file) as one quantized model file.
func cmdQuantize(args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("quantize", flag.ContinueOnError)
	dir := fs.String("model", "", "model folder in the hub layout (or a .safetensors checkpoint)")
	bits := fs.Int("bits", 8, "bits per weight: 8 or 4")
	textBits := fs.Int("text-bits", 0, "bits of the text tower's weights (default: 8, also for --bits 4, where 4-bit text loses accuracy)")
	block := fs.Int("block", weights.DefaultBlock, "weights per quantization block (a multiple of 8)")
	actBits := fs.Int("act-bits", 8, "bits the engines quantize activations to: 8, or 7 (a little less accurate; int8 layers then run in one relaxed-SIMD instruction per 16 inputs in the browser). With a quantized file as --model, it and --trim are what change")
	trim := fs.Bool("trim", false, "trim each picture's uniform border before the resize, so the drawing fills the frame (for pictogram models, whose training pictures fill it; a hub folder's preprocessor_config.json can say so too, as \"trim_border\": true). With a quantized file as --model, it changes too (--trim=false clears it)")
	out := fs.String("out", "", "the quantized model file to write")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, rest[0])
	}
	if *dir == "" || *out == "" {
		return fmt.Errorf("%w: --model DIR and --out FILE are required", errUsage)
	}
	if *actBits != 8 && *actBits != 7 {
		return fmt.Errorf("%w: --act-bits must be 8 or 7, not %d", errUsage, *actBits)
	}
	var qf *weights.QuantFile
	if weights.IsQuantFile(*dir) {
		// Already quantized: the weights stay as they are, and so must the flags that
		// would change them.
		for _, name := range []string{"bits", "text-bits", "block"} {
			if isFlagSet(fs, name) {
				return fmt.Errorf("%w: %s is already quantized; only --act-bits and --trim apply to it", errUsage, *dir)
			}
		}
		data, err := os.ReadFile(*dir)
		if err != nil {
			return err
		}
		if qf, err = weights.ParseQuant(data); err != nil {
			return fmt.Errorf("%s: %w", *dir, err)
		}
		*bits, *block = qf.Bits, qf.Block
		*textBits = qf.Bits
		for name, q := range qf.Quant {
			if strings.HasPrefix(name, "text_model.") {
				*textBits = q.Bits
				break
			}
		}
	} else {
		if *textBits == 0 {
			*textBits = engine.TextBitsFor(*bits)
		}
		for _, b := range []int{*bits, *textBits} {
			if err := weights.CheckQuantParams(b, *block); err != nil {
				return fmt.Errorf("%w: %v", errUsage, err)
			}
		}
		var err error
		if qf, err = quantizeFolder(*dir, *bits, *textBits, *block); err != nil {
			return err
		}
	}
	qf.ActBits = *actBits
	if isFlagSet(fs, "trim") {
		var p engine.Preprocessor
		if err := json.Unmarshal(qf.Preprocessor, &p); err != nil {
			return fmt.Errorf("%s: corrupt preprocessor metadata: %v", *dir, err)
		}
		p.Trim = *trim
		if qf.Preprocessor, err = json.Marshal(p); err != nil {
			return err
		}
	}
	if err := weights.WriteQuantFile(*out, qf); err != nil {
		return err
	}
	st, err := os.Stat(*out)
	if err != nil {
		return err
	}
	rec := quantizeRecord{Out: *out, Bits: *bits, TextBits: *textBits, Block: *block, ActBits: *actBits, Bytes: st.Size(), Checksum: qf.Checksum}
	for _, q := range qf.Quant {
		rec.Parameters += int64(q.Rows * q.Cols)
	}
	for _, t := range qf.Float {
		rec.Parameters += int64(t.NumElements())
	}
	rec.Float32 = 4 * rec.Parameters
	return writeJSON(stdout, rec)
}

// quantizeFolder reads a model as `clip embed` does (weights, config, tokenizer, image
// preprocessing) and quantizes it.
func quantizeFolder(path string, bits, textBits, block int) (*weights.QuantFile, error) {
	cfg, params, err := model.LoadWeights(path)
	if err != nil {
		return nil, err
	}
	dir := path
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		dir = filepath.Dir(path)
	}
	tok, err := model.LoadTokenizer(dir)
	if err != nil {
		return nil, err
	}
	img := imageproc.DefaultConfig(cfg.Vision.ImageSize)
	if p := filepath.Join(dir, "preprocessor_config.json"); fileExists(p) {
		if img, err = imageproc.LoadConfig(p); err != nil {
			return nil, err
		}
	}
	return quantizeParams(cfg, params, tok, img, bits, textBits, block)
}

// quantizeParams quantizes a model held in memory.
func quantizeParams(cfg model.Config, params map[string]*weights.Tensor, tok interface {
	HubBytes() ([]byte, []byte, error)
}, img imageproc.Config, bits, textBits, block int) (*weights.QuantFile, error) {
	cfgJSON, err := cfg.Marshal()
	if err != nil {
		return nil, err
	}
	// The tokenizer goes into the file as the hub's vocab.json and merges.txt.
	vocab, merges, err := tok.HubBytes()
	if err != nil {
		return nil, err
	}
	return engine.Quantize(cfgJSON, params, vocab, merges, img.Record(), bits, textBits, block)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
