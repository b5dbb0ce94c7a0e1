//go:build js && wasm

// Command app is the browser page (Vugu, compiled to WebAssembly for the main thread):
// drop images, type labels, see each image's top-5. Inference runs in the engine's Web
// Workers (wasm/web/clip-worker.js, a pool of them: pool.go); this program only renders
// and keeps the queue.
// `make web` generates the Vugu code and builds the site; see app/site.
package main

import (
	"strconv"
	"syscall/js"

	"github.com/clip-go/clip/app/core"

	"github.com/vugu/vugu"
	"github.com/vugu/vugu/domrender"
)

func main() {
	renderer, err := domrender.New("#app")
	if err != nil {
		fatal(err)
		return
	}
	defer renderer.Release()
	env := renderer.EventEnv()
	buildEnv, err := vugu.NewBuildEnv(env)
	if err != nil {
		fatal(err)
		return
	}
	root := newRoot(env, NewPool("clip-worker.js", cores()))
	listenForPaste(root)
	go root.runQueue()
	go root.loadDefault()
	for ok := true; ok; ok = renderer.EventWait() {
		if err := renderer.Render(buildEnv.RunBuild(root)); err != nil {
			fatal(err)
			return
		}
		env.Lock()
		if root.syncCards() {
			root.unlockRender()
		} else {
			env.UnlockOnly()
		}
	}
}

// cores is navigator.hardwareConcurrency, the pool's upper bound, unless the address
// says ?workers=N (the benchmark compares one worker with the pool that way).
func cores() int {
	if v, err := strconv.Atoi(js.Global().Get("URLSearchParams").New(js.Global().Get("location").Get("search")).Call("get", "workers").String()); err == nil && v >= 1 {
		return min(v, core.MaxPoolWorkers)
	}
	if n := js.Global().Get("navigator").Get("hardwareConcurrency"); n.Type() == js.TypeNumber {
		return n.Int()
	}
	return 1
}

// listenForPaste takes images pasted anywhere on the page (the paste event goes to the
// focused element, often outside the components).
func listenForPaste(c *Root) {
	js.Global().Get("document").Call("addEventListener", "paste", js.FuncOf(func(_ js.Value, args []js.Value) any {
		cd := args[0].Get("clipboardData")
		if !cd.Truthy() {
			return nil
		}
		files := imagesOnly(filesOf(cd.Get("files")))
		if len(files) == 0 {
			return nil
		}
		args[0].Call("preventDefault")
		go func() { // the lock must not be taken inside a callback from JavaScript
			c.env.Lock()
			c.addFiles(files)
			c.unlockRender()
		}()
		return nil
	}))
}

// fatal shows an error where the status line is when the page cannot start.
func fatal(err error) {
	el := js.Global().Get("document").Call("querySelector", "[data-testid=status]")
	if el.Truthy() {
		el.Set("textContent", "App error: "+err.Error())
	}
	js.Global().Get("console").Call("error", err.Error())
}
