// pwa.js registers the service worker (sw.js), which keeps the app working offline, and
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
