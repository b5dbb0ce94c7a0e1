// pwa.js registers the service worker (sw.js), which keeps the app working offline, says
// "Ready to work offline" once the worker holds every file of the app and its model, and
// tells the user when a new build has been installed beside the running one: the
// notice's Reload button lets the new build take over and reloads the page.
"use strict";

(() => {
  if (!("serviceWorker" in navigator)) return;
  const notice = document.getElementById("update");
  let reloading = false;
  const offer = (worker) => {
    if (!notice || !worker) return;
    notice.hidden = false;
    notice.querySelector("button").onclick = () => {
      reloading = true;
      worker.postMessage("skipWaiting");
    };
  };
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (reloading) location.reload(); // the first install also takes control: no reload then
  });
  // The worker answers "offline?" (and tells the page when it activates) with whether
  // its caches are complete; only then is the line shown.
  const line = document.getElementById("offline");
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (line && event.data && typeof event.data.offline === "boolean") line.hidden = !event.data.offline;
  });
  navigator.serviceWorker.ready.then((reg) => reg.active && reg.active.postMessage("offline?"));
  navigator.serviceWorker.register("sw.js").then((reg) => {
    // A build installed earlier may be waiting already (a second tab, a closed notice).
    if (reg.waiting && navigator.serviceWorker.controller) offer(reg.waiting);
    reg.addEventListener("updatefound", () => {
      const w = reg.installing;
      w.addEventListener("statechange", () => {
        if (w.state === "installed" && navigator.serviceWorker.controller) offer(w);
      });
    });
  }, (err) => console.warn("clip: no service worker, the page will not work offline:", err));
})();
