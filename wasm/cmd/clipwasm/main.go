//go:build js && wasm

// Command clipwasm is the quantized CLIP engine for a web page, built with
// GOOS=js GOARCH=wasm. It puts one object on globalThis, clipEngine, with synchronous
// functions meant to run inside a Web Worker (see wasm/web/clip-worker.js):
//
//	clipEngine.load(bytes: Uint8Array, {maxMemoryMB?, textCache?, portable?}) → info
//	                     (on failure the previous model stays loaded if both fit)
//	clipEngine.embedImage(bytes: Uint8Array) → Float32Array   (an encoded image)
//	clipEngine.embedTexts(texts: string[], {truncate?}) → Float32Array[]
//	clipEngine.classify({images: (Uint8Array|Float32Array)[], labels: string[],
//	                     templates?: string[], top?: number, truncate?}) → [{label, prob}][]
//	                     (templates default to the CLI's, zeroshot.DefaultTemplateSet)
//	clipEngine.stats() → {imagesEncoded, textsEncoded, textCacheHits}   (since load)
//	clipEngine.unload()
//	clipEngine.bench({batch?, iters?, tokens?}) → {imageMs, textMs}   (per image / prompt)
//	clipEngine.quantBegin / quantFeed / quantFinish / pendingRead / quantLoad / quantAbort
//	                     (a float checkpoint quantized as it downloads, see quant.go)
//
// A function that fails returns {error: "message"} instead of its result (a Go function
// cannot throw into JavaScript); the worker turns it into a rejected promise. Prompt
// embeddings are cached by the engine and image embeddings of classify's Uint8Array
// images by their content, so changing the labels re-encodes no image and changing the
// images re-encodes no prompt.
package main

import (
	"crypto/sha256"
	"fmt"
	"math"
	"runtime/debug"
	"slices"
	"syscall/js"
	"time"

	"github.com/clip-go/clip/model/zeroshot"
	"github.com/clip-go/clip/wasm/engine"
)

// defaultMaxMemoryMB is the memory a model may need unless the page says otherwise:
// WebAssembly (32-bit) gives a module at most 4 GiB and browsers on phones much less.
const defaultMaxMemoryMB = 2048

// imageCacheSize bounds the image embeddings kept for classify.
const imageCacheSize = 1024

var (
	model      *engine.Model
	imageCache = map[[32]byte][]float32{}
)

func main() {
	api := js.Global().Get("Object").New()
	for name, fn := range map[string]func(args []js.Value) (any, error){
		"load":       load,
		"embedImage": embedImage,
		"embedTexts": embedTexts,
		"classify":   classify,
		"bench":      bench,
		"stats":      stats,
		"quantBegin": quantBegin, "quantFeed": quantFeed, "quantFinish": quantFinish,
		"pendingRead": pendingRead, "quantLoad": quantLoad, "quantAbort": quantAbort,
		"unload": func([]js.Value) (any, error) {
			model, imageCache = nil, map[[32]byte][]float32{}
			debug.FreeOSMemory()
			return nil, nil
		},
	} {
		api.Set(name, js.FuncOf(wrap(fn)))
	}
	api.Set("version", engine.FormatVersion())
	js.Global().Set("clipEngine", api)
	if ready := js.Global().Get("onClipEngineReady"); ready.Type() == js.TypeFunction {
		ready.Invoke(api)
	}
	select {}
}

// wrap turns a Go error or panic into {error: message}: a panic would otherwise end the
// Go program and leave the page with a dead engine.
func wrap(fn func(args []js.Value) (any, error)) func(js.Value, []js.Value) any {
	return func(_ js.Value, args []js.Value) (result any) {
		defer func() {
			if r := recover(); r != nil {
				result = errValue(fmt.Errorf("internal error: %v", r))
			}
		}()
		v, err := fn(args)
		if err != nil {
			return errValue(err)
		}
		return v
	}
}

