"""How fast is minigrad? The same training step, timed against hand-written NumPy.

    python benchmarks/run.py            # the full run (a few seconds)
    python benchmarks/run.py --quick    # a few repeats: checks that everything still runs

Each workload is one SGD step (lr 0.1) of a Linear/ReLU MLP: forward, loss,
backward, update. It is written three ways: with minigrad (nn, the fused
loss, optim.SGD), by hand in NumPy (explicit matmuls and the analytic
gradient: the floor no NumPy framework can beat), and with PyTorch when it is
installed. All start from the same float32 weights, and before anything is
timed, one step of each must land on the same weights: a fast but wrong
engine is not reported. BLAS is pinned to one thread, the implementations
alternate (A B C A B C ...) in one process, and each is reported as its
median time and its ratio to NumPy (the median of the per-round ratios).

Alternating has a cost of its own on Linux: after each implementation's step,
glibc gives the freed heap back to the operating system, and the next one
faults it back in page by page (measured: about 800 page faults per W2 step,
for NumPy and minigrad alike, and about 40 without alternating). So that the
ratios measure the engines and not that churn, the benchmark asks glibc to
keep freed memory (mallopt), for every implementation alike.

Alternating has a second cost: a step that runs right after another
implementation's finds the CPU's caches full of that one's code and data. The
hand-written NumPy step, which ran after PyTorch's, paid most: it took a
sixth (W1) to a third (W4) longer, so the compiled step, the same NumPy calls,
came out at 0.87x and 0.77x of it, faster than the floor it writes out. So in
each round every implementation first runs one untimed step, and only the
next is timed: each is measured as a training loop runs it, after a step of
its own.

W5 is a small CNN's step on digits-sized images (64, 1, 8, 8): Conv2d(1, 16, 3,
padding=1), ReLU, MaxPool2d(2), Flatten, Linear(256, 10), mean cross-entropy,
on a seeded synthetic batch. Its NumPy floor is written by hand the same way
(im2col and one matmul forward; the pooling, ReLU and matmul backward by hand),
and it is checked and timed like W1-W4.

H1 times a second-order workload on W1's network: the Hessian-vector product
H·v of the mean cross-entropy with respect to all parameters, with one vector
v per parameter. minigrad and PyTorch both take two backward passes, the first
recorded (`grad(loss, params, create_graph=True)`, then `grad(Σ g·v, params)`);
NumPy computes it by hand (the R-operator: the forward and backward passes
differentiated along v). All three must agree before anything is timed, and
H1 is reported as the ratio minigrad / PyTorch when PyTorch is installed.
"""

from __future__ import annotations

import os

for variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ[variable] = "1"  # before NumPy loads BLAS: one thread, as the targets assume

import argparse  # noqa: E402
import ctypes  # noqa: E402
import ctypes.util  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402

import minigrad  # noqa: E402
from minigrad import Tensor, nn, optim  # noqa: E402

LR = 0.1


def keep_freed_memory() -> str:
    """Ask glibc not to return freed heap to the OS (see the module docstring); say what was done."""
    library = ctypes.util.find_library("c")
    libc = ctypes.CDLL(library) if library else None
    if libc is None or not hasattr(libc, "mallopt"):
        return "allocator as it is (no glibc mallopt)"
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    kept = libc.mallopt(M_TRIM_THRESHOLD, 1 << 30)        # never give the heap's top back
    reused = libc.mallopt(M_MMAP_THRESHOLD, 1 << 25)      # large arrays from the heap too, not fresh mmaps
    return {(1, 1): "glibc keeps freed memory", (1, 0): "glibc keeps the heap (large arrays still mmapped)",
            (0, 1): "glibc trims the heap (mallopt refused)"}.get((kept, reused),
                                                                  "allocator as it is (mallopt refused)")


@dataclass
class Workload:
    name: str
    sizes: tuple[int, ...]      # layer widths, input first
    batch: int
    loss: str                   # "ce" (softmax cross-entropy, mean) or "mse" (mean)
    steps: int = 1              # steps per timed sample
    target: str = ""            # the ratio the engine aims for: × NumPy (H1: × PyTorch); benchmarks/README.md
    compiled_target: str = ""   # the ratio mg.compile's step aims for, × NumPy


