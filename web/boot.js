// boot.js starts the app (app.wasm, Go compiled to WebAssembly; see app/main.go).
"use strict";

// Vugu's renderer installs its helpers with window.eval(script). This page's CSP allows
// no eval, so the same script is loaded as a file (vugu-render.js, before this one) and
// eval only acknowledges it; any other use of eval fails as the CSP would make it.
window.eval = function (source) {
  if (typeof window.vuguRender === "function") return undefined;
  throw new EvalError("eval is disabled on this page");
};

(async () => {
  const go = new Go();
  try {
    const res = await fetch("app.wasm");
    if (!res.ok) throw new Error(`app.wasm: HTTP ${res.status}`);
    // Streaming compilation needs the application/wasm type; a host that serves .wasm
    // otherwise gets the slower way, the whole file first.
    const wasm = (res.headers.get("Content-Type") || "").split(";")[0].trim() === "application/wasm";
    const { instance } = wasm ? await WebAssembly.instantiateStreaming(res, go.importObject)
      : await WebAssembly.instantiate(await res.arrayBuffer(), go.importObject);
    // This script runs in <head>: a cached app.wasm can be ready before the body is
    // parsed, and the renderer's first render needs #app (it panicked "mount point
    // selector not found" now and then on a loaded machine).
    if (document.readyState === "loading") {
      await new Promise((resolve) => document.addEventListener("DOMContentLoaded", resolve, { once: true }));
    }
    await go.run(instance);
  } catch (err) {
    const status = document.querySelector("[data-testid=status]");
    if (status) status.textContent = "App error: could not start (" + (err && err.message || err) + ")";
    console.error(err);
  }
})();
