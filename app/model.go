//go:build js && wasm

package main

import (
	"encoding/json"
	"fmt"
	"syscall/js"

	"github.com/clip-go/clip/app/core"
	"github.com/clip-go/clip/model/zeroshot"
)

// defaultManifest names the model `make web` bundles; a site without one has no default
// model and the page asks for a file.
const defaultManifest = "models/default.json"

// modelInfo is what the worker's load returns (wasm/cmd/clipwasm).
type modelInfo struct {
	ID           string `json:"id"`
	Bits         int    `json:"bits"`
	TextBits     int    `json:"textBits"`
	ActBits      int    `json:"actBits"`
	Block        int    `json:"block"`
	Kernel       string `json:"kernel"`
	ImageSize    int    `json:"imageSize"`
	Trim         bool   `json:"trim"` // the model trims pictures' white margins (imageproc)
	PatchSize    int    `json:"patchSize"`
	EmbeddingDim int    `json:"embeddingDim"`
	VisionLayers int    `json:"visionLayers"`
	VisionWidth  int    `json:"visionWidth"`
	TextLayers   int    `json:"textLayers"`
	TextWidth    int    `json:"textWidth"`
	FileBytes    int64  `json:"fileBytes"`
}

// Model phases, also the status line's class.
const (
	phaseNone    = "none"
	phaseLoading = "loading"
	phaseReady   = "ready"
	phaseError   = "error"
)

type modelState struct {
	Name  string
	Phase string
	Err   string
	Bytes int64 // the file's size, known before it is loaded
	Got   int64 // bytes downloaded so far
	Info  modelInfo
	// Workers is the number of engine workers holding the model (the pool, pool.go).
	Workers int
	// Failed says why another model did not load while this one stayed in use.
	Failed string
	// Action is what loading does, when it is more than reading a file ("downloading
	// and quantizing to int8"); Note is said beside a ready model (it was not stored).
	Action, Note string
}

// statusText is the status line's model part. It names the model, and says "ready" once
// it is loaded and "error" when loading failed (the tests wait for those words).
func (m modelState) statusText() string {
	switch m.Phase {
	case phaseLoading:
		if m.Action != "" {
			if m.Bytes > 0 {
				return fmt.Sprintf("Model %s: %s, %s of %s…", m.Name, m.Action, core.Bytes(m.Got), core.Bytes(m.Bytes))
			}
			return fmt.Sprintf("Model %s: %s…", m.Name, m.Action)
		}
		if m.Got > 0 && m.Got < m.Bytes {
			return fmt.Sprintf("Model %s: downloading, %s of %s…", m.Name, core.Bytes(m.Got), core.Bytes(m.Bytes))
		}
		return fmt.Sprintf("Model %s: loading (%s)…", m.Name, core.Bytes(m.Bytes))
	case phaseReady:
		i := m.Info
		kernel := "portable kernel"
		switch i.Kernel {
		case "wasm-simd128":
			kernel = "SIMD kernel"
		case "wasm-relaxed-simd":
			kernel = "relaxed SIMD kernel"
		}
		bits := fmt.Sprintf("int%d", i.Bits)
		if i.TextBits != i.Bits {
			bits += fmt.Sprintf(" (text int%d)", i.TextBits)
		}
		if i.ActBits == 7 {
			bits += ", 7-bit activations"
		}
		size := fmt.Sprintf("%d px", i.ImageSize)
		if i.Trim {
			size += " (white margins trimmed)"
		}
		text := fmt.Sprintf("Model %s: ready · ViT %s / %d px patches, %d+%d layers of %d/%d, %d-d embeddings · %s · %s · %s",
			m.Name, size, i.PatchSize, i.VisionLayers, i.TextLayers, i.VisionWidth, i.TextWidth, i.EmbeddingDim,
			core.Bytes(i.FileBytes), bits, kernel)
		if m.Workers > 1 {
			text += fmt.Sprintf(" · %d workers", m.Workers)
		}
		if m.Note != "" {
			text += " · " + m.Note
		}
		if m.Failed != "" {
			text += " · error: " + m.Failed + " (still using " + m.Name + ")"
		}
		return text
	case phaseError:
		return fmt.Sprintf("Model %s: error: %s", m.Name, m.Err)
	}
	return "No model loaded: choose a quantized .safetensors file (from clip quantize) under Model."
}

