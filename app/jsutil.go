//go:build js && wasm

package main

import (
	"encoding/hex"
	"errors"
	"syscall/js"
)

// await blocks the calling goroutine until a JavaScript promise settles. Call it from a
// goroutine of our own, never from an event handler: Go's wasm runtime cannot block
// inside a callback from JavaScript.
func await(promise js.Value) (js.Value, error) {
	done := make(chan struct{})
	var result js.Value
	var err error
	onOK := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) > 0 {
			result = args[0]
		}
		close(done)
		return nil
	})
	onErr := js.FuncOf(func(_ js.Value, args []js.Value) any {
		err = jsError(args)
		close(done)
		return nil
	})
	defer onOK.Release()
	defer onErr.Release()
	promise.Call("then", onOK, onErr)
	<-done
	return result, err
}

// jsError turns a rejection reason or an error event into a Go error.
func jsError(args []js.Value) error {
	if len(args) == 0 {
		return errors.New("unknown error")
	}
	v := args[0]
	if v.Type() == js.TypeObject && v.Get("message").Type() == js.TypeString {
		return errors.New(v.Get("message").String())
	}
	return errors.New(js.Global().Get("String").Invoke(v).String())
}

// fileBytes reads a File (or Blob) into a Uint8Array that stays on the JavaScript side.
func fileBytes(file js.Value) (js.Value, error) {
	buf, err := await(file.Call("arrayBuffer"))
	if err != nil {
		return js.Value{}, err
	}
	return js.Global().Get("Uint8Array").New(buf), nil
}

// goBytes copies a Uint8Array into Go.
func goBytes(u8 js.Value) []byte {
	b := make([]byte, u8.Get("length").Int())
	js.CopyBytesToGo(b, u8)
	return b
}

// filesOf lists the File objects of a FileList (or of a DataTransfer's items).
func filesOf(list js.Value) []js.Value {
	if list.IsUndefined() || list.IsNull() {
		return nil
	}
	out := make([]js.Value, list.Length())
	for i := range out {
		out[i] = list.Index(i)
	}
	return out
}

// subtleSHA256 is the SHA-256 of a Uint8Array in hex by SubtleCrypto; false where the
// page has none (not a secure context) or it failed.
func subtleSHA256(u8 js.Value) (string, bool) {
	subtle := js.Global().Get("crypto").Get("subtle")
	if !subtle.Truthy() {
		return "", false
	}
	digest, err := await(subtle.Call("digest", "SHA-256", u8))
	if err != nil {
		return "", false
	}
	return hex.EncodeToString(goBytes(js.Global().Get("Uint8Array").New(digest))), true
}
