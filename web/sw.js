// sw.js: the service worker that makes the page work offline (an installable app).
//
// The app shell (the page, its scripts, styles, icons and both wasm programs) is
// precached under a cache named for the build's content hash; a new build is a new
// cache, installed beside the old one, and the page offers a reload (boot.js); on
// activation the old app caches are deleted. Models live in a cache of their own that no
// update deletes, one entry per content (the build lists each model's SHA-256), so an
// app update never downloads the default model again unless it changed.
//
// Static hosts differ (docs/deploy.md): many (Go's http.FileServer, Caddy, some CDNs)
// answer index.html with a redirect to the folder, and a browser refuses a redirected
// response as the answer to a navigation. So every response is stored without its
// redirect (unredirected), and a navigation is answered by the stored index.html.
//
// The page asks "offline?" and the worker answers {offline: true} once both caches hold
// every file of its build: the page then says it is ready to work offline (pwa.js).
//
// `make web` (app/site.WriteServiceWorker) replaces the line that starts "const BUILD = "
// with the build's description: {hash, shell: [files], models: {file: sha256}}.
"use strict";
const BUILD = {"hash": "dev", "shell": [], "models": {}};

const APP_PREFIX = "clip-app-";
const APP_CACHE = APP_PREFIX + BUILD.hash;
const MODEL_CACHE = "clip-models";

// A scope-relative path for a URL of this site ("" for the scope itself).
const scopePath = new URL(self.registration.scope).pathname;
const relative = (url) => {
  const u = new URL(url);
  return u.origin === location.origin && u.pathname.startsWith(scopePath) ? u.pathname.slice(scopePath.length) : null;
};

// The cache keys: a shell file's URL, and a model file's with the content's hash.
const shellKey = (file) => new URL(file, self.registration.scope).href;
const modelKey = (file) => new URL(file + "?sha256=" + BUILD.models[file], self.registration.scope).href;

// unredirected is res without its redirect flag (the same status, headers and body).
const unredirected = (res) =>
  res.redirected ? new Response(res.body, { status: res.status, statusText: res.statusText, headers: res.headers }) : res;

// offline tells whether the caches hold every file of this build.
async function offline() {
  const app = await caches.open(APP_CACHE), models = await caches.open(MODEL_CACHE);
  const held = await Promise.all([
    ...BUILD.shell.map((f) => app.match(shellKey(f))),
    ...Object.keys(BUILD.models).map((f) => models.match(modelKey(f))),
  ]);
  return held.every(Boolean);
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    // cache: "no-cache" revalidates what the HTTP cache holds: a file is this build's, and
    // one the page has just downloaded (the wasm, the model) is not downloaded again.
    const download = async (file) => {
      const res = await fetch(new Request(file, { cache: "no-cache" }));
      if (!res.ok || res.status !== 200) throw new Error(`${file}: HTTP ${res.status}`);
      return unredirected(res);
    };
    const app = await caches.open(APP_CACHE);
    await Promise.all(BUILD.shell.map(async (f) => app.put(shellKey(f), await download(f))));
    const models = await caches.open(MODEL_CACHE);
    for (const file of Object.keys(BUILD.models)) {
      if (!(await models.match(modelKey(file)))) await models.put(modelKey(file), await download(file));
    }
  })());
  // No skipWaiting here: a page that runs the old build keeps its files until the user
  // takes the reload that the page offers (the "skipWaiting" message).
});

self.addEventListener("message", (event) => {
  if (event.data === "skipWaiting") self.skipWaiting();
  if (event.data === "offline?" && event.source) {
    event.waitUntil(offline().then((ready) => event.source.postMessage({ offline: ready })));
  }
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(APP_PREFIX) && name !== APP_CACHE) await caches.delete(name);
    }
    // Older copies of this build's models (the same file with other content) go; every
    // other model stays.
    const models = await caches.open(MODEL_CACHE);
    for (const req of await models.keys()) {
      const file = relative(req.url);
      if (file !== null && file in BUILD.models && req.url !== modelKey(file)) await models.delete(req);
    }
    await self.clients.claim(); // the page that installed the first build is controlled at once
    const ready = await offline();
    for (const client of await self.clients.matchAll()) client.postMessage({ offline: ready });
  })());
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  let file = relative(req.url);
  if (file === null) return; // not this site's: the browser fetches it as usual
  if (req.mode === "navigate" || file === "") file = "index.html";
  if (file in BUILD.models) {
    event.respondWith(fromCache(MODEL_CACHE, modelKey(file), req));
  } else if (BUILD.shell.includes(file)) {
    event.respondWith(fromCache(APP_CACHE, shellKey(file), req));
  }
  // Anything else (a file added after the build) goes to the network.
});

// fromCache answers from the cache, or from the network when the entry is missing (a
// cache the browser evicted), keeping what it fetched. A navigation fetches the entry's
// own URL (index.html), not the one navigated to.
async function fromCache(name, key, req) {
  const cache = await caches.open(name);
  const hit = await cache.match(key);
  if (hit) return unredirected(hit); // a cache written by an older build may hold one
  let res = await fetch(req.mode === "navigate" ? key : req);
  if (res.ok && res.status === 200) {
    res = unredirected(res);
    await cache.put(key, res.clone());
  }
  return res;
}
