// clip-worker.js: runs the quantized CLIP engine (clip.wasm, built from wasm/cmd/clipwasm)
// in a Web Worker, so inference never blocks the page. Serve it beside clip.wasm and Go's
// wasm_exec.js ($(go env GOROOT)/lib/wasm/wasm_exec.js).
//
// The page talks to it with messages {id, op, args}; the reply is {id, result} or
// {id, error}. ops: load(bytes, opts), embedImage(bytes), embedTexts(texts, opts),
// classify(request), bench(opts), unload(). Example:
//
//   const worker = new Worker("clip-worker.js");
//   let next = 0; const pending = new Map();
//   worker.onmessage = (e) => { const p = pending.get(e.data.id); pending.delete(e.data.id);
//     e.data.error ? p.reject(new Error(e.data.error)) : p.resolve(e.data.result); };
//   const call = (op, ...args) => new Promise((resolve, reject) => {
//     const id = next++; pending.set(id, {resolve, reject}); worker.postMessage({id, op, args}); });
//   await call("load", new Uint8Array(await (await fetch("clip-int8.safetensors")).arrayBuffer()));
//   const top = await call("classify", {images: [imageBytes], labels: ["cat", "dog"]});
"use strict";

importScripts("wasm_exec.js");

const ready = (async () => {
  const go = new Go();
  const engine = new Promise((resolve) => { self.onClipEngineReady = resolve; });
  const { instance } = await WebAssembly.instantiateStreaming(fetch("clip.wasm"), go.importObject);
  go.run(instance); // returns when the Go program exits, which it does not
  return engine;
})();

self.onmessage = async (e) => {
  const { id, op, args } = e.data;
  try {
    const engine = await ready;
    if (typeof engine[op] !== "function") throw new Error(`unknown op ${op}`);
    const result = engine[op](...(args || []));
    if (result && result.error !== undefined && Object.keys(result).length === 1) {
      self.postMessage({ id, error: result.error });
    } else {
      self.postMessage({ id, result });
    }
  } catch (err) {
    self.postMessage({ id, error: String(err && err.message || err) });
  }
};
