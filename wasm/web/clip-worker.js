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
    if (!module) module = await compileWasm("clip.wasm");
    const instance = await WebAssembly.instantiate(module, go.importObject);
    await loadSIMD(instance.exports.mem);
    go.run(instance); // returns when the Go program exits, which it does not
    return { engine: await engine, module };
  })();
}

// compileWasm compiles a wasm file as it downloads; a host that serves .wasm without
// the application/wasm type (which streaming requires) gets the slower way, whole.
async function compileWasm(file) {
  const res = await fetch(file);
  if (!res.ok) throw new Error(`${file}: HTTP ${res.status}`);
  if ((res.headers.get("Content-Type") || "").split(";")[0].trim() === "application/wasm") {
    return WebAssembly.compileStreaming(res);
  }
  return WebAssembly.compile(await res.arrayBuffer());
}

// loadSIMD instantiates the SIMD matmul kernel on the Go program's own memory and
// publishes its exports for the engine (as globalThis.clipSIMD). Without it (a browser
// without WebAssembly SIMD, or a site without the file) the engine runs its portable
// kernel: slower, same results. Where the browser validates relaxed SIMD, it also loads
// the relaxed int4 matmul (clip-simd-relaxed.wasm, as globalThis.clipRelaxed); without
// it the SIMD128 one runs: slower, same results.
async function loadSIMD(mem) {
  self.clipSIMD = await loadKernel("clip-simd.wasm", mem, "the portable one");
  if (self.clipSIMD && relaxedWorks()) {
    self.clipRelaxed = await loadKernel("clip-simd-relaxed.wasm", mem, "the SIMD128 one");
  }
}

// loadKernel instantiates the kernel module file on mem and returns its exports, or
// undefined (with a warning naming the fallback) where it cannot.
async function loadKernel(file, mem, fallback) {
  try {
    const res = await fetch(file);
    if (!res.ok) return undefined;
    const { instance } = await WebAssembly.instantiate(await res.arrayBuffer(), { env: { mem } });
    return instance.exports;
  } catch (err) {
    console.warn(`clip: ${file} not loaded, running ${fallback}:`, err);
    return undefined;
  }
}

// relaxedWorks says whether this browser has relaxed SIMD and its dot product is the
// exact one the kernel relies on. The probe is a tiny module, t() = lane 0 of
// i32x4.relaxed_dot_i8x16_i7x16_add_s([-127 2 -3 127 0…], [15 5 7 15 0…], [1000 0 0 0])
// (wat2wasm --enable-relaxed-simd): WebAssembly.validate rejects it where relaxed SIMD is
// off, and running it must give 989. (Node 20's experimental relaxed SIMD, V8 11.3,
// validates it but returns -22 on AVX-VNNI CPUs: the products doubled, the addend lost.)
function relaxedWorks() {
  const probe = new Uint8Array([0,97,115,109,1,0,0,0,1,5,1,96,0,1,127,3,2,1,0,7,5,1,1,116,0,0,10,64,1,62,0,253,12,129,2,253,127,0,0,0,0,0,0,0,0,0,0,0,0,253,12,15,5,7,15,0,0,0,0,0,0,0,0,0,0,0,0,253,12,232,3,0,0,0,0,0,0,0,0,0,0,0,0,0,0,253,147,2,253,27,0,11]);
  try {
    return WebAssembly.validate(probe) && new WebAssembly.Instance(new WebAssembly.Module(probe)).exports.t() === 989;
  } catch (err) {
    return false;
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
