// run-node.js WASM_EXEC_JS CLIP_WASM REQUEST_JSON: loads the engine in Node.js through
// its JavaScript API (as a Web Worker would), runs the request and prints one JSON
// object. Request: {model, simd?: path of the SIMD kernel module (clip-simd.wasm),
// portable?, maxMemoryMB?, images?: [paths], texts?: [...],
// classify?: {images: [paths], labels, templates}, bench?: {batch, iters}}.
"use strict";
const fs = require("fs");
globalThis.require = require;
globalThis.fs = fs;
globalThis.TextEncoder = require("util").TextEncoder;
globalThis.TextDecoder = require("util").TextDecoder;
globalThis.performance ??= require("perf_hooks").performance;
globalThis.crypto ??= require("crypto");
require(process.argv[2]);

const unwrap = (v) => {
  if (v && typeof v.error === "string") throw new Error(v.error);
  return v;
};

(async () => {
  const req = JSON.parse(fs.readFileSync(process.argv[4], "utf8"));
  const go = new Go();
  const ready = new Promise((resolve) => { globalThis.onClipEngineReady = resolve; });
  const { instance } = await WebAssembly.instantiate(fs.readFileSync(process.argv[3]), go.importObject);
  if (req.simd) {
    // As clip-worker.js does: the kernel module works on the Go program's own memory.
    const k = await WebAssembly.instantiate(fs.readFileSync(req.simd), { env: { mem: instance.exports.mem } });
    globalThis.clipSIMD = k.instance.exports;
  }
  go.run(instance);
  const api = await ready;
  const out = {};
  try {
    out.info = unwrap(api.load(new Uint8Array(fs.readFileSync(req.model)), { maxMemoryMB: req.maxMemoryMB, portable: req.portable }));
    if (req.images) out.images = req.images.map((p) => Array.from(unwrap(api.embedImage(new Uint8Array(fs.readFileSync(p))))));
    if (req.texts) out.texts = unwrap(api.embedTexts(req.texts)).map((e) => Array.from(e));
    if (req.classify) {
      const c = req.classify;
      out.classify = unwrap(api.classify({ images: c.images.map((p) => new Uint8Array(fs.readFileSync(p))), labels: c.labels, templates: c.templates, top: 2 }));
      // Again with other labels and the image embeddings: served from the caches.
      out.classifyAgain = unwrap(api.classify({ images: out.images.map((e) => new Float32Array(e)), labels: c.labels.slice(1), templates: c.templates, top: 1 }));
    }
    if (req.bench) out.bench = unwrap(api.bench(req.bench));
    out.wasmMemoryBytes = go._inst.exports.mem.buffer.byteLength;
  } catch (err) {
    out.error = String(err.message || err);
  }
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
})().catch((err) => { console.error(err); process.exit(1); });