WORKLOADS = [
    Workload("W1", (64, 128, 10), 64, "ce", target="<= 1.3", compiled_target="<= 1.15"),
    Workload("W2", (784, 512, 512, 10), 256, "ce", target="<= 1.05", compiled_target="<= 1.03"),
    Workload("W3", (2, 16, 16, 2), 8, "ce", steps=200, target="<= 1.6", compiled_target="<= 1.15"),
    Workload("W4", (2, 16, 16, 1), 100, "mse", target="<= 1.5", compiled_target="<= 1.15"),
]


def initial_weights(w: Workload) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(0)
    bound = [1 / np.sqrt(inp) for inp in w.sizes[:-1]]  # PyTorch's initialisation range
    return [((rng.uniform(-1, 1, (out, inp)) * b).astype(np.float32), (rng.uniform(-1, 1, out) * b).astype(np.float32))
            for inp, out, b in zip(w.sizes[:-1], w.sizes[1:], bound)]


def batch(w: Workload) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((w.batch, w.sizes[0])).astype(np.float32)
    if w.loss == "ce":
        return x, rng.integers(0, w.sizes[-1], w.batch)
    return x, rng.standard_normal((w.batch, w.sizes[-1])).astype(np.float32)


# ---------------------------------------------------------- implementations --

def minigrad_model(weights) -> nn.Sequential:
    """Linear, ReLU, ..., Linear with the given weights."""
    layers: list[nn.Module] = []
    for i, (W, b) in enumerate(weights):
        linear = nn.Linear(W.shape[1], W.shape[0])
        linear.load_state_dict({"weight": W, "bias": b})
        layers += [linear] + ([nn.ReLU()] if i < len(weights) - 1 else [])
    return nn.Sequential(*layers)


def minigrad_step(w: Workload, weights, fused: bool = True) -> tuple[Callable[[], None], Callable[[], list]]:
    """One training step with minigrad, and a function that reads its weights back."""
    loss_fn = nn.CrossEntropyLoss(fused=fused) if w.loss == "ce" else nn.MSELoss(fused=fused)
    return sgd_step(minigrad_model(weights), loss_fn, *batch(w), layers=(nn.Linear,))


def sgd_step(model: nn.Module, loss_fn: nn.Module, x: np.ndarray, y: np.ndarray,
             layers: tuple[type, ...]) -> tuple[Callable[[], float], Callable[[], list]]:
    """minigrad's training step on one batch (PyTorch's loop, name for name), and a
    function that reads back the (weight, bias) of each layer of the given types."""
    optimizer = optim.SGD(model.parameters(), lr=LR)
    x = Tensor(x)

    def step() -> float:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step, lambda: [(m.weight.data, m.bias.data) for m in model if isinstance(m, layers)]


def numpy_step(w: Workload, weights) -> tuple[Callable[[], None], Callable[[], list]]:
    """The same step written out by hand: the floor."""
    params = [(W.copy(), b.copy()) for W, b in weights]
    x, y = batch(w)
    identity = np.eye(w.sizes[-1], dtype=np.float32)  # its rows are the one-hot vectors

    def step() -> float:
        """Like the other implementations, this step computes the loss, not only its gradient,
        and takes the labels as class indices (one-hot is made here, as a new batch would need)."""
        target = identity.take(y, axis=0) if w.loss == "ce" else y
        activations, h = [x], x
        for i, (W, b) in enumerate(params):
            h = h @ W.T + b
            if i < len(params) - 1:
                h = np.maximum(h, 0)
            activations.append(h)
        if w.loss == "ce":
            shifted = h - h.max(axis=1, keepdims=True)
            e = np.exp(shifted)
            total = e.sum(axis=1, keepdims=True)
            loss = (np.log(total) - (target * shifted).sum(axis=1, keepdims=True)).mean()  # -mean log softmax[y]
            grad = (e / total - target) / len(x)                                           # softmax - y, mean
        else:
            loss = ((h - target) ** 2).mean()
            grad = 2 * (h - target) / h.size                                # d mean((h - y)²)
        for i in reversed(range(len(params))):
            W, b = params[i]
            grad_W, grad_b = grad.T @ activations[i], grad.sum(axis=0)
            if i > 0:
                grad = (grad @ W) * (activations[i] > 0)
            W -= LR * grad_W
            b -= LR * grad_b
        return loss

    return step, lambda: params


