// clip-models.js: the worker's model operations that need the network or the browser's
// storage, around the engine (clip.wasm); clip-worker.js imports it and dispatches
// these ops like the engine's own, with a report(progress) callback that posts
// {id, progress} messages to the page before the reply.
//
//   quantizeURL(base, {name, bits, actBits, maxMemoryMB})  a model-hub folder at base (a URL
//       ending in /): config.json, the tokenizer files and preprocessor_config.json are
//       fetched whole, then model.safetensors is streamed into the engine's quantizer
//       (quantBegin/quantFeed/quantFinish), which quantizes each tensor as its bytes
//       arrive, so the float file is never held; the result is kept in the origin
//       private file system (OPFS) and loaded. → {info, id, stored, storeError}
//   quantizeFiles(files: File[], opts)  the same from a float folder's files the user picked
//   listModels() → [{id, name, bytes, bits, actBits, source, saved}]   the kept models
//   loadStored(id, opts) → info     a kept model, with no download
//   removeModel(id)
"use strict";

const MODELS_DIR = "models";
const INDEX_FILE = "index.json";
const SMALL_FILE_LIMIT = 64 << 20; // config, tokenizer and preprocessor files
const STORE_PIECE = 8 << 20; // bytes copied out of the engine at a time when storing
const REPORT_EVERY_MS = 100;

// engineResult turns the engine's {error} into an exception.
function engineResult(v) {
  if (v && v.error !== undefined && Object.keys(v).length === 1) throw new Error(v.error);
  return v;
}

async function readLimited(stream, limit, what) {
  const reader = stream.getReader();
  const parts = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > limit) {
      reader.cancel().catch(() => {});
      throw new Error(`${what} is larger than ${limit >> 20} MiB: not a CLIP model's file`);
    }
    parts.push(value);
  }
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

// byteReader reads a byte stream into one buffer that is reused for every chunk (a
// "BYOB" reader), where the browser supports it: a default reader allocates a new array
// per chunk, and the 605 MB of a ViT-B/32 passed through as garbage faster than the
// collector freed it (the tab grew by about the bytes received). Returns a function
// giving {done, value} like reader.read(), with the reader as its .reader.
function byteReader(stream) {
  let reader;
  try {
    reader = stream.getReader({ mode: "byob" });
  } catch (err) {
    reader = stream.getReader();
    const next = () => reader.read();
    next.reader = reader;
    return next;
  }
  let buf = new ArrayBuffer(1 << 20);
  const next = async () => {
    const r = await reader.read(new Uint8Array(buf, 0, buf.byteLength));
    if (r.value) buf = r.value.buffer; // the same memory, handed back
    return r;
  };
  next.reader = reader;
  return next;
}

// urlSource reads a model-hub folder over HTTP. A file that is optional and missing
// (404) is null.
function urlSource(base) {
  const where = (name) => new URL(name, base).href;
  async function get(name, optional) {
    let res;
    try {
      res = await fetch(where(name), { credentials: "omit" });
    } catch (err) {
      throw new Error(`could not download ${where(name)}: the server cannot be reached, or it does not let this page read it (CORS)`);
    }
    if (optional && res.status === 404) return null;
    if (!res.ok) {
      if (name === "config.json" && res.status === 404) throw new Error(`not a CLIP model: no config.json at ${where(name)} (HTTP 404)`);
      throw new Error(`${where(name)}: HTTP ${res.status}`);
    }
    return res;
  }
  return {
    async small(name, optional) {
      const res = await get(name, optional);
      return res && readLimited(res.body, SMALL_FILE_LIMIT, name);
    },
    async weights() {
      const res = await get("model.safetensors", false);
      // Content-Length is the transferred size; it is the file's only without compression.
      const plain = !res.headers.get("Content-Encoding");
      return { stream: res.body, size: plain ? Number(res.headers.get("Content-Length")) || 0 : 0 };
    },
  };
}

