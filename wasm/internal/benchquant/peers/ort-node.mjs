// ONNX Runtime's native CPU engine (onnxruntime-node) for make bench-peers: reads one JSON
// request a line on stdin, {model, batch, features?}, runs the ONNX image tower once on
// benchquant's pixel pattern and answers one line, {ms, features?}; or {model, ids}: runs
// the text tower once on those token rows (all of one length) and answers {ms}. Sessions are made on
// first use (the caller sends a warm-up first), so that benchquant can interleave these
// runs with its own engine's.
//
//   node ort-node.mjs THREADS
import * as readline from "node:readline";
import * as ort from "onnxruntime-node";

const threads = Number(process.argv[2] || 2);
const sessions = new Map();

function pixels(batch) {
  const x = new Float32Array(batch * 3 * 224 * 224);
  for (let i = 0; i < x.length; i++) x[i] = (i % 251) / 64 - 2;
  return new ort.Tensor("float32", x, [batch, 3, 224, 224]);
}

const rl = readline.createInterface({ input: process.stdin });
for await (const line of rl) {
  try {
    const r = JSON.parse(line);
    if (!sessions.has(r.model)) {
      sessions.set(r.model, await ort.InferenceSession.create(r.model, {
        intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: "sequential",
        graphOptimizationLevel: "all",
      }));
    }
    const feeds = r.ids
      ? { input_ids: new ort.Tensor("int64", BigInt64Array.from(r.ids.flat(), BigInt), [r.ids.length, r.ids[0].length]) }
      : { pixel_values: pixels(r.batch) };
    const start = performance.now();
    const out = await sessions.get(r.model).run(feeds);
    const ms = performance.now() - start;
    console.log(JSON.stringify({ ms, features: r.features ? Array.from(out.embeds.data) : undefined }));
  } catch (e) {
    console.log(JSON.stringify({ error: String(e) }));
  }
}
