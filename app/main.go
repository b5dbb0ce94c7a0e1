//go:build js && wasm

// Command app is the browser page (Vugu, compiled to WebAssembly for the main thread):
// drop images, type labels, see each image's top-5. Inference runs in the engine's Web
// Worker (wasm/web/clip-worker.js); this program only renders and keeps the queue.
// `make web` generates the Vugu code and builds the site; see app/site.
package main

import (
	"syscall/js"

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
	root := newRoot(env, NewWorker("clip-worker.js"))
	listenForPaste(root)
	go root.runQueue()
	go root.loadDefault()
	for ok := true; ok; ok = renderer.EventWait() {
		if err := renderer.Render(buildEnv.RunBuild(root)); err != nil {
			fatal(err)
			return
		}
		env.Lock()
		root.syncCards()
		env.UnlockOnly()
	}
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