// fileSource reads the files of a float model folder the user picked, by name.
function fileSource(files) {
  const byName = new Map();
  for (const f of files) byName.set(f.name, f);
  return {
    async small(name, optional) {
      const f = byName.get(name);
      if (!f) {
        if (optional) return null;
        throw new Error(`not a CLIP model folder: no ${name} among the files`);
      }
      if (f.size > SMALL_FILE_LIMIT) throw new Error(`${name} is larger than ${SMALL_FILE_LIMIT >> 20} MiB: not a CLIP model's file`);
      return new Uint8Array(await f.arrayBuffer());
    },
    async weights() {
      const f = byName.get("model.safetensors");
      if (!f) throw new Error("no model.safetensors among the files");
      return { stream: f.stream(), size: f.size };
    },
  };
}

// quantize reads the small files as `clip quantize` does (vocab.json + merges.txt, else
// tokenizer.json, else the built-in vocabulary; preprocessor_config.json when present),
// streams the weights through the engine's quantizer, keeps the file and loads it.
let quantizing = false; // the engine quantizes one model at a time

async function quantize(engine, report, src, opts) {
  if (quantizing) throw new Error("another model is being quantized: wait for it to finish");
  quantizing = true;
  try {
    return await quantizeOne(engine, report, src, opts || {});
  } finally {
    quantizing = false;
  }
}

async function quantizeOne(engine, report, src, opts) {
  const config = await src.small("config.json", false);
  const preprocessor = await src.small("preprocessor_config.json", true);
  let vocab = await src.small("vocab.json", true);
  let merges = vocab && await src.small("merges.txt", true);
  let tokenizer = null;
  if (!vocab || !merges) {
    vocab = merges = null;
    tokenizer = await src.small("tokenizer.json", true);
  }
  const bits = opts.bits === 4 ? 4 : 8;
  const actBits = opts.actBits === 7 ? 7 : 8; // 7: the file asks for 7-bit activations
  engineResult(engine.quantBegin({ config, vocab, merges, tokenizer, preprocessor, bits, actBits, maxMemoryMB: opts.maxMemoryMB }));
  let reader;
  try {
    const { stream, size } = await src.weights();
    const next = byteReader(stream);
    reader = next.reader;
    let received = 0, total = size, last = 0;
    report({ phase: "quantizing", received, total });
    for (;;) {
      let chunk;
      try {
        chunk = await next();
      } catch (err) {
        throw new Error(`the download of model.safetensors broke off after ${received} bytes (${err && err.message || err})`);
      }
      if (chunk.done) break;
      const p = engineResult(engine.quantFeed(chunk.value));
      received = p.received;
      if (p.total) total = p.total;
      const now = performance.now();
      if (now - last > REPORT_EVERY_MS) { last = now; report({ phase: "quantizing", received, total }); }
    }
    const fin = engineResult(engine.quantFinish());
    report({ phase: "storing", received, total });
    const id = fin.checksum.replace(/^sha256:/, "").slice(0, 32);
    const stored = await store(engine, id, fin.bytes, { name: opts.name || "model", bits, actBits, source: opts.source || "" });
    const info = engineResult(engine.quantLoad(opts));
    return { info, id, stored: stored.ok, storeError: stored.error || "" };
  } catch (err) {
    engine.quantAbort();
    if (reader) reader.cancel().catch(() => {});
    throw err;
  }
}

