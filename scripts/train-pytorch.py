#!/usr/bin/env python3
"""The networks of `conv4j train` in PyTorch, for comparing accuracy and time per epoch.

Same data, network, initialisation scheme (PyTorch's defaults, which conv4j copies),
optimizer (Adam, or SGD with momentum), batch size, epochs, cosine learning-rate schedule
and per-epoch line as `conv4j train`:

    epoch 1/10  loss 0.4567  test accuracy 0.8765  time 45.21 s  1327 images/s

The digits held-out split is the same 20% as conv4j's (the same seeded shuffle, re-implemented
below), so the two accuracies are measured on the same 359 images.

Needs Python 3 with numpy and PyTorch (Debian: apt-get install python3-torch). Examples:

    scripts/train-pytorch.py --dataset digits
    scripts/train-pytorch.py --dataset fashion-mnist --epochs 10
"""

import argparse
import gzip
import math
import os
import struct
import sys
import time

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
DIGITS = os.path.join(HERE, "..", "src", "main", "resources", "datasets", "uci-digits", "digits.csv.gz")
FASHION_DEFAULT = "/usr/share/datasets/fashion-mnist"
DIGITS_SPLIT_SEED = 1797  # TrainingRun.DIGITS_SPLIT_SEED

MASK64 = (1 << 64) - 1


class SplittableRandom:
    """java.util.SplittableRandom(seed): enough of it (nextInt(bound)) to repeat conv4j's shuffles."""

    GOLDEN_GAMMA = 0x9E3779B97F4A7C15

    def __init__(self, seed):
        self.seed = seed & MASK64

    def _next_seed(self):
        self.seed = (self.seed + self.GOLDEN_GAMMA) & MASK64
        return self.seed

    @staticmethod
    def _mix32(z):
        z = ((z ^ (z >> 33)) * 0x62A9D9ED799705F5) & MASK64
        r = (((z ^ (z >> 28)) * 0xCB24D0A5C88C35B3) & MASK64) >> 32
        return r - (1 << 32) if r >= (1 << 31) else r  # Java int

    def next_int(self, bound):
        r = self._mix32(self._next_seed())
        m = bound - 1
        if bound & m == 0:
            return r & m
        u = (r & 0xFFFFFFFF) >> 1
        while True:
            r = u % bound
            if u + m - r < (1 << 31):  # no int overflow in Java: accept
                return r
            u = (self._mix32(self._next_seed()) & 0xFFFFFFFF) >> 1


def permutation(n, rng):
    """Dataset.permutation: Fisher-Yates from the end."""
    p = list(range(n))
    for i in range(n - 1, 0, -1):
        j = rng.next_int(i + 1)
        p[i], p[j] = p[j], p[i]
    return p


def load_digits():
    with gzip.open(DIGITS, "rt") as f:
        rows = np.loadtxt(f, delimiter=",", dtype=np.float32)
    x = (rows[:, :64] / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    y = rows[:, 64].astype(np.int64)
    order = permutation(len(y), SplittableRandom(DIGITS_SPLIT_SEED))
    n_test = round(0.2 * len(y))
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def read_idx(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        zero, dtype, rank = struct.unpack(">HBB", f.read(4))
        if zero != 0 or dtype != 0x08:
            sys.exit(f"{path}: not an unsigned-byte IDX file")
        dims = struct.unpack(">" + "I" * rank, f.read(4 * rank))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(dims)


def find(directory, base):
    for name in (base + ".gz", base):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    sys.exit(f"fashion-mnist: {base}[.gz] not found in {directory}; install the data set with "
             "`apt-get install dataset-fashion-mnist` or pass --data DIR")


def load_fashion(directory):
    def images(base):
        return (read_idx(find(directory, base)).astype(np.float32) / 255.0)[:, None, :, :]

    def labels(base):
        return read_idx(find(directory, base)).astype(np.int64)

    return (images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte"),
            images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte"))


def digits_model():
    """Models.digits."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding="same"), nn.ReLU(),
        nn.Conv2d(32, 64, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
        nn.Dropout(0.25), nn.Flatten(),
        nn.Linear(64 * 4 * 4, 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, 10))


def fashion_model():
    """Models.fashionMnist: the Fashion-MNIST benchmark's "2 Conv + pooling" network."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 5, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 1024), nn.ReLU(), nn.Dropout(0.4),
        nn.Linear(1024, 10))


def accuracy(model, x, y, batch):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(y), batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(y)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", required=True, choices=["digits", "fashion-mnist"])
    ap.add_argument("--epochs", type=int, default=0, help="default: digits 20, fashion-mnist 10")
    ap.add_argument("--batch", type=int, default=0, help="default: digits 32, fashion-mnist 100")
    ap.add_argument("--lr", type=float, default=0.0, help="default: digits 0.002, fashion-mnist 0.001")
    ap.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--schedule", choices=["cosine", "constant"], default="cosine")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", default=FASHION_DEFAULT, help="directory of the Fashion-MNIST IDX files")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="intra-op threads (default: all)")
    a = ap.parse_args()

    digits = a.dataset == "digits"
    epochs = a.epochs or (20 if digits else 10)
    batch = a.batch or (32 if digits else 100)
    lr = a.lr or (0.002 if digits else 0.001)
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)

    xtr, ytr, xte, yte = load_digits() if digits else load_fashion(a.data)
    xtr, ytr, xte, yte = map(torch.from_numpy, (np.ascontiguousarray(xtr), ytr, np.ascontiguousarray(xte), yte))
    model = digits_model() if digits else fashion_model()
    params = sum(p.numel() for p in model.parameters())
    opt = (torch.optim.Adam(model.parameters(), lr=lr) if a.optimizer == "adam"
           else torch.optim.SGD(model.parameters(), lr=lr, momentum=a.momentum))
    loss_fn = nn.CrossEntropyLoss()
    print(f"data: {a.dataset}, {len(ytr)} training and {len(yte)} test images of {list(xtr.shape[1:])}, 10 classes")
    print(f"model: {params:,} parameters; PyTorch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"training: {epochs} epochs, batch {batch}, {a.optimizer} lr {lr}"
          f"{' with cosine decay' if a.schedule == 'cosine' else ''}, seed {a.seed}")
    gen = torch.Generator().manual_seed(a.seed)
    total = time.perf_counter()
    acc = 0.0
    for epoch in range(1, epochs + 1):
        if a.schedule == "cosine":
            for g in opt.param_groups:
                g["lr"] = lr * (1 + math.cos(math.pi * (epoch - 1) / epochs)) / 2
        model.train()
        order = torch.randperm(len(ytr), generator=gen)
        loss_sum = 0.0
        start = time.perf_counter()
        for i in range(0, len(ytr), batch):
            idx = order[i:i + batch]
            opt.zero_grad()
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
        seconds = time.perf_counter() - start
        acc = accuracy(model, xte, yte, 512 if digits else 500)
        print(f"epoch {epoch}/{epochs}  loss {loss_sum / len(ytr):.4f}  test accuracy {acc:.4f}  "
              f"time {seconds:.2f} s  {len(ytr) / seconds:.0f} images/s", flush=True)
    print(f"total time: {time.perf_counter() - total:.1f} s")
    print(f"test accuracy: {acc:.4f}")


if __name__ == "__main__":
    main()
