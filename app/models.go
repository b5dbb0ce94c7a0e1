//go:build js && wasm

package main

import (
	"fmt"
	"strings"
	"syscall/js"

	"github.com/clip-go/clip/app/core"
	"github.com/clip-go/clip/model/zeroshot"
	"github.com/vugu/vugu"
)

// Models from the model hub or a float folder are quantized in the worker as they
// download (clip-models.js over the engine's streaming quantizer), kept in the browser's
// storage (OPFS) and listed here; the last one used is loaded again on the next visit,
// from storage, without a download.

// rememberKey is the localStorage key of the kept model to load on the next visit.
const rememberKey = "clip-go.model"

// storedModel is a kept model, as the worker's listModels gives it.
type storedModel struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Bytes   int64  `json:"bytes"`
	Bits    int    `json:"bits"`
	ActBits int    `json:"actBits"` // 7, or 8 (0 in an index written before there was a choice)
	Source  string `json:"source"`
}

func (m storedModel) text() string {
	s := fmt.Sprintf("%s · %s · int%d", m.Name, core.Bytes(m.Bytes), m.Bits)
	if m.ActBits == 7 {
		s += ", 7-bit activations"
	}
	return s
}

// modelsView is the model picker's state.
type modelsView struct {
	open        bool // the <details> is open (a render would close it otherwise)
	url, urlErr string
	bits        string // "8", "8a7" (7-bit activations) or "4"
	stored      []storedModel
	storeErr    string
}

// quantResult is what the worker's quantizeURL and quantizeFiles return.
type quantResult struct {
	Info       modelInfo `json:"info"`
	ID         string    `json:"id"`
	Stored     bool      `json:"stored"`
	StoreError string    `json:"storeError"`
}

// onPickerToggle opens and closes the model picker. The page owns its state (the
// summary's default action is cancelled): a render between the browser opening the
// <details> and its toggle event would otherwise close it again.
func (c *Root) onPickerToggle(e vugu.DOMEvent) {
	e.PreventDefault()
	c.models.open = !c.models.open
}

func (c *Root) onModelURL(e vugu.DOMEvent) {
	c.models.url = js.Value(e.JSEventTarget()).Get("value").String()
	c.models.urlErr = ""
}

func (c *Root) onPreset(p core.Preset) {
	c.models.url, c.models.urlErr = p.URL(), ""
}

func (c *Root) onModelBits(e vugu.DOMEvent) {
	c.models.bits = js.Value(e.JSEventTarget()).Get("value").String()
}

// modelBits is the quantization the Weights choice asks for: the weights' bits and the
// activations' ("8a7": int8 with 7-bit activations, which relaxed SIMD runs faster).
func (c *Root) modelBits() (bits, actBits int) {
	switch c.models.bits {
	case "4":
		return 4, 8
	case "8a7":
		return 8, 7
	}
	return 8, 8
}

// onLoadURL starts quantizing the model at the URL box's address: the only place the
// page fetches from another site, and only on this click.
func (c *Root) onLoadURL(vugu.DOMEvent) {
	base, name, err := core.HubBase(c.models.url)
	if err != nil {
		c.models.urlErr = err.Error()
		return
	}
	c.models.urlErr = ""
	persistStorage()
	go c.quantize("quantizeURL", base, name, base)
}

// onModelFolder takes a float model folder (model.safetensors, config.json, ...).
func (c *Root) onModelFolder(e vugu.DOMEvent) {
	t := js.Value(e.JSEventTarget())
	files := filesOf(t.Get("files"))
	t.Set("value", "")
	c.takeModelFiles(files)
}

// takeModelFiles loads picked or dropped model files: a float hub folder's files (with
// config.json) are quantized; a single file is a quantized model. It reports whether
// the files were a model's.
func (c *Root) takeModelFiles(files []js.Value) bool {
	var folder []any // js.ValueOf takes []any, not []js.Value
	var named []js.Value
	hasConfig, hasWeights := false, false
	for _, f := range files {
		switch f.Get("name").String() {
		case "config.json":
			hasConfig = true
		case "model.safetensors":
			hasWeights = true
		case "vocab.json", "merges.txt", "tokenizer.json", "preprocessor_config.json":
		default:
			continue
		}
		folder, named = append(folder, f), append(named, f)
	}
	switch {
	case hasConfig && hasWeights:
		persistStorage()
		go c.quantize("quantizeFiles", folder, folderName(named), "files")
		return true
	case len(files) == 1 && strings.HasSuffix(files[0].Get("name").String(), ".safetensors"):
		go c.loadFile(files[0])
		return true
	case hasConfig || hasWeights:
		c.model.Failed = "a float model needs both model.safetensors and config.json (with vocab.json and merges.txt, or tokenizer.json, and preprocessor_config.json when the model has them)"
		return true
	}
	return false
}

// folderName names a picked float model by its folder, else "local model".
func folderName(files []js.Value) string {
	for _, f := range files {
		if p := f.Get("webkitRelativePath").String(); strings.Contains(p, "/") {
			return p[:strings.Index(p, "/")]
		}
	}
	return "local model"
}

