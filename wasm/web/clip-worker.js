// clip-worker.js: runs the quantized CLIP engine (clip.wasm, built from wasm/cmd/clipwasm)
// in a Web Worker, so inference never blocks the page. Serve it beside clip.wasm, Go's
// wasm_exec.js ($(go env GOROOT)/lib/wasm/wasm_exec.js) and clip-simd.wasm (the matmul in
// WebAssembly SIMD, from wasm/simd/kernel.wat; `make wasm` builds all of them into bin/web).
//
// The page talks to it with messages {id, op, args}; the reply is {id, result} or
// {id, error}. ops: load(bytes, opts), embedImage(bytes), embedTexts(texts, opts),
// classify(request), stats(), bench(opts), unload() (see wasm/cmd/clipwasm), and the
// model ops of clip-models.js (quantizeURL, quantizeFiles, listModels, loadStored,
// removeModel), which may post {id, progress} messages before their reply. Example:
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

importScripts("wasm_exec.js", "clip-models.js");

const ready = (async () => {
  const go = new Go();
  const engine = new Promise((resolve) => { self.onClipEngineReady = resolve; });
  const { instance } = await WebAssembly.instantiateStreaming(fetch("clip.wasm"), go.importObject);
  await loadSIMD(instance.exports.mem);
  go.run(instance); // returns when the Go program exits, which it does not
  return engine;
})();

// loadSIMD instantiates the SIMD matmul kernel on the Go program's own memory and
// publishes its exports for the engine (as globalThis.clipSIMD). Without it (a browser
// without WebAssembly SIMD, or a site without the file) the engine runs its portable
// kernel: slower, same results.
async function loadSIMD(mem) {
  try {
    const res = await fetch("clip-simd.wasm");
    if (!res.ok) return;
    const { instance } = await WebAssembly.instantiate(await res.arrayBuffer(), { env: { mem } });
    self.clipSIMD = instance.exports;
  } catch (err) {
    console.warn("clip: SIMD kernel not loaded, running the portable one:", err);
  }
}

self.onmessage = async (e) => {
  const { id, op, args } = e.data;
  try {
    const engine = await ready;
    const modelOp = self.clipModelOps[op];
    if (typeof modelOp === "function") {
      const result = await modelOp(engine, (progress) => self.postMessage({ id, progress }), ...(args || []));
      self.postMessage({ id, result });
      return;
    }
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
