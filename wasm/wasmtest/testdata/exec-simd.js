// exec-simd.js WASM_BINARY [ARGS...]: runs a js/wasm Go program (a test binary, through
// `go test -exec`) like Go's wasm_exec_node.js, with the engine's SIMD kernel module
// instantiated on the program's memory first, as clip-worker.js does. Environment:
// CLIP_WASM_EXEC (Go's wasm_exec.js), CLIP_SIMD_WASM (the assembled kernel) and, if set,
// CLIP_RELAXED_WASM (the relaxed-SIMD int4 matmul, published as globalThis.clipRelaxed;
// Node 20 validates it only with --experimental-wasm-relaxed-simd). The caller checks
// first that this Node's relaxed dot product is exact (relaxedProbe in node_test.go).
"use strict";
globalThis.require = require;
globalThis.fs = require("fs");
globalThis.path = require("path");
globalThis.TextEncoder = require("util").TextEncoder;
globalThis.TextDecoder = require("util").TextDecoder;
globalThis.performance ??= require("perf_hooks").performance;
globalThis.crypto ??= require("crypto");
require(process.env.CLIP_WASM_EXEC);

const go = new Go();
go.argv = process.argv.slice(2);
go.env = Object.assign({ TMPDIR: require("os").tmpdir() }, process.env);
go.exit = process.exit;
(async () => {
  const { instance } = await WebAssembly.instantiate(fs.readFileSync(process.argv[2]), go.importObject);
  const k = await WebAssembly.instantiate(fs.readFileSync(process.env.CLIP_SIMD_WASM), { env: { mem: instance.exports.mem } });
  globalThis.clipSIMD = k.instance.exports;
  if (process.env.CLIP_RELAXED_WASM) {
    const r = await WebAssembly.instantiate(fs.readFileSync(process.env.CLIP_RELAXED_WASM), { env: { mem: instance.exports.mem } });
    globalThis.clipRelaxed = r.instance.exports;
  }
  process.on("exit", (code) => { // as wasm_exec_node.js: a deadlock makes Go print its stacks
    if (code === 0 && !go.exited) {
      go._pendingEvent = { id: 0 };
      go._resume();
    }
  });
  await go.run(instance);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