// quantize runs a worker op that downloads (or reads), quantizes, keeps and loads a
// float model, showing its progress in bytes. The model in use stays until the new one
// is ready, and stays when it fails.
func (c *Root) quantize(op string, src any, name, source string) {
	bits, actBits := c.modelBits()
	action := fmt.Sprintf("downloading and quantizing to int%d", bits)
	if actBits != 8 {
		action += fmt.Sprintf(" with %d-bit activations", actBits)
	}
	c.startLoading(modelState{Name: name, Phase: phaseLoading, Action: action})
	res, err := c.pool.Quantize(op, []any{src, map[string]any{"name": name, "bits": bits, "actBits": actBits, "source": source}}, c.quantProgress)
	var r quantResult
	if err == nil {
		err = fromJS(res, &r)
	}
	if err != nil {
		c.failed(name, 0, err)
		return
	}
	m := modelState{Name: name, Phase: phaseReady, Bytes: r.Info.FileBytes, Info: r.Info}
	if !r.Stored {
		m.Note = r.StoreError
	} else {
		remember(r.ID)
	}
	c.useHubModel(m)
	c.refreshStored()
}

// useHubModel uses a model that is not the bundled one, with the CLI's default
// templates for it when the page was on the bundled model's own set.
func (c *Root) useHubModel(m modelState) {
	c.env.Lock()
	if c.templateSet == c.bundledSet && c.bundledSet != zeroshot.DefaultTemplateSet {
		c.templateSet = zeroshot.DefaultTemplateSet
		c.labelsChanged()
	}
	c.env.UnlockOnly()
	c.useModel(m)
}

// quantProgress shows a report of the worker (on its callback: it must not block).
func (c *Root) quantProgress(p js.Value) {
	phase := p.Get("phase").String()
	got, total := int64(p.Get("received").Float()), int64(p.Get("total").Float())
	go func() {
		c.env.Lock()
		if c.model.Phase == phaseLoading && c.model.Action != "" {
			switch phase {
			case "storing":
				c.model.Action = "keeping it in the browser's storage"
				c.model.Bytes = 0
			case "quantizing":
				if got >= c.model.Got {
					c.model.Got, c.model.Bytes = got, total
				}
			}
		}
		c.unlockRender()
	}()
}

// refreshStored asks the worker for the kept models.
func (c *Root) refreshStored() {
	res, err := c.pool.Call("listModels", nil)
	var list []storedModel
	if err == nil {
		err = fromJS(res, &list)
	}
	c.env.Lock()
	c.models.stored, c.models.storeErr = list, ""
	if err != nil {
		c.models.storeErr = "The browser's storage cannot be read: " + err.Error()
	}
	c.unlockRender()
}

func (c *Root) onUseStored(m storedModel) {
	remember(m.ID)
	go c.loadStored(m)
}

func (c *Root) onRemoveStored(m storedModel) {
	go func() {
		if _, err := c.pool.Call("removeModel", []any{m.ID}); err != nil {
			c.env.Lock()
			c.models.storeErr = "Could not remove " + m.Name + ": " + err.Error()
			c.unlockRender()
		}
		c.refreshStored()
	}()
}

// loadStored loads a kept model from the browser's storage: no download.
func (c *Root) loadStored(m storedModel) {
	c.startLoading(modelState{Name: m.Name, Phase: phaseLoading, Bytes: m.Bytes, Action: "loading from this browser's storage"})
	res, err := c.pool.LoadStored(m.ID, m.Bytes)
	var info modelInfo
	if err == nil {
		err = fromJS(res, &info)
	}
	if err != nil {
		c.failed(m.Name, m.Bytes, err)
		return
	}
	c.useHubModel(modelState{Name: m.Name, Phase: phaseReady, Bytes: m.Bytes, Info: info})
}

// loadRemembered loads the kept model used last, if it is still kept, and reports
// whether it did; the kept models are listed either way.
func (c *Root) loadRemembered() bool {
	c.refreshStored()
	id := ""
	if ls := js.Global().Get("localStorage"); ls.Truthy() {
		if v := ls.Call("getItem", rememberKey); v.Type() == js.TypeString {
			id = v.String()
		}
	}
	c.env.Lock()
	var found *storedModel
	for i := range c.models.stored {
		if c.models.stored[i].ID == id {
			found = &c.models.stored[i]
		}
	}
	c.env.UnlockOnly()
	if found == nil {
		return false
	}
	c.loadStored(*found)
	return true
}

func remember(id string) {
	if ls := js.Global().Get("localStorage"); ls.Truthy() {
		ls.Call("setItem", rememberKey, id)
	}
}

// persistStorage asks the browser to keep the site's storage under pressure (it may
// say no; the models are then kept as long as the browser allows).
func persistStorage() {
	if s := js.Global().Get("navigator").Get("storage"); s.Truthy() && s.Get("persist").Type() == js.TypeFunction {
		s.Call("persist")
	}
}

// View helpers.

func (c *Root) presets() []core.Preset { return core.Presets }

func bitsSelected(v string, want string) bool {
	if v == "" {
		v = "8"
	}
	return v == want
}
