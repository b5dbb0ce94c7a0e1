// kernel-worker.js: runs the engine's js/wasm test binary (served as clip.wasm) in a Web
// Worker with both SIMD kernel modules instantiated on its memory, as clip-worker.js
// does, for TestBrowserSIMDKernelFunctions. Message {id, args: the test's flags}; reply
// {id, result: {code, out}}: the exit code and everything the test printed.
"use strict";
importScripts("wasm_exec.js");

let out = "";
const decoder = new TextDecoder();
globalThis.fs.writeSync = (fd, buf) => { // wasm_exec.js's fs.write goes through it
  out += decoder.decode(buf);
  return buf.length;
};

self.onmessage = async (e) => {
  const { id, args } = e.data;
  try {
    const go = new Go();
    go.argv = ["engine.test", ...(args || [])];
    go.env = { CLIP_RELAXED_WASM: "loaded by kernel-worker.js" }; // the test then requires it
    const exited = new Promise((resolve) => { go.exit = resolve; });
    const { instance } = await WebAssembly.instantiateStreaming(fetch("clip.wasm"), go.importObject);
    const mem = instance.exports.mem;
    for (const [file, name] of [["clip-simd.wasm", "clipSIMD"], ["clip-simd-relaxed.wasm", "clipRelaxed"]]) {
      const res = await fetch(file);
      const { instance: k } = await WebAssembly.instantiate(await res.arrayBuffer(), { env: { mem } });
      self[name] = k.exports;
    }
    go.run(instance);
    const code = await exited;
    self.postMessage({ id, result: { code, out } });
  } catch (err) {
    self.postMessage({ id, error: String(err && err.message || err) });
  }
};