def import_torch():
    """PyTorch pinned to one thread, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def torch_model(torch, weights):
    """Linear, ReLU, ..., Linear in PyTorch with the given weights."""
    layers = []
    for i, (W, b) in enumerate(weights):
        linear = torch.nn.Linear(W.shape[1], W.shape[0])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))
            linear.bias.copy_(torch.from_numpy(b))
        layers += [linear] + ([torch.nn.ReLU()] if i < len(weights) - 1 else [])
    return torch.nn.Sequential(*layers)


def torch_step(w: Workload, weights):
    """The same step in PyTorch (CPU, one thread), or None when PyTorch is not installed."""
    torch = import_torch()
    if torch is None:
        return None
    model = torch_model(torch, weights)
    loss_fn = torch.nn.CrossEntropyLoss() if w.loss == "ce" else torch.nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    x, y = (torch.from_numpy(a) for a in batch(w))

    def step() -> float:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step, lambda: [(m.weight.detach().numpy(), m.bias.detach().numpy())
                          for m in model if isinstance(m, torch.nn.Linear)]


# ------------------------------------------- H1: Hessian-vector products --
# Each implementation is a function of no arguments that returns H·v as a list of float32
# arrays, one per parameter, in the order W₁, b₁, W₂, b₂, ...

HVP_WORKLOAD = Workload("H1", (64, 128, 10), 64, "ce", target="<= 0.9")  # W1's network, loss, batch; × PyTorch


def hvp_vectors(weights) -> list[np.ndarray]:
    """v: one float32 array per parameter (each weight matrix, then its bias), of the parameter's shape."""
    rng = np.random.default_rng(2)
    return [rng.standard_normal(array.shape).astype(np.float32) for pair in weights for array in pair]


def minigrad_hvp(w: Workload, weights, vectors) -> Callable[[], list]:
    """H·v with minigrad: the gradient recorded as a graph, then the gradient of Σ g·v."""
    model = minigrad_model(weights)
    params = list(model.parameters())   # mg.grad takes a list or tuple, not a generator
    loss_fn = nn.CrossEntropyLoss()
    x, y = batch(w)
    x, v = Tensor(x), [Tensor(array) for array in vectors]

    def hvp() -> list:
        loss = loss_fn(model(x), y)
        gradients = minigrad.grad(loss, params, create_graph=True)
        dot = sum((g * u).sum() for g, u in zip(gradients, v))   # Σ g·v, a scalar whose gradient is H·v
        return [h.data for h in minigrad.grad(dot, params)]

    return hvp


