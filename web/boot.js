// boot.js starts the app (app.wasm, Go compiled to WebAssembly; see app/main.go).
"use strict";

// Vugu's renderer installs its helpers with window.eval(script). This page's CSP allows
// no eval, so the same script is loaded as a file (vugu-render.js, before this one) and
// eval only acknowledges it; any other use of eval fails as the CSP would make it.
window.eval = function (source) {
  if (typeof window.vuguRender === "function") return undefined;
  throw new EvalError("eval is disabled on this page");
};

// The document must be parsed before the app renders into #app: this script runs in the
// head, and app.wasm, answered from the service worker's cache, can be compiled before
// the parser is done; Vugu's first render then threw in its JavaScript and the Go
// program died with the page at "Starting the app…" (a few runs in tens of the e2e tests).
const parsed = document.readyState === "loading"
  ? new Promise((resolve) => document.addEventListener("DOMContentLoaded", resolve, { once: true }))
  : Promise.resolve();

(async () => {
  const go = new Go();
  try {
    const { instance } = await WebAssembly.instantiateStreaming(fetch("app.wasm"), go.importObject);
    await parsed;
    await go.run(instance);
  } catch (err) {
    const status = document.querySelector("[data-testid=status]");
    if (status) status.textContent = "App error: could not start (" + (err && err.message || err) + ")";
    console.error(err);
  }
})();
