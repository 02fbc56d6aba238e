"""Entropy, cross-entropy and KL divergence, in bits (claim 4 in docs/claims.md).

H(p) = −Σ p log p is the average surprise of outcomes drawn from p: the
fewest bits per outcome any code can use. H(p, q) = −Σ p log q is what a code
built for q costs on outcomes of p. The difference D(p ‖ q) = H(p, q) − H(p)
is never negative (Gibbs' inequality) and is 0 only for q = p, so for fixed
labels p, minimising the cross-entropy minimises the KL divergence.

    python examples/information_theory.py [--fast] [--out DIR]
"""

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

try:
    import matplotlib
except ImportError:  # the plots extra is not installed
    sys.exit("information_theory.py needs matplotlib: pip install 'minigrad[plots]'")
matplotlib.use("Agg")  # draw into files, no window
import matplotlib.pyplot as plt  # noqa: E402

from minigrad.information import cross_entropy, entropy, kl_divergence  # noqa: E402


def letter_frequencies(text):
    """The empirical distribution of the letters of `text` over all 256 byte values."""
    counts = Counter(text.encode("ascii"))
    p = np.zeros(256)
    for byte, count in counts.items():
        p[byte] = count / len(text)
    return p


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="fewer random distributions")
    parser.add_argument("--out", default="example-output", help="folder for the figure")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    hello = letter_frequencies("HELLO")
    ascii_code = np.full(256, 1 / 256)  # a fixed-length code: every byte costs the same
    ascii_bits = cross_entropy(hello, ascii_code, base=2)
    print(f"'HELLO' coded as ASCII: H(p, uniform over 256) = {ascii_bits:.4f} bits per letter")
    needed, wasted = entropy(hello, base=2), kl_divergence(hello, ascii_code, base=2)
    print(f"  of which H(p) = {needed:.4f} bits are needed, and D(p ‖ uniform) = {wasted:.4f} bits are wasted")
    teams = entropy(np.full(32, 1 / 32), base=2)
    print(f"32 equally likely teams: H = {teams:.4f} bits")

    rng = np.random.default_rng(0)
    pairs = 200 if args.fast else 10_000
    gaps = [kl_divergence(p, q) for p, q in (rng.dirichlet(np.ones(6), size=2) for _ in range(pairs))]
    print(f"Gibbs' inequality on {pairs} random pairs: smallest D(p ‖ q) = {min(gaps):.6f} nats (never below 0)")

    p = np.array([0.7, 0.2, 0.1])
    qs = [np.array([q, (1 - q) * 2 / 3, (1 - q) / 3]) for q in np.linspace(0.05, 0.95, 91)]
    best = min(qs, key=lambda q: cross_entropy(p, q))
    print(f"for p = {p.tolist()}, the q that minimises H(p, q) along the line is {np.round(best, 3).tolist()}")

    figure, axes = plt.subplots(figsize=(6, 4))
    first = [q[0] for q in qs]
    axes.plot(first, [cross_entropy(p, q, base=2) for q in qs], label="H(p, q)")
    axes.plot(first, [kl_divergence(p, q, base=2) for q in qs], label="D(p ‖ q)")
    axes.axhline(entropy(p, base=2), color="gray", linestyle=":", label="H(p)")
    axes.set(xlabel="q₁ (with q₂ : q₃ = 2 : 1)", ylabel="bits",
             title="p = (0.7, 0.2, 0.1): both curves bottom out at q = p")
    axes.legend()
    figure.tight_layout()
    path = out / "information_theory.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"figure: {path}")
    return {"ascii_bits": ascii_bits, "needed_bits": needed, "wasted_bits": wasted, "team_bits": teams,
            "min_kl": min(gaps), "best_q": best, "p": p, "figures": [str(path)]}


if __name__ == "__main__":
    main()
