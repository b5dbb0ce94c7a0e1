# The peer baselines' models (make bench-peers): the benchmark's random-weight CLIP
# (ViT-B/32, quick_gelu, written by benchquant as a hub folder) loaded with transformers,
# its image and text towers with their projections exported to ONNX float32 by PyTorch,
# and the int8 variant that ONNX Runtime's own quantize_dynamic makes (per-channel int8
# weights; MatMuls of constant weights become DynamicQuantizeLinear + MatMulInteger +
# scale, as in transformers.js's q8 files). Checks that ONNX Runtime gives PyTorch's
# features (float32) and stays close (int8), and prints one JSON object with the checks
# and the features of the benchmark's pixel pattern, for the accuracy column.
#
#   python peers_onnx.py MODEL_DIR OUT_DIR IDS_JSON
import json, os, sys

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from transformers import CLIPTextModelWithProjection, CLIPVisionModelWithProjection

model_dir, out, ids = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
os.makedirs(out, exist_ok=True)
torch.set_num_threads(2)


class Image(torch.nn.Module):
    def __init__(s, m):
        super().__init__()
        s.m = m

    def forward(s, pixel_values):
        return s.m(pixel_values=pixel_values).image_embeds


class Text(torch.nn.Module):
    def __init__(s, m):
        super().__init__()
        s.m = m

    def forward(s, input_ids):
        return s.m(input_ids=input_ids).text_embeds


def pixels(batch, size=224):
    # benchquant's pattern, so every engine sees the same input.
    n = batch * 3 * size * size
    return (np.arange(n) % 251 / 64 - 2).astype(np.float32).reshape(batch, 3, size, size)


def rel(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def cos(a, b):
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(1).tolist()


towers = {
    "image": (Image(CLIPVisionModelWithProjection.from_pretrained(model_dir, attn_implementation="eager")),
              "pixel_values", pixels(2), {0: "batch"}),
    "text": (Text(CLIPTextModelWithProjection.from_pretrained(model_dir, attn_implementation="eager")),
             "input_ids", np.array(ids, dtype=np.int64), {0: "batch", 1: "sequence"}),
}
res = {"torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__}
for name, (mod, inp, x, axes) in towers.items():
    mod.eval()
    f32, q8 = f"{out}/{name}-f32.onnx", f"{out}/{name}-int8.onnx"
    with torch.no_grad():
        want = mod(torch.from_numpy(x)).numpy()
        torch.onnx.export(mod, (torch.from_numpy(x),), f32, input_names=[inp], output_names=["embeds"],
                          dynamic_axes={inp: axes, "embeds": {0: "batch"}}, opset_version=14)
    quantize_dynamic(f32, q8, per_channel=True, weight_type=QuantType.QInt8)
    ops = {}
    for node in onnx.load(q8).graph.node:
        ops[node.op_type] = ops.get(node.op_type, 0) + 1
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    got = {}
    for kind, path in (("f32", f32), ("int8", q8)):
        s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        got[kind] = s.run(None, {inp: x})[0]
    e, c = rel(got["f32"], want), cos(got["int8"], want)
    res[name] = {"f32_rel_diff": e, "int8_cosine": c, "int8_ops": ops, "torch_features": want.tolist(),
                 "int8_features": got["int8"].tolist(),
                 "mb": {k: os.path.getsize(p) / 1e6 for k, p in (("f32", f32), ("int8", q8))}}
    print(f"{name}: ONNX Runtime float32 vs PyTorch rel. diff {e:.1e}; int8 cosine {min(c):.4f}; "
          f"MatMulInteger {ops.get('MatMulInteger', 0)}, DynamicQuantizeLinear {ops.get('DynamicQuantizeLinear', 0)}",
          file=sys.stderr)
    if e > 1e-4 or min(c) < 0.99:
        sys.exit(f"{name}: ONNX Runtime does not match PyTorch (float32 rel. diff {e:.2e}, int8 cosine {min(c):.4f})")
print(json.dumps(res))