func errValue(err error) any { return map[string]any{"error": err.Error()} }

func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}

// option reads an optional field of an options object.
func option(opts js.Value, name string) js.Value {
	if opts.Type() != js.TypeObject {
		return js.Undefined()
	}
	return opts.Get(name)
}

func bytesOf(v js.Value, what string) ([]byte, error) {
	if v.Type() != js.TypeObject || !v.InstanceOf(js.Global().Get("Uint8Array")) {
		return nil, fmt.Errorf("%s must be a Uint8Array", what)
	}
	b := make([]byte, v.Get("length").Int())
	js.CopyBytesToGo(b, v)
	return b, nil
}

func load(args []js.Value) (any, error) {
	src, opts := arg(args, 0), arg(args, 1)
	if src.Type() != js.TypeObject || !src.InstanceOf(js.Global().Get("Uint8Array")) {
		return nil, fmt.Errorf("load: the model must be a Uint8Array")
	}
	limit := maxMemoryMB(opts)
	o := engineOptions(opts)
	// Check the size before copying the bytes into Go's memory: growing it past what the
	// page allows would end the Go program instead of returning an error.
	size := int64(src.Get("length").Int())
	if need := engine.EstimateMemory(size); need > o.MaxMemory {
		return nil, fmt.Errorf("model too large: a %.1f MB file needs about %.0f MB once loaded, more than the %d MB this page allows",
			float64(size)/1e6, float64(need)/1e6, limit)
	}
	// Keep the current model while the new one loads when both fit, so that a file which
	// turns out not to load leaves the page with the model it had (stats tells the page
	// whether one is loaded); else free it first.
	if model == nil || engine.EstimateMemory(model.FileSize())+engine.EstimateMemory(size) > o.MaxMemory {
		model, imageCache = nil, map[[32]byte][]float32{}
		debug.FreeOSMemory()
	}
	data := make([]byte, size)
	js.CopyBytesToGo(data, src)
	m, err := engine.Load(data, o)
	if err != nil {
		return nil, err
	}
	model, imageCache = m, map[[32]byte][]float32{}
	debug.FreeOSMemory()
	return infoOf(m), nil
}

// infoOf is what load returns: the model's shape and file.
func infoOf(m *engine.Model) map[string]any {
	cfg := m.Config()
	return map[string]any{
		"id": m.ID(), "bits": m.Bits(), "textBits": m.TextBits(), "actBits": m.ActBits(), "block": m.Block(), "kernel": m.Kernel(),
		"imageSize": cfg.Vision.ImageSize, "trim": m.ImageConfig().Trim, "patchSize": cfg.Vision.PatchSize, "embeddingDim": cfg.ProjectionDim,
		"visionLayers": cfg.Vision.NumHiddenLayers, "visionWidth": cfg.Vision.HiddenSize,
		"textLayers": cfg.Text.NumHiddenLayers, "textWidth": cfg.Text.HiddenSize,
		"contextLength": cfg.Text.MaxPositionEmbeddings, "fileBytes": m.FileSize(),
	}
}

// engineOptions reads load's options.
func engineOptions(opts js.Value) engine.Options {
	o := engine.Options{Workers: 1, MaxMemory: maxMemoryMB(opts) << 20}
	if v := option(opts, "textCache"); v.Type() == js.TypeNumber {
		o.TextCache = v.Int()
	}
	o.Portable = option(opts, "portable").Truthy()
	if v := option(opts, "verified"); v.Type() == js.TypeString {
		o.Verified = v.String() // a copy of what another worker verified (app/pool.go)
	}
	return o
}

// maxMemoryMB is the page's memory limit for a model (the maxMemoryMB option).
func maxMemoryMB(opts js.Value) int64 {
	if v := option(opts, "maxMemoryMB"); v.Type() == js.TypeNumber {
		return int64(v.Float())
	}
	return defaultMaxMemoryMB
}

