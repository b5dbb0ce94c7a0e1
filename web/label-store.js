// label-store.js keeps the labelling projects in IndexedDB (database "clip-labelling"),
// for the page's Go code (app/labelstore.go), which calls these functions and awaits
// their promises: projects as the JSON that package app/project writes, the images as
// the Blobs the user gave, and image embeddings as Float32Arrays keyed by model and
// content hash. Everything survives a reload, a closed tab and an app update (the
// service worker's caches are apart).
"use strict";

(() => {
  const STORES = ["projects", "blobs", "embeddings"];
  let db = null;
  const open = () => db || (db = new Promise((resolve, reject) => {
    const req = indexedDB.open("clip-labelling", 1);
    req.onupgradeneeded = () => { for (const s of STORES) req.result.createObjectStore(s); };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  }));
  // run does one request in a transaction and resolves when the transaction is done (a
  // write is on disk then), with the request's result.
  const run = async (store, mode, fn) => {
    const tx = (await open()).transaction(store, mode);
    const req = fn(tx.objectStore(store));
    return new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = tx.onabort = () => reject(tx.error || req.error || new Error("IndexedDB transaction failed"));
    });
  };
  // A QuotaExceededError as the browser raises it when storage is full; limitBytes (a
  // test hook, null in use) makes the blob store refuse past that many bytes the same way.
  const quotaError = () => new DOMException("the browser's storage for this site is full", "QuotaExceededError");
  let blobBytes = 0;

  // A folder walk stops after this many files (a dropped home folder is not a project).
  const MAX_FILES = 100000;
  const tooMany = () => new Error(`more than ${MAX_FILES} files in the folder`);

  // walkEntry lists a dropped entry's files (a folder's, recursively) as {file, path}.
  const walkEntry = async (entry, prefix, out) => {
    if (out.length >= MAX_FILES) throw tooMany();
    if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      out.push({ file, path: prefix + entry.name });
      return;
    }
    const reader = entry.createReader();
    for (;;) { // readEntries answers in batches until an empty one
      const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (!batch.length) return;
      for (const e of batch) await walkEntry(e, prefix + entry.name + "/", out);
    }
  };

  // walkHandle lists a File System Access directory's files as {file, path}.
  const walkHandle = async (dir, prefix, out) => {
    for await (const [name, handle] of dir.entries()) {
      if (out.length >= MAX_FILES) throw tooMany();
      if (handle.kind === "file") out.push({ file: await handle.getFile(), path: prefix + name });
      else await walkHandle(handle, prefix + name + "/", out);
    }
  };

  window.clipStore = {
    // filesFromDrop lists a drop's files, dropped folders walked (webkitGetAsEntry), each
    // with its path; call it during the drop event, when the items are still readable.
    filesFromDrop: (dt) => {
      const entries = Array.from(dt.items || [])
        .map((item) => item.kind === "file" && item.webkitGetAsEntry ? item.webkitGetAsEntry() : null)
        .filter((e) => e);
      const plain = Array.from(dt.files || []).map((file) => ({ file, path: file.name }));
      if (!entries.length) return Promise.resolve(plain);
      return (async () => {
        const out = [];
        for (const e of entries) await walkEntry(e, "", out);
        return out;
      })();
    },
    // pickFolder asks for a folder with showDirectoryPicker (where the browser has it).
    canPickFolder: () => typeof window.showDirectoryPicker === "function",
    pickFolder: async () => {
      const dir = await window.showDirectoryPicker();
      const out = [];
      await walkHandle(dir, dir.name + "/", out);
      return out;
    },
    limitBytes: null,
    projects: () => run("projects", "readonly", (s) => s.getAll()),
    saveProject: (id, json) => run("projects", "readwrite", (s) => s.put(json, id)),
    deleteProject: async (id, blobKeys) => {
      await run("projects", "readwrite", (s) => s.delete(id));
      for (const k of blobKeys) await run("blobs", "readwrite", (s) => s.delete(k));
    },
    putBlob: (key, blob) => {
      if (window.clipStore.limitBytes !== null && blobBytes + blob.size > window.clipStore.limitBytes) {
        return Promise.reject(quotaError());
      }
      return run("blobs", "readwrite", (s) => s.put(blob, key)).then(() => { blobBytes += blob.size; });
    },
    getBlob: (key) => run("blobs", "readonly", (s) => s.get(key)),
    putEmbedding: (key, f32) => run("embeddings", "readwrite", (s) => s.put(f32, key)),
    getEmbedding: (key) => run("embeddings", "readonly", (s) => s.get(key)),
    // pickWritableFolder asks for a folder to write into (File System Access); writeFile
    // writes a Blob at a slash-separated path under it, making the folders on the way.
    pickWritableFolder: () => window.showDirectoryPicker({ mode: "readwrite" }),
    writeFile: async (dir, path, blob) => {
      const parts = path.split("/");
      for (const p of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(p, { create: true });
      const file = await dir.getFileHandle(parts[parts.length - 1], { create: true });
      const w = await file.createWritable();
      await w.write(blob);
      await w.close();
    },
    // download saves bytes as a file through the browser's download (no network).
    download: (name, type, u8) => {
      const url = URL.createObjectURL(new Blob([u8], { type }));
      const a = document.createElement("a");
      a.href = url;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    },
  };
})();
