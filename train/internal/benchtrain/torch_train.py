"""PyTorch baseline for `make bench-train`: the same CLIP shape, batch and optimizer as the
Go trainer, on random data, on the CPU. Prints one JSON line.

Usage: python3 torch_train.py CONFIG_JSON BATCH STEPS THREADS
"""
import json, math, sys, time

import torch
import torch.nn as nn
import torch.nn.functional as F


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Block(nn.Module):
    def __init__(self, d, heads, ff):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(d, ff), QuickGELU(), nn.Linear(ff, d))

    def forward(self, x, mask=None):
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=mask)[0]
        return x + self.mlp(self.ln_2(x))


class CLIP(nn.Module):
    def __init__(self, c):
        super().__init__()
        t, v, e = c["text_config"], c["vision_config"], c["projection_dim"]
        p, s = v["patch_size"], v["image_size"]
        self.conv1 = nn.Conv2d(3, v["hidden_size"], p, p, bias=False)
        self.cls = nn.Parameter(torch.randn(v["hidden_size"]) * 0.02)
        self.vpos = nn.Parameter(torch.randn((s // p) ** 2 + 1, v["hidden_size"]) * 0.01)
        self.ln_pre, self.ln_post = nn.LayerNorm(v["hidden_size"]), nn.LayerNorm(v["hidden_size"])
        self.vblocks = nn.ModuleList(Block(v["hidden_size"], v["num_attention_heads"], v["intermediate_size"]) for _ in range(v["num_hidden_layers"]))
        self.vproj = nn.Linear(v["hidden_size"], e, bias=False)
        self.tok = nn.Embedding(t["vocab_size"], t["hidden_size"])
        self.tpos = nn.Parameter(torch.randn(t["max_position_embeddings"], t["hidden_size"]) * 0.01)
        self.tblocks = nn.ModuleList(Block(t["hidden_size"], t["num_attention_heads"], t["intermediate_size"]) for _ in range(t["num_hidden_layers"]))
        self.ln_final = nn.LayerNorm(t["hidden_size"])
        self.tproj = nn.Linear(t["hidden_size"], e, bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def image(self, px):
        x = self.conv1(px).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], 1, -1), x], 1) + self.vpos
        x = self.ln_pre(x)
        for b in self.vblocks:
            x = b(x)
        return self.vproj(self.ln_post(x[:, 0]))

    def text(self, ids):
        n = ids.shape[1]
        x = self.tok(ids) + self.tpos[:n]
        mask = torch.full((n, n), float("-inf")).triu(1)
        for b in self.tblocks:
            x = b(x, mask)
        x = self.ln_final(x)
        return self.tproj(x[torch.arange(x.shape[0]), ids.argmax(-1)])


def peak_rss_mb():
    # VmHWM, not getrusage: Linux carries ru_maxrss over exec from the parent process.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0


def main():
    cfg, batch, steps, threads = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    m = CLIP(cfg)
    decay = [p for p in m.parameters() if p.ndim >= 2]
    rest = [p for p in m.parameters() if p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.2}, {"params": rest, "weight_decay": 0}], lr=5e-4, betas=(0.9, 0.98), eps=1e-6)
    s = cfg["vision_config"]["image_size"]
    px = torch.randn(batch, 3, s, s)
    # The Go trainer runs 16 text positions for these captions (the longest needs <= 16).
    ids = torch.randint(1, 1000, (batch, 16))
    ids[:, 0], ids[:, 12] = 49406, 49407
    ids[:, 13:] = 0
    labels = torch.arange(batch)

    def step():
        img = F.normalize(m.image(px), dim=-1)
        txt = F.normalize(m.text(ids), dim=-1)
        logits = m.logit_scale.exp().clamp(max=100) * img @ txt.t()
        loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
        return loss.item()

    step()  # warm-up
    t = time.time()
    for _ in range(steps):
        step()
    dt = time.time() - t
    print(json.dumps({"samples_per_s": batch * steps / dt, "peak_rss_mb": peak_rss_mb(),
                      "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