def numpy_hvp(w: Workload, weights, vectors) -> Callable[[], list]:
    """H·v by hand (Pearlmutter's R-operator): R{f} is the derivative of f along v, taken of
    every line of the forward and the backward pass of a Linear/ReLU MLP with mean cross-entropy;
    R{the gradient} is H·v. The floor for any engine on NumPy."""
    params = list(weights)                                 # (W, b) per layer
    directions = list(zip(vectors[0::2], vectors[1::2]))  # (V, c) along each (W, b)
    x, y = batch(w)
    target = np.eye(w.sizes[-1], dtype=np.float32).take(y, axis=0)

    def hvp() -> list:
        hs, Rhs, masks = [x], [np.zeros_like(x)], []       # activations and their R{·}; x does not depend on v
        for i, ((W, b), (V, c)) in enumerate(zip(params, directions)):
            h, Rh = hs[-1] @ W.T + b, Rhs[-1] @ W.T + hs[-1] @ V.T + c
            if i < len(params) - 1:
                mask = h > 0                                 # ReLU: R{relu(h)} = mask · R{h}
                h, Rh = h * mask, Rh * mask
                masks.append(mask)
            hs.append(h)
            Rhs.append(Rh)
        z, Rz = hs[-1], Rhs[-1]
        e = np.exp(z - z.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        grad = (p - target) / len(x)                         # dL/dz = (softmax − y) / N
        Rgrad = p * (Rz - (p * Rz).sum(axis=1, keepdims=True)) / len(x)   # R{softmax} = p ⊙ (Rz − p·Rz)
        result = []
        for i in reversed(range(len(params))):
            (W, _), (V, _) = params[i], directions[i]
            result[:0] = [Rgrad.T @ hs[i] + grad.T @ Rhs[i], Rgrad.sum(axis=0)]   # R{dW}, R{db}
            if i > 0:
                grad, Rgrad = (grad @ W) * masks[i - 1], (Rgrad @ W + grad @ V) * masks[i - 1]
        return result

    return hvp


def torch_hvp(w: Workload, weights, vectors) -> Callable[[], list] | None:
    """H·v with PyTorch's torch.autograd.grad, as minigrad does it, or None without PyTorch."""
    torch = import_torch()
    if torch is None:
        return None
    model = torch_model(torch, weights)
    params = [p for m in model if isinstance(m, torch.nn.Linear) for p in (m.weight, m.bias)]
    loss_fn = torch.nn.CrossEntropyLoss()
    x, y = (torch.from_numpy(a) for a in batch(w))
    v = [torch.from_numpy(array) for array in vectors]

    def hvp() -> list:
        loss = loss_fn(model(x), y)
        gradients = torch.autograd.grad(loss, params, create_graph=True)
        dot = sum((g * u).sum() for g, u in zip(gradients, v))
        return [h.numpy() for h in torch.autograd.grad(dot, params)]

    return hvp


def check_same_hvp(w: Workload, implementations: dict[str, Callable[[], list]]) -> None:
    """Every implementation's H·v must be float32 and equal NumPy's (to rounding); otherwise nothing is timed."""
    reference = implementations["numpy"]()
    scale = max(float(np.abs(h).max()) for h in reference)
    for name, hvp in implementations.items():
        result = hvp()
        if len(result) != len(reference) or any(h.shape != r.shape for h, r in zip(result, reference)):
            raise SystemExit(f"{w.name}: {name}'s HVP has other shapes than NumPy's; not timing it")
        if any(h.dtype != np.float32 for h in result):
            raise SystemExit(f"{w.name}: {name}'s HVP is not float32; not timing it")
        if not all(np.allclose(h, r, rtol=1e-4, atol=1e-6 * scale) for h, r in zip(result, reference)):
            raise SystemExit(f"{w.name}: {name}'s HVP differs from NumPy's; not timing it")


# ------------------------------------------------- W5: a small CNN's step --
# Conv2d(1, 16, 3, padding=1) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(256, 10), mean
# cross-entropy, on digits-sized images (64, 1, 8, 8). Weights are [(conv W, conv b), (W, b)].

# sizes: in channels, conv channels, classes
CNN_WORKLOAD = Workload("W5", (1, 16, 10), 64, "ce", target="<= 1.5", compiled_target="<= 1.2")
CNN_IMAGE = 8


def cnn_weights(w: Workload) -> list[tuple[np.ndarray, np.ndarray]]:
    """Conv (16, 1, 3, 3) and Linear (10, 256) weights, uniform in ±1/√fan_in as PyTorch initialises them."""
    rng = np.random.default_rng(0)
    channels, features, classes = w.sizes
    flat = features * (CNN_IMAGE // 2) ** 2
    b_conv, b_lin = 1 / np.sqrt(channels * 9), 1 / np.sqrt(flat)
    return [((rng.uniform(-1, 1, (features, channels, 3, 3)) * b_conv).astype(np.float32),
             (rng.uniform(-1, 1, features) * b_conv).astype(np.float32)),
            ((rng.uniform(-1, 1, (classes, flat)) * b_lin).astype(np.float32),
             (rng.uniform(-1, 1, classes) * b_lin).astype(np.float32))]


def cnn_batch(w: Workload) -> tuple[np.ndarray, np.ndarray]:
    """A seeded synthetic batch of digits-sized images and class labels."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((w.batch, w.sizes[0], CNN_IMAGE, CNN_IMAGE)).astype(np.float32)
    return x, rng.integers(0, w.sizes[-1], w.batch)


def minigrad_cnn_model(weights) -> nn.Sequential:
    (Wc, bc), (W, b) = weights
    conv, linear = nn.Conv2d(Wc.shape[1], Wc.shape[0], 3, padding=1), nn.Linear(W.shape[1], W.shape[0])
    conv.load_state_dict({"weight": Wc, "bias": bc})
    linear.load_state_dict({"weight": W, "bias": b})
    return nn.Sequential(conv, nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), linear)


def minigrad_cnn_step(w: Workload, weights) -> tuple[Callable[[], float], Callable[[], list]]:
    """One CNN training step with minigrad (nn layers, the fused loss, optim.SGD)."""
    return sgd_step(minigrad_cnn_model(weights), nn.CrossEntropyLoss(), *cnn_batch(w), layers=(nn.Conv2d, nn.Linear))


def numpy_cnn_step(w: Workload, weights) -> tuple[Callable[[], float], Callable[[], list]]:
    """The CNN step by hand: im2col + one matmul forward; backward through the linear layer,
    the pooling (gradient to each window's maximum), the ReLU and the conv's matmul. The
    input needs no gradient, so there is no col2im. The floor for a NumPy engine."""
    params = [(W.copy(), b.copy()) for W, b in weights]
    x, y = cnn_batch(w)
    n, c, size = x.shape[0], x.shape[1], CNN_IMAGE
    half = size // 2
    identity = np.eye(w.sizes[-1], dtype=np.float32)
    padded = np.zeros((n, c, size + 2, size + 2), dtype=np.float32)

    def step() -> float:
        (Wc, bc), (W, b) = params
        features = Wc.shape[0]
        target = identity.take(y, axis=0)
        padded[:, :, 1:-1, 1:-1] = x                                     # padding 1 (the border stays 0)
        windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(2, 3))  # (N, C, 8, 8, 3, 3)
        cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * size * size, c * 9)        # im2col
        a = cols @ Wc.reshape(features, -1).T + bc                       # (N·8·8, F), rows (n, i, j)
        a = np.maximum(a, 0)                                             # ReLU
        a6 = a.reshape(n, half, 2, half, 2, features)                    # 2×2 windows
        pooled = a6.max(axis=(2, 4), keepdims=True)                      # (N, 4, 1, 4, 1, F)
        flat = pooled.reshape(n, half, half, features).transpose(0, 3, 1, 2).reshape(n, -1)  # (C, H, W) order
        z = flat @ W.T + b
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        loss = (np.log(total) - (target * shifted).sum(axis=1, keepdims=True)).mean()
        grad = (e / total - target) / n                                  # dL/dz
        grad_W, grad_b = grad.T @ flat, grad.sum(axis=0)
        grad_pool = (grad @ W).reshape(n, features, half, half).transpose(0, 2, 3, 1).reshape(n, half, 1, half, 1,
                                                                                              features)
        # to the window's maximum, and through the ReLU (a > 0); a window whose maximum is 0
        # is all ReLU-zeros and passes nothing, so ties there do not matter
        grad_a = ((a6 == pooled) & (a6 > 0)) * grad_pool
        rows = grad_a.reshape(n * size * size, features)
        grad_Wc, grad_bc = (rows.T @ cols).reshape(Wc.shape), rows.sum(axis=0)
        W -= LR * grad_W
        b -= LR * grad_b
        Wc -= LR * grad_Wc
        bc -= LR * grad_bc
        return loss

    return step, lambda: params


def torch_cnn_step(w: Workload, weights):
    """The CNN step in PyTorch (CPU, one thread), or None when PyTorch is not installed."""
    torch = import_torch()
    if torch is None:
        return None
    (Wc, bc), (W, b) = weights
    conv, linear = torch.nn.Conv2d(Wc.shape[1], Wc.shape[0], 3, padding=1), torch.nn.Linear(W.shape[1], W.shape[0])
    with torch.no_grad():
        for layer, (weight, bias) in ((conv, (Wc, bc)), (linear, (W, b))):
            layer.weight.copy_(torch.from_numpy(weight))
            layer.bias.copy_(torch.from_numpy(bias))
    model = torch.nn.Sequential(conv, torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(), linear)
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    x, y = (torch.from_numpy(a) for a in cnn_batch(w))

    def step() -> float:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step, lambda: [(m.weight.detach().numpy(), m.bias.detach().numpy()) for m in (conv, linear)]


# ------------------------------------------------------------------ measuring --

def check_same_weights(w: Workload, implementations: dict, steps: int = 3) -> None:
    """A few steps of each from the same weights must report the same losses and
    land on the same float32 weights (to rounding); otherwise nothing is timed."""
    results = {}
    for name, (step, weights_of) in implementations.items():
        losses = [float(step()) for _ in range(steps)]
        results[name] = losses, [(W.copy(), b.copy()) for W, b in weights_of()]
        if any(array.dtype != np.float32 for pair in results[name][1] for array in pair):
            raise SystemExit(f"{w.name}: {name} does not keep its weights float32; not timing it")
    reference_losses, reference = results["numpy"]
    for name, (losses, result) in results.items():
        if not np.allclose(losses, reference_losses, rtol=1e-4):
            raise SystemExit(f"{w.name}: {name}'s losses {losses} differ from NumPy's {reference_losses}; "
                             "not timing it")
        for (W, b), (W0, b0) in zip(result, reference):
            if not (np.allclose(W, W0, rtol=1e-4, atol=1e-5) and np.allclose(b, b0, rtol=1e-4, atol=1e-5)):
                raise SystemExit(f"{w.name}: {name}'s weights after {steps} steps differ from NumPy's; "
                                 "not timing it")


def compiled(make_minigrad: Callable) -> Callable:
    """The minigrad step of `make_minigrad`, run by mg.compile: its first call traces, the others run the
    straight-line NumPy it prints."""
    def make(w: Workload, weights) -> tuple[Callable[[], float], Callable[[], list]]:
        step, weights_of = make_minigrad(w, weights)
        return minigrad.compile(step), weights_of
    return make


def check_compiled_matches_eager(w: Workload, make_weights: Callable, make_minigrad: Callable,
                                 steps: int = 50) -> None:
    """50 steps compiled and 50 eager from the same weights must land on the same float32 weights (within
    1e-6, relative); otherwise the compiled step is not timed."""
    eager, weights_of = make_minigrad(w, make_weights(w))
    step, compiled_weights_of = compiled(make_minigrad)(w, make_weights(w))
    for _ in range(steps):
        eager(), step()
    for (W, b), (W0, b0) in zip(compiled_weights_of(), weights_of()):
        if not (np.allclose(W, W0, rtol=1e-6, atol=0) and np.allclose(b, b0, rtol=1e-6, atol=0)):
            raise SystemExit(f"{w.name}: the compiled step's weights after {steps} steps differ from the eager "
                             "step's; not timing it")


def time_interleaved(implementations: dict, steps: int, rounds: int, warmup: int = 3) -> dict[str, list[float]]:
    """Per-step times of each implementation, alternating them, after a few untimed rounds; in each round,
    an implementation's timed steps follow one untimed step of its own."""
    times: dict[str, list[float]] = {name: [] for name in implementations}
    for _ in range(warmup):
        for step, _ in implementations.values():
            step()
    for _ in range(rounds):
        for name, (step, _) in implementations.items():
            step()  # untimed: it pays for the caches the previous implementation left (the module docstring)
            start = time.perf_counter()
            for _ in range(steps):
                step()
            times[name].append((time.perf_counter() - start) / steps)
    return times


def ratio_to_numpy(times: dict[str, list[float]], name: str) -> float:
    return statistics.median(t / n for t, n in zip(times[name], times["numpy"]))


def peak_memory(step: Callable[[], None]) -> int:
    """Peak bytes allocated during one step (tracemalloc sees NumPy's arrays)."""
    step()  # warm: the first step allocates optimizer state
    tracemalloc.start()
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def graph_nodes(w: Workload, weights) -> int:
    """How many tensors one minigrad step records (the nodes backward visits)."""
    x, y = batch(w)
    loss = nn.CrossEntropyLoss()(minigrad_model(weights)(Tensor(x)), y)
    return len(minigrad.topological_order(loss))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="minigrad against hand-written NumPy (and PyTorch)")
    parser.add_argument("--quick", action="store_true", help="a few repeats only, for CI")
    args = parser.parse_args(argv)
    rounds = 3 if args.quick else 41
    allocator = keep_freed_memory()
    print(f"minigrad {minigrad.__version__}, NumPy {np.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs, BLAS pinned to 1 thread, {allocator}, {rounds} rounds")
    print(f"{'':4} {'workload':<28} {'NumPy':>10} {'minigrad':>10} {'ratio':>7} {'target':>8} "
          f"{'compiled':>10} {'ratio':>7} {'target':>8} {'PyTorch':>10} {'ratio':>7}")
    report: dict = {}
    cnn = CNN_WORKLOAD
    makers = [(w, initial_weights, numpy_step, minigrad_step, torch_step,
               "-".join(map(str, w.sizes)) + f", batch {w.batch}") for w in WORKLOADS]
    makers.append((cnn, cnn_weights, numpy_cnn_step, minigrad_cnn_step, torch_cnn_step,
                   f"CNN 1x8x8 c16 pool fc, b {cnn.batch}"))
    for w, make_weights, make_numpy, make_minigrad, make_torch, shape in makers:
        weights = make_weights(w)
        implementations = {"numpy": make_numpy(w, weights), "minigrad": make_minigrad(w, weights),
                           "compiled": compiled(make_minigrad)(w, weights)}
        torch = make_torch(w, weights)
        if torch:
            implementations["torch"] = torch
        check_compiled_matches_eager(w, make_weights, make_minigrad)
        check_same_weights(w, implementations)
        times = time_interleaved(implementations, w.steps, rounds)
        report[w.name] = {name: (statistics.median(t), ratio_to_numpy(times, name)) for name, t in times.items()}
        shape += f", {w.steps} steps" if w.steps > 1 else ""
        torch_text = (f"{report[w.name]['torch'][0] * 1e6:>8.0f}µs {report[w.name]['torch'][1]:>6.2f}×"
                      if torch else f"{'(not installed)':>18}")
        print(f"{w.name:4} {shape:<28} {report[w.name]['numpy'][0] * 1e6:>8.0f}µs "
              f"{report[w.name]['minigrad'][0] * 1e6:>8.0f}µs {report[w.name]['minigrad'][1]:>6.2f}× "
              f"{w.target:>8} {report[w.name]['compiled'][0] * 1e6:>8.0f}µs {report[w.name]['compiled'][1]:>6.2f}× "
              f"{w.compiled_target:>8} {torch_text}")

    w2 = WORKLOADS[1]
    memory = {name: peak_memory(make(w2, initial_weights(w2))[0]) for name, make in
              (("numpy", numpy_step), ("minigrad", minigrad_step))}
    report["W2 peak memory"] = memory
    print(f"\nW2 peak memory of one step: NumPy {memory['numpy'] / 2**20:.1f} MiB, minigrad "
          f"{memory['minigrad'] / 2**20:.1f} MiB ({memory['minigrad'] / memory['numpy']:.2f}×, target <= 2)")

    w3 = WORKLOADS[2]
    nodes = graph_nodes(w3, initial_weights(w3))
    numpy_time, minigrad_time = report["W3"]["numpy"][0], report["W3"]["minigrad"][0]
    report["W3 overhead per node"] = (minigrad_time - numpy_time) / nodes
    print(f"W3 per-node overhead: ({minigrad_time * 1e6:.1f} - {numpy_time * 1e6:.1f}) µs / {nodes} graph nodes "
          f"= {report['W3 overhead per node'] * 1e6:.2f} µs per node")

    w1 = WORKLOADS[0]
    weights = initial_weights(w1)
    fused_pair = {"numpy": numpy_step(w1, weights), "fused": minigrad_step(w1, weights),
                  "expanded": minigrad_step(w1, weights, fused=False)}
    check_same_weights(w1, fused_pair)
    times = time_interleaved(fused_pair, 1, rounds)
    report["W1 expanded vs fused"] = ratio_to_numpy(times, "expanded") / ratio_to_numpy(times, "fused")
    print(f"W1 cross-entropy built from primitive ops (fused=False): {report['W1 expanded vs fused']:.2f}× "
          "the time of the fused node")

    h1 = HVP_WORKLOAD
    weights = initial_weights(h1)
    vectors = hvp_vectors(weights)
    hvps = {"numpy": numpy_hvp(h1, weights, vectors), "minigrad": minigrad_hvp(h1, weights, vectors)}
    torch_hvp_fn = torch_hvp(h1, weights, vectors)
    if torch_hvp_fn:
        hvps["torch"] = torch_hvp_fn
    check_same_hvp(h1, hvps)
    times = time_interleaved({name: (hvp, None) for name, hvp in hvps.items()}, 1, rounds)
    report["H1"] = {name: (statistics.median(t), ratio_to_numpy(times, name)) for name, t in times.items()}
    shape = "-".join(map(str, h1.sizes)) + f", batch {h1.batch}"
    line = (f"H1 Hessian-vector product, all parameters ({shape}): "
            f"NumPy by hand {report['H1']['numpy'][0] * 1e6:.0f}µs, "
            f"minigrad {report['H1']['minigrad'][0] * 1e6:.0f}µs ({report['H1']['minigrad'][1]:.2f}× NumPy)")
    if torch_hvp_fn:
        report["H1 minigrad/PyTorch"] = statistics.median(m / t for m, t in zip(times["minigrad"], times["torch"]))
        line += (f", PyTorch {report['H1']['torch'][0] * 1e6:.0f}µs ({report['H1']['torch'][1]:.2f}× NumPy): "
                 f"minigrad/PyTorch {report['H1 minigrad/PyTorch']:.2f}× (target {h1.target})")
    else:
        line += " (PyTorch not installed: no ratio)"
    print(line)
    return report


if __name__ == "__main__":
    main()
