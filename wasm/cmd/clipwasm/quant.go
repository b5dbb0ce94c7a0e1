//go:build js && wasm

package main

import (
	"errors"
	"fmt"
	"runtime/debug"
	"syscall/js"

	"github.com/clip-go/clip/wasm/engine"
	"github.com/clip-go/clip/weights"
)

// A float checkpoint is quantized while it downloads (the worker's clip-models.js
// drives it; the page never holds the float file):
//
//	clipEngine.quantBegin({config, vocab?, merges?, tokenizer?, preprocessor?: Uint8Array,
//	                       bits?: 8|4, maxMemoryMB?}) → {}
//	clipEngine.quantFeed(chunk: Uint8Array) → {received, total, outputBytes}
//	clipEngine.quantFinish() → {bytes, checksum}     (the file waits as "pending")
//	clipEngine.pendingRead(offset, dst: Uint8Array) → bytes copied into dst (to store
//	                     the file piece by piece through one buffer)
//	clipEngine.quantLoad({maxMemoryMB?, textCache?, portable?}) → info   (as load)
//	clipEngine.quantAbort()
//
// The model loaded before stays in use until quantLoad, unless it and the new file
// together would not fit in maxMemoryMB; any error leaves it as it was then.
var (
	quantizer *engine.StreamQuantizer
	pending   []byte
	chunkBuf  []byte
)

func quantBegin(args []js.Value) (any, error) {
	opts := arg(args, 0)
	file := func(name string) ([]byte, error) {
		v := option(opts, name)
		if v.IsUndefined() || v.IsNull() {
			return nil, nil
		}
		return bytesOf(v, "quantBegin: "+name)
	}
	var hub engine.HubFiles
	var err error
	for _, f := range []struct {
		name string
		dst  *[]byte
	}{{"config", &hub.Config}, {"vocab", &hub.Vocab}, {"merges", &hub.Merges}, {"tokenizer", &hub.TokenizerJSON}, {"preprocessor", &hub.Preprocessor}} {
		if *f.dst, err = file(f.name); err != nil {
			return nil, err
		}
	}
	bits := 8
	if v := option(opts, "bits"); v.Type() == js.TypeNumber {
		bits = v.Int()
	}
	cfg, vocab, merges, pre, err := hub.Prepare()
	if err != nil {
		return nil, err
	}
	limit := maxMemoryMB(opts) << 20
	s, err := engine.NewStreamQuantizer(cfg, vocab, merges, pre, bits, 0, weights.DefaultBlock, limit-engine.EstimateMemory(0))
	if err != nil {
		return nil, err
	}
	if v := option(opts, "actBits"); v.Type() == js.TypeNumber {
		if err := s.SetActBits(v.Int()); err != nil {
			return nil, err
		}
	}
	s.Admit = func(size int64) error {
		// Free the current model first when both would not fit.
		if model != nil && engine.EstimateMemory(model.FileSize())+engine.EstimateMemory(size) > limit {
			model, imageCache = nil, map[[32]byte][]float32{}
			debug.FreeOSMemory()
		}
		return nil
	}
	quantizer, pending = s, nil
	// The file is allocated once and the rest is small garbage: collect it early, so
	// that memory stays near the file's size rather than twice the live heap.
	if oldGC < 0 {
		oldGC = debug.SetGCPercent(quantGCPercent)
	}
	return map[string]any{}, nil
}

// quantGCPercent is the collector's setting from quantBegin to quantLoad (or an error);
// oldGC keeps the setting to restore (-1 when none is saved).
const quantGCPercent = 10

var oldGC = -1

// restoreGC puts the collector's setting back once quantization is over.
func restoreGC() {
	if oldGC >= 0 {
		debug.SetGCPercent(oldGC)
		oldGC = -1
	}
}

func quantFeed(args []js.Value) (any, error) {
	if quantizer == nil {
		return nil, fmt.Errorf("quantFeed: no quantization in progress")
	}
	src := arg(args, 0)
	if src.Type() != js.TypeObject || !src.InstanceOf(js.Global().Get("Uint8Array")) {
		return nil, fmt.Errorf("quantFeed: the chunk must be a Uint8Array")
	}
	n := src.Get("length").Int()
	if cap(chunkBuf) < n {
		chunkBuf = make([]byte, n)
	}
	buf := chunkBuf[:n]
	js.CopyBytesToGo(buf, src)
	if _, err := quantizer.Write(buf); err != nil {
		quantAbort(nil)
		return nil, describe(err)
	}
	return map[string]any{"received": quantizer.Received(), "total": quantizer.Total(), "outputBytes": quantizer.OutputSize()}, nil
}

// describe says what a failed quantization means for the person at the page.
func describe(err error) error {
	var tooLarge *weights.TooLargeError
	if errors.As(err, &tooLarge) {
		return fmt.Errorf("model too large for this page: quantized it would be %.0f MB and need about %.0f MB of memory, more than the %d MB the page allows",
			float64(tooLarge.Size)/1e6, float64(engine.EstimateMemory(tooLarge.Size))/1e6, (tooLarge.Limit+engine.EstimateMemory(0))>>20)
	}
	return err
}

func quantFinish([]js.Value) (any, error) {
	if quantizer == nil {
		return nil, fmt.Errorf("quantFinish: no quantization in progress")
	}
	s := quantizer
	data, err := s.Finish()
	quantizer, chunkBuf = nil, nil
	if err != nil {
		restoreGC()
		debug.FreeOSMemory()
		return nil, describe(err)
	}
	pending = data
	debug.FreeOSMemory()
	return map[string]any{"bytes": len(data), "checksum": s.Checksum()}, nil
}

func pendingRead(args []js.Value) (any, error) {
	if pending == nil {
		return nil, fmt.Errorf("pendingRead: no quantized file")
	}
	off, dst := arg(args, 0), arg(args, 1)
	if off.Type() != js.TypeNumber || dst.Type() != js.TypeObject || !dst.InstanceOf(js.Global().Get("Uint8Array")) {
		return nil, fmt.Errorf("pendingRead: expected an offset and a Uint8Array")
	}
	lo := min(max(off.Int(), 0), len(pending))
	hi := min(lo+dst.Get("length").Int(), len(pending))
	return js.CopyBytesToJS(dst, pending[lo:hi]), nil
}

func quantLoad(args []js.Value) (any, error) {
	if pending == nil {
		return nil, fmt.Errorf("quantLoad: no quantized file")
	}
	data := pending
	pending = nil
	defer restoreGC() // loading allocates too: keep collecting early until it is done
	m, err := engine.Load(data, engineOptions(arg(args, 0)))
	if err != nil {
		return nil, err
	}
	model, imageCache = m, map[[32]byte][]float32{}
	debug.FreeOSMemory()
	return infoOf(m), nil
}

func quantAbort([]js.Value) (any, error) {
	quantizer, pending, chunkBuf = nil, nil, nil
	restoreGC()
	debug.FreeOSMemory()
	return nil, nil
}
