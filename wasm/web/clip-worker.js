// clip-worker.js: runs the quantized CLIP engine (clip.wasm, built from wasm/cmd/clipwasm)
// in a Web Worker, so inference never blocks the page. Serve it beside clip.wasm, Go's
// wasm_exec.js ($(go env GOROOT)/lib/wasm/wasm_exec.js) and clip-simd.wasm (the matmul in
// WebAssembly SIMD, from wasm/simd/kernel.wat; `make wasm` builds all of them into bin/web).
//
// The page talks to it with messages {id, op, args}; the reply is {id, result} or
// {id, error}. ops: init(module?) (see below), load(bytes, opts), embedImage(bytes), embedTexts(texts, opts),
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

// The engine starts on the first message. init(module?) is that message in a pool of
// workers: the first worker compiles clip.wasm and replies with the compiled
// WebAssembly.Module, which the page posts to the others, so the module is fetched and
// compiled once however many workers run it (each still gets its own instance and
// memory: Go's js/wasm is single-threaded). Any other first message starts the engine
// from clip.wasm as well.
let ready = null;

function start(module) {
  return (async () => {
    const go = new Go();
    const engine = new Promise((resolve) => { self.onClipEngineReady = resolve; });
    if (!module) module = await WebAssembly.compileStreaming(fetch("clip.wasm"));
    const instance = await WebAssembly.instantiate(module, go.importObject);
    await loadSIMD(instance.exports.mem);
    go.run(instance); // returns when the Go program exits, which it does not
    return { engine: await engine, module };
  })();
}

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
    if (!ready) ready = start(op === "init" && args && args[0] instanceof WebAssembly.Module ? args[0] : null);
    const { engine, module } = await ready;
    if (op === "init") {
      self.postMessage({ id, result: module });
      return;
    }
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
    } else if (result instanceof Float32Array) {
      self.postMessage({ id, result }, [result.buffer]); // an embedding: moved, not copied
    } else {
      self.postMessage({ id, result });
    }
  } catch (err) {
    self.postMessage({ id, error: String(err && err.message || err) });
  }
};