// loadDefault loads the bundled model named by the site's manifest, if it has one.
func (c *Root) loadDefault() {
	if c.loadRemembered() { // a kept model used last time comes first
		return
	}
	res, err := await(js.Global().Call("fetch", defaultManifest))
	if err != nil { // not an answer (a site without a default model answers 404): say so
		c.setModel(modelState{Name: "default", Phase: phaseError, Err: fmt.Sprintf("%s: %v", defaultManifest, err)})
		return
	}
	if !res.Get("ok").Bool() {
		c.setModel(modelState{Phase: phaseNone})
		return
	}
	var man struct {
		Name        string `json:"name"`
		File        string `json:"file"`
		Bytes       int64  `json:"bytes"`
		TemplateSet string `json:"templateSet"` // the model's own templates, as clip uses them
		SHA256      string `json:"sha256"`      // the file's, and
		ID          string `json:"id"`          // the checksum it records (app/site)
	}
	text, err := await(res.Call("text"))
	if err == nil {
		err = json.Unmarshal([]byte(text.String()), &man)
	}
	if err != nil || man.File == "" {
		c.setModel(modelState{Name: "default", Phase: phaseError, Err: fmt.Sprintf("bad %s: %v", defaultManifest, err)})
		return
	}
	if _, err := zeroshot.TemplateSet(man.TemplateSet); err == nil {
		c.env.Lock()
		c.templateSet, c.bundledSet = man.TemplateSet, man.TemplateSet // the same prompts as clip classify with this model
		c.env.UnlockOnly()
	}
	c.startLoading(modelState{Name: man.Name, Phase: phaseLoading, Bytes: man.Bytes})
	data, err := c.download(man.File, man.Bytes)
	if err != nil {
		c.failed(man.Name, man.Bytes, err)
		return
	}
	// The browser's SHA-256 (native, off the main thread) checks the bytes against the
	// site's manifest, and the engine is told the checksum they record is verified: it
	// need not hash them again in WebAssembly. Without SubtleCrypto the engine does.
	verified := ""
	if man.SHA256 != "" && man.ID != "" {
		if sum, ok := subtleSHA256(data); ok {
			if sum != man.SHA256 {
				c.failed(man.Name, man.Bytes, fmt.Errorf("the download is damaged: its SHA-256 is %.12s…, the site's manifest says %.12s…", sum, man.SHA256))
				return
			}
			verified = man.ID
		}
	}
	c.loadBytes(man.Name, data, verified)
}

// download fetches url into one Uint8Array, showing the bytes received in the status
// line. size is the expected size (from the manifest; Content-Length would be the
// compressed size); a body of another size still works.
func (c *Root) download(url string, size int64) (js.Value, error) {
	res, err := await(js.Global().Call("fetch", url))
	if err != nil {
		return js.Value{}, err
	}
	if !res.Get("ok").Bool() {
		return js.Value{}, fmt.Errorf("%s: HTTP %d", url, res.Get("status").Int())
	}
	u8 := js.Global().Get("Uint8Array")
	buf := u8.New(max(size, 1<<16))
	var got int64
	reader := res.Get("body").Call("getReader")
	for {
		r, err := await(reader.Call("read"))
		if err != nil {
			return js.Value{}, fmt.Errorf("%s: download failed: %v", url, err)
		}
		if r.Get("done").Bool() {
			break
		}
		chunk := r.Get("value")
		n := int64(chunk.Get("length").Int())
		if got+n > int64(buf.Get("length").Float()) { // larger than announced: grow
			bigger := u8.New(2 * (got + n))
			bigger.Call("set", buf.Call("subarray", 0, got))
			buf = bigger
		}
		buf.Call("set", chunk, got)
		got += n
		c.env.Lock()
		c.model.Got = got
		c.unlockRender()
	}
	return buf.Call("subarray", 0, got), nil
}

// loadFile loads a model file the user picked.
func (c *Root) loadFile(file js.Value) {
	name, size := file.Get("name").String(), int64(file.Get("size").Float())
	c.startLoading(modelState{Name: name, Phase: phaseLoading, Bytes: size})
	data, err := fileBytes(file)
	if err != nil {
		c.failed(name, size, err)
		return
	}
	c.loadBytes(name, data, "") // the engine verifies a picked file
}

// loadBytes hands the model's bytes to the worker (moved, not copied) and, once it is
// loaded, queues every image again for the new model. verified is the checksum the
// bytes were checked to record ("" for none: the engine verifies them).
func (c *Root) loadBytes(name string, data js.Value, verified string) {
	size := int64(data.Get("length").Float())
	c.startLoading(modelState{Name: name, Phase: phaseLoading, Bytes: size})
	res, err := c.pool.Load(data, verified)
	var info modelInfo
	if err == nil {
		err = fromJS(res, &info)
	}
	if err != nil {
		c.failed(name, size, err)
		return
	}
	c.useModel(modelState{Name: name, Phase: phaseReady, Bytes: size, Info: info})
}

// useModel makes a loaded model the page's and queues every image again for it.
func (c *Root) useModel(m modelState) {
	m.Workers = c.pool.Size()
	c.env.Lock()
	c.model = m
	c.requeueAll()
	c.unlockRender()
	c.refreshStats()
	c.kickQueue()
}

// startLoading shows a model loading, remembering the one in use: the worker keeps it
// when the new one fails to load (if both fit in memory).
func (c *Root) startLoading(m modelState) {
	c.env.Lock()
	if c.model.Phase == phaseReady {
		c.previous = c.model
		c.previous.Failed = ""
	}
	c.model = m
	c.unlockRender()
}

// failed reports a model that did not load: beside the previous model if the worker
// still has it (its stats answer), else as the status line's error.
func (c *Root) failed(name string, size int64, err error) {
	_, noModel := c.pool.Stats()
	c.env.Lock()
	if noModel == nil && c.previous.Phase == phaseReady {
		c.model = c.previous
		c.model.Failed = fmt.Sprintf("could not load %s: %v", name, err)
	} else {
		c.model = modelState{Name: name, Phase: phaseError, Err: err.Error(), Bytes: size}
	}
	c.unlockRender()
	c.kickQueue()
}

func (c *Root) setModel(m modelState) {
	c.env.Lock()
	c.model = m
	c.unlockRender()
}

// fromJS decodes a JavaScript value (a worker's reply) through JSON.
func fromJS(v js.Value, out any) error {
	return json.Unmarshal([]byte(js.Global().Get("JSON").Call("stringify", v).String()), out)
}
