//go:build js && wasm

package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"syscall/js"

	"github.com/clip-go/clip/app/project"
)

// The labelling projects' storage: IndexedDB through web/label-store.js (window.clipStore),
// whose functions return promises that these wrappers await. Call them from goroutines.

func store() js.Value { return js.Global().Get("clipStore") }

// loadProjects reads every saved project.
func loadProjects() ([]*project.Project, error) {
	list, err := await(store().Call("projects"))
	if err != nil {
		return nil, err
	}
	var out []*project.Project
	for i := 0; i < list.Length(); i++ {
		var p project.Project
		if err := json.Unmarshal([]byte(list.Index(i).String()), &p); err != nil {
			return out, fmt.Errorf("a saved project does not read: %v", err)
		}
		out = append(out, &p)
	}
	return out, nil
}

// saveProject writes a project's JSON (marshalled by the caller, under the event lock).
func saveProject(id string, b []byte) error {
	_, err := await(store().Call("saveProject", id, string(b)))
	return storeError(err)
}

func blobKey(p *project.Project, im *project.Image) string { return p.ID + "/" + im.ID }

func putBlob(key string, blob js.Value) error {
	_, err := await(store().Call("putBlob", key, blob))
	return storeError(err)
}

// getBlob returns the stored image, or undefined.
func getBlob(key string) (js.Value, error) { return await(store().Call("getBlob", key)) }

func putEmbedding(key string, f32 js.Value) error {
	_, err := await(store().Call("putEmbedding", key, f32))
	return storeError(err)
}

func getEmbedding(key string) (js.Value, error) { return await(store().Call("getEmbedding", key)) }

// storeError says what a full storage means for the person.
func storeError(err error) error {
	if err != nil && strings.Contains(strings.ToLower(err.Error()), "quota") {
		return fmt.Errorf("the browser's storage for this page is full (%v): what is labelled so far is kept; export it, or free space and add the rest again", err)
	}
	return err
}

func download(name, mime string, b []byte) {
	u8 := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u8, b)
	store().Call("download", name, mime, u8)
}