func loaded() (*engine.Model, error) {
	if model == nil {
		return nil, fmt.Errorf("no model loaded: call load first")
	}
	return model, nil
}

func float32Array(v []float32) js.Value {
	a := js.Global().Get("Float32Array").New(len(v))
	// Float32Array has no bulk copy from Go; go through its bytes.
	b := make([]byte, 4*len(v))
	for i, x := range v {
		u := math.Float32bits(x)
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	}
	js.CopyBytesToJS(js.Global().Get("Uint8Array").New(a.Get("buffer")), b)
	return a
}

func float32sOf(v js.Value) []float32 {
	n := v.Get("length").Int()
	b := make([]byte, 4*n)
	js.CopyBytesToGo(b, js.Global().Get("Uint8Array").New(v.Get("buffer"), v.Get("byteOffset"), 4*n))
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(uint32(b[4*i]) | uint32(b[4*i+1])<<8 | uint32(b[4*i+2])<<16 | uint32(b[4*i+3])<<24)
	}
	return out
}

// imageEmbedding encodes image bytes, from the cache when it has seen them.
func imageEmbedding(m *engine.Model, data []byte) ([]float32, error) {
	key := sha256.Sum256(data)
	if e, ok := imageCache[key]; ok {
		return e, nil
	}
	feats, errs, err := m.EncodeImages([][]byte{data})
	if err != nil {
		return nil, err
	}
	if errs[0] != nil {
		return nil, errs[0]
	}
	if len(imageCache) >= imageCacheSize {
		clear(imageCache)
	}
	imageCache[key] = feats[0]
	return feats[0], nil
}

func embedImage(args []js.Value) (any, error) {
	m, err := loaded()
	if err != nil {
		return nil, err
	}
	data, err := bytesOf(arg(args, 0), "embedImage: the image")
	if err != nil {
		return nil, err
	}
	e, err := imageEmbedding(m, data)
	if err != nil {
		return nil, err
	}
	return float32Array(e), nil
}

func stringsOf(v js.Value, what string) ([]string, error) {
	if v.Type() != js.TypeObject || !js.Global().Get("Array").Call("isArray", v).Bool() {
		return nil, fmt.Errorf("%s must be an array of strings", what)
	}
	out := make([]string, v.Length())
	for i := range out {
		if v.Index(i).Type() != js.TypeString {
			return nil, fmt.Errorf("%s must be an array of strings", what)
		}
		out[i] = v.Index(i).String()
	}
	return out, nil
}

func embedTexts(args []js.Value) (any, error) {
	m, err := loaded()
	if err != nil {
		return nil, err
	}
	texts, err := stringsOf(arg(args, 0), "embedTexts: texts")
	if err != nil {
		return nil, err
	}
	feats, err := m.EncodeTexts(texts, option(arg(args, 1), "truncate").Truthy())
	if err != nil {
		return nil, err
	}
	out := make([]any, len(feats))
	for i, f := range feats {
		out[i] = float32Array(f)
	}
	return out, nil
}