function hex(buf) {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function modelsDir() {
  const root = await navigator.storage.getDirectory();
  return root.getDirectoryHandle(MODELS_DIR, { create: true });
}

async function readIndex(dir) {
  try {
    const fh = await dir.getFileHandle(INDEX_FILE);
    const list = JSON.parse(await (await fh.getFile()).text());
    return Array.isArray(list) ? list : [];
  } catch (err) {
    return [];
  }
}

async function writeIndex(dir, list) {
  const fh = await dir.getFileHandle(INDEX_FILE, { create: true });
  const h = await fh.createSyncAccessHandle();
  try {
    const bytes = new TextEncoder().encode(JSON.stringify(list));
    h.truncate(0);
    if (h.write(bytes, { at: 0 }) !== bytes.length) throw new DOMException("short write", "QuotaExceededError");
    h.flush();
  } finally {
    h.close();
  }
}

// store writes the engine's pending file into OPFS, piece by piece (never a second copy
// of the whole file), and lists it in the index. A full quota is reported, not thrown:
// the model is still loaded for this session.
async function store(engine, id, bytes, meta) {
  const file = id + ".safetensors";
  let dir, h;
  try {
    dir = await modelsDir();
    h = await (await dir.getFileHandle(file, { create: true })).createSyncAccessHandle();
    h.truncate(0);
    const buf = new Uint8Array(Math.min(STORE_PIECE, bytes)); // one buffer for every piece
    for (let at = 0; at < bytes;) {
      const n = engineResult(engine.pendingRead(at, buf));
      if (!(n > 0) || h.write(buf.subarray(0, n), { at }) !== n) throw new DOMException("short write", "QuotaExceededError");
      at += n;
    }
    h.flush();
    h.close();
    h = null;
    const list = (await readIndex(dir)).filter((m) => m.id !== id);
    list.push({ id, name: meta.name, bytes, bits: meta.bits, actBits: meta.actBits || 8, source: meta.source, saved: Date.now() });
    await writeIndex(dir, list);
    return { ok: true };
  } catch (err) {
    if (h) h.close();
    if (dir) await dir.removeEntry(file).catch(() => {});
    if (err && err.name === "QuotaExceededError") {
      return { ok: false, error: "the browser's storage is full, so the model is not kept: it is used for this session only" };
    }
    return { ok: false, error: `the model could not be kept in the browser's storage (${err && err.message || err}): it is used for this session only` };
  }
}

self.clipModelOps = {
  quantizeURL(engine, report, base, opts) {
    return quantize(engine, report, urlSource(base), opts);
  },
  quantizeFiles(engine, report, files, opts) {
    return quantize(engine, report, fileSource(files), opts);
  },
  // listModels lists the kept models whose file is there with its size.
  async listModels() {
    if (!navigator.storage || !navigator.storage.getDirectory) return [];
    const dir = await modelsDir();
    const out = [];
    for (const m of await readIndex(dir)) {
      try {
        const f = await (await dir.getFileHandle(m.id + ".safetensors")).getFile();
        if (f.size === m.bytes) out.push(m);
      } catch (err) { /* gone: not listed */ }
    }
    return out;
  },
  // loadStored loads a kept model. Once the engine has verified a kept file (its first
  // load), the file's SHA-256 and the checksum it records join its index entry; later
  // loads check the file with the browser's SHA-256 (native: about a tenth of a second
  // for a ViT-B/32, against 2.9 s for the engine's in WebAssembly) and tell the engine
  // it is verified. A file that no longer matches is refused as damaged. A load told
  // by the page that another worker verified the file (opts.verified) checks nothing.
  async loadStored(engine, report, id, opts) {
    const dir = await modelsDir();
    const f = await (await dir.getFileHandle(String(id) + ".safetensors")).getFile();
    report({ phase: "loading", received: 0, total: f.size });
    const bytes = new Uint8Array(await f.arrayBuffer());
    opts = Object.assign({}, opts || {});
    const subtle = !opts.verified && self.crypto && crypto.subtle;
    const sum = subtle ? hex(await crypto.subtle.digest("SHA-256", bytes)) : "";
    const list = sum ? await readIndex(dir) : [];
    const entry = list.find((m) => m.id === id);
    if (entry && entry.sha256 && entry.checksum) {
      if (entry.sha256 !== sum) throw new Error(`the kept model is damaged: its SHA-256 is ${sum.slice(0, 12)}…, it was ${entry.sha256.slice(0, 12)}… when kept; remove it and load it again`);
      opts.verified = entry.checksum;
    }
    const info = engineResult(engine.load(bytes, opts));
    if (entry && !entry.sha256) { // verified by the engine just now: record it
      entry.sha256 = sum;
      entry.checksum = info.id;
      await writeIndex(dir, list).catch(() => {}); // a full quota: the next load hashes again
    }
    return info;
  },
  async removeModel(engine, report, id) {
    const dir = await modelsDir();
    await dir.removeEntry(String(id) + ".safetensors").catch(() => {});
    await writeIndex(dir, (await readIndex(dir)).filter((m) => m.id !== id));
    return true;
  },
};
