#!/usr/bin/python3
"""Peer timing for nqs-bench: one epoch of the same classifiers in PyTorch (Debian's python3-torch).

Usage: torch_ising.py DATA.csv L TRAIN_ROWS VALIDATION_ROWS THREADS
DATA.csv is nqs sample-ising --temperatures output (spins 0/1, T, ordered). The networks are
nqs classify's: the CNN conv8 (3x3, circular padding), relu, 2x2 max pool, dense32, relu, dense2,
and the FFNN dense100, sigmoid, dense2; Adam (lr 1e-3, weight decay 1e-4), batch 64, cross-entropy,
float32 (PyTorch's default). An epoch is a shuffled training pass over TRAIN_ROWS rows and a
validation pass over VALIDATION_ROWS rows, as in nqs. Prints one JSON line of seconds per epoch:
the fastest of three epochs after a warm-up one. Exit 77 when torch is missing."""
import json, sys, time

try:
    import numpy as np
    import torch
    from torch import nn
except ImportError as e:
    print(json.dumps({"skipped": str(e)}))
    sys.exit(77)

path, L, ntr, nva, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
torch.manual_seed(1)
data = np.loadtxt(path, delimiter=",", skiprows=1)
x = torch.tensor(2 * data[:, : L * L] - 1, dtype=torch.float32)
y = torch.tensor(data[:, -1], dtype=torch.long)
xtr, ytr, xva, yva = x[:ntr], y[:ntr], x[ntr : ntr + nva], y[ntr : ntr + nva]


def cnn():
    return nn.Sequential(nn.Unflatten(1, (1, L, L)), nn.Conv2d(1, 8, 3, padding=1, padding_mode="circular"), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * (L // 2) ** 2, 32), nn.ReLU(), nn.Linear(32, 2))


def ffnn():
    return nn.Sequential(nn.Linear(L * L, 100), nn.Sigmoid(), nn.Linear(100, 2))


def epoch(model, opt, loss):
    perm = torch.randperm(ntr)
    model.train()
    for b in range(0, ntr, 64):
        i = perm[b : b + 64]
        opt.zero_grad()
        loss(model(xtr[i]), ytr[i]).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        for b in range(0, nva, 64):
            loss(model(xva[b : b + 64]), yva[b : b + 64])


out = {"torch": torch.__version__, "threads": threads}
for name, make in (("cnn", cnn), ("ffnn", ffnn)):
    model = make()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    loss = nn.CrossEntropyLoss()
    epoch(model, opt, loss)  # warm-up
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        epoch(model, opt, loss)
        best = min(best, time.perf_counter() - t0)
    out[name] = best
print(json.dumps(out))