func classify(args []js.Value) (any, error) {
	m, err := loaded()
	if err != nil {
		return nil, err
	}
	req := arg(args, 0)
	if req.Type() != js.TypeObject {
		return nil, fmt.Errorf("classify: expected {images, labels, templates?, top?}")
	}
	labels, err := stringsOf(req.Get("labels"), "classify: labels")
	if err != nil {
		return nil, err
	}
	if labels, err = zeroshot.CleanLabels(labels); err != nil {
		return nil, err
	}
	// The CLI's default, so that the page and `clip classify` agree out of the box.
	templates, err := zeroshot.TemplateSet(zeroshot.DefaultTemplateSet)
	if err != nil {
		return nil, err
	}
	if t := req.Get("templates"); !t.IsUndefined() && !t.IsNull() {
		if templates, err = stringsOf(t, "classify: templates"); err != nil {
			return nil, err
		}
	}
	top := len(labels)
	if t := req.Get("top"); t.Type() == js.TypeNumber {
		top = max(1, t.Int())
	}
	clf, err := m.Classifier(labels, templates, req.Get("truncate").Truthy())
	if err != nil {
		return nil, err
	}
	images := req.Get("images")
	if images.Type() != js.TypeObject || !js.Global().Get("Array").Call("isArray", images).Bool() {
		return nil, fmt.Errorf("classify: images must be an array")
	}
	out := make([]any, images.Length())
	for i := range out {
		im := images.Index(i)
		var emb []float32
		switch {
		case im.InstanceOf(js.Global().Get("Float32Array")):
			emb = float32sOf(im)
			if len(emb) != m.Config().ProjectionDim {
				return nil, fmt.Errorf("classify: image %d: an embedding of %d values, the model's have %d", i, len(emb), m.Config().ProjectionDim)
			}
		default:
			data, err := bytesOf(im, fmt.Sprintf("classify: image %d", i))
			if err != nil {
				return nil, fmt.Errorf("%v (or a Float32Array embedding)", err)
			}
			if emb, err = imageEmbedding(m, data); err != nil {
				out[i] = map[string]any{"error": err.Error()}
				continue
			}
		}
		var preds []any
		for _, p := range clf.Top(emb, top) {
			preds = append(preds, map[string]any{"label": p.Label, "prob": p.Prob})
		}
		out[i] = preds
	}
	return out, nil
}

// stats reports the encoders' counters, so a page can show (and a test check) that
// changing labels re-encoded no image.
func stats([]js.Value) (any, error) {
	m, err := loaded()
	if err != nil {
		return nil, err
	}
	images, texts := m.Encoded()
	return map[string]any{"imagesEncoded": images, "textsEncoded": texts, "textCacheHits": m.CacheHits()}, nil
}

// bench times the encoders on random inputs inside Go (no decoding, no copying between
// JavaScript and Go), for comparison with the native engine's `clip bench`.
func bench(args []js.Value) (any, error) {
	m, err := loaded()
	if err != nil {
		return nil, err
	}
	opts := arg(args, 0)
	batch, iters, tokens := 1, 3, 8
	if v := option(opts, "batch"); v.Type() == js.TypeNumber {
		batch = max(1, v.Int())
	}
	if v := option(opts, "iters"); v.Type() == js.TypeNumber {
		iters = max(1, v.Int())
	}
	if v := option(opts, "tokens"); v.Type() == js.TypeNumber {
		tokens = min(max(2, v.Int()), m.Config().Text.MaxPositionEmbeddings)
	}
	cfg := m.Config()
	px := make([]float32, batch*cfg.Vision.NumChannels*cfg.Vision.ImageSize*cfg.Vision.ImageSize)
	for i := range px {
		px[i] = float32(i%255)/64 - 2
	}
	rows := make([][]int, batch)
	for i := range rows {
		rows[i] = make([]int, tokens)
		rows[i][0], rows[i][tokens-1] = cfg.Text.VocabSize-2, cfg.Text.VocabSize-1
		for k := 1; k < tokens-1; k++ {
			rows[i][k] = 300 + 7*k + i
		}
	}
	timeIt := func(run func() error) (float64, error) {
		if err := run(); err != nil { // warm-up
			return 0, err
		}
		times := make([]float64, iters)
		for i := range times {
			start := time.Now()
			if err := run(); err != nil {
				return 0, err
			}
			times[i] = time.Since(start).Seconds()
		}
		slices.Sort(times)
		return 1000 * times[len(times)/2] / float64(batch), nil // the median, as clip bench
	}
	img, err := timeIt(func() error { _, err := m.EncodePixels(px, batch); return err })
	if err != nil {
		return nil, err
	}
	txt, err := timeIt(func() error { _, err := m.EncodeTokens(rows); return err })
	if err != nil {
		return nil, err
	}
	return map[string]any{"imageMs": img, "textMs": txt, "batch": batch}, nil
}
