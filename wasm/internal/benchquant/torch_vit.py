# The ViT-B/32 image tower in PyTorch float32 (random weights), timed per image at the
# given batch sizes, and the machine's sgemm peak through numpy (OpenBLAS), both with the
# given thread count. Prints one JSON object. Used by `make bench` (benchquant).
import json, sys, time
import numpy as np
import torch
import torch.nn as nn

threads, iters = int(sys.argv[1]), int(sys.argv[2])
batches = [int(b) for b in sys.argv[3].split(",")]
torch.set_num_threads(threads)


class Block(nn.Module):
    def __init__(s, d, h):
        super().__init__()
        s.ln1, s.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        s.attn = nn.MultiheadAttention(d, h, batch_first=True)
        s.fc1, s.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(s, x):
        h = s.ln1(x)
        x = x + s.attn(h, h, h, need_weights=False)[0]
        h = s.fc1(s.ln2(x))
        return x + s.fc2(h * torch.sigmoid(1.702 * h))  # quick_gelu


class ViT(nn.Module):  # CLIP ViT-B/32
    def __init__(s, d=768, layers=12, heads=12, patch=32, grid=7, out=512):
        super().__init__()
        s.conv = nn.Conv2d(3, d, patch, patch, bias=False)
        s.cls = nn.Parameter(torch.randn(d) * 0.02)
        s.pos = nn.Parameter(torch.randn(grid * grid + 1, d) * 0.01)
        s.pre, s.post = nn.LayerNorm(d), nn.LayerNorm(d)
        s.blocks = nn.ModuleList([Block(d, heads) for _ in range(layers)])
        s.proj = nn.Linear(d, out, bias=False)

    def forward(s, x):
        x = s.conv(x).flatten(2).transpose(1, 2)
        x = torch.cat([s.cls.expand(x.shape[0], 1, -1), x], 1) + s.pos
        x = s.pre(x)
        for b in s.blocks:
            x = b(x)
        return s.proj(s.post(x[:, 0]))


m = ViT().eval()
res = {"torch": torch.__version__, "threads": threads, "ms_per_image": {}}
with torch.inference_mode():
    for b in batches:
        x = torch.randn(b, 3, 224, 224)
        m(x)  # warm-up
        times = []
        for _ in range(iters):
            t = time.perf_counter()
            m(x)
            times.append(time.perf_counter() - t)
        res["ms_per_image"][str(b)] = 1000 * sorted(times)[len(times) // 2] / b

n = 2048
a, c = np.random.rand(n, n).astype(np.float32), np.random.rand(n, n).astype(np.float32)
a @ c
best = float("inf")
for _ in range(5):
    t = time.perf_counter()
    a @ c
    best = min(best, time.perf_counter() - t)
res["sgemm_gflops"] = 2 * n**3 / best / 1e9
print(json.dumps(res))
