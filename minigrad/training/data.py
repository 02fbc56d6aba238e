"""Small datasets to train on, and the two chores of training: splitting and batching.

The 2-D generators draw classic toy problems, each a few lines of geometry:

    make_moons     two interleaving half circles            2 classes
    make_circles   a circle inside a circle                 2 classes
    make_spirals   K interleaved spiral arms                K classes
    make_blobs     Gaussian clusters around random centres  K classes
    make_xor       the four corners of a square, XOR-ed     2 classes

`load_digits` gives scikit-learn's 8x8 handwritten digits (64 features, 10
classes). Everything is NumPy in, NumPy out: X is float32 of shape
(n, features), y is int64 class labels 0..K-1 of shape (n,).

Every generator is deterministic given `seed` and draws from its own
`np.random.default_rng(seed)`, never from NumPy's global generator or the one
`minigrad.manual_seed` seeds. Classes are balanced (their sizes differ by at
most one) and the rows come in random order, so a first slice mixes classes.
The same seed gives the same clean points for every `noise`: noise only adds
the Gaussian jitter around them, and noise=0 gives the exact geometry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from minigrad.core.creation import generator

SPIRAL_TURNS = 1.25  # how many times each spiral arm winds around the centre
BLOB_BOX = 10.0  # blob centres are drawn uniformly in [-BLOB_BOX, BLOB_BOX]^2


def make_moons(n_samples: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles of radius 1: class 0 arches up, class 1 hangs down.

    Class 0 has n_samples // 2 points, class 1 the rest; `noise` is the
    standard deviation of the Gaussian added to each coordinate.

    >>> X, y = make_moons(101, seed=1)
    >>> X.shape, X.dtype, np.bincount(y).tolist()
    ((101, 2), dtype('float32'), [50, 51])
    """
    _check_count("make_moons", "n_samples", n_samples, minimum=2)
    _check_noise("make_moons", noise)
    rng = np.random.default_rng(seed)
    y = _balanced_labels(n_samples, 2)
    angle = rng.uniform(0, np.pi, n_samples)
    upper = np.column_stack([np.cos(angle), np.sin(angle)])  # upper half of the unit circle around (0, 0)
    lower = np.column_stack([1 - np.cos(angle), 0.5 - np.sin(angle)])  # lower half of the one around (1, 0.5)
    X = np.where(y[:, None] == 0, upper, lower) + rng.normal(0, noise, (n_samples, 2))
    return _shuffled(rng, X, y)


def make_circles(n_samples: int = 200, noise: float = 0.05, factor: float = 0.5,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Class 0 on the unit circle, class 1 on the circle of radius `factor` inside it.

    Not linearly separable, but separable by the radius. Class 0 has
    n_samples // 2 points; `noise` is the standard deviation of the Gaussian
    added to each coordinate.

    >>> X, y = make_circles(100, noise=0.0, factor=0.3)
    >>> sorted({round(float(radius), 4) for radius in np.hypot(X[:, 0], X[:, 1])})
    [0.3, 1.0]
    """
    _check_count("make_circles", "n_samples", n_samples, minimum=2)
    _check_noise("make_circles", noise)
    if not 0 < factor < 1:
        raise ValueError(f"make_circles: factor (the inner radius) must be in (0, 1), got {factor}")
    rng = np.random.default_rng(seed)
    y = _balanced_labels(n_samples, 2)
    angle = rng.uniform(0, 2 * np.pi, n_samples)
    radius = np.where(y == 0, 1.0, factor)  # outer circle for class 0, inner for class 1
    X = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)]) + rng.normal(0, noise, (n_samples, 2))
    return _shuffled(rng, X, y)


def make_spirals(n_samples: int = 300, arms: int = 3, noise: float = 0.2,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`arms` spiral arms winding out from the centre, one class per arm.

    A point at distance r (uniform in [0, 1]) from the centre on arm k sits at
    the angle 2πk/arms + 2π·SPIRAL_TURNS·r, so each arm makes 1.25 turns and
    the arms are rotated copies of each other. `noise` is the standard
    deviation of the Gaussian jitter added to that angle, in radians.

    >>> X, y = make_spirals(100, arms=4)
    >>> X.shape, np.bincount(y).tolist()
    ((100, 2), [25, 25, 25, 25])
    """
    _check_count("make_spirals", "arms", arms, minimum=2)
    _check_count("make_spirals", "n_samples", n_samples, minimum=arms)
    _check_noise("make_spirals", noise)
    rng = np.random.default_rng(seed)
    y = _balanced_labels(n_samples, arms)
    radius = rng.uniform(0, 1, n_samples)
    angle = 2 * np.pi * (y / arms + SPIRAL_TURNS * radius)  # the arm's start, then winding with the radius
    angle = angle + rng.normal(0, noise, n_samples)
    X = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    return _shuffled(rng, X, y)


def make_blobs(n_samples: int = 300, centers: int = 3, noise: float = 1.0,
               seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`centers` round Gaussian clusters in the plane, one class per cluster.

    The centres are drawn uniformly in the box [-10, 10]^2 (from the seed);
    `noise` is the standard deviation of each cluster along each axis.

    >>> X, y = make_blobs(90, centers=3, noise=0.0)
    >>> [len(np.unique(X[y == k], axis=0)) for k in range(3)]   # noise=0: each cluster is its centre
    [1, 1, 1]
    """
    _check_count("make_blobs", "centers", centers, minimum=1)
    _check_count("make_blobs", "n_samples", n_samples, minimum=centers)
    _check_noise("make_blobs", noise)
    rng = np.random.default_rng(seed)
    y = _balanced_labels(n_samples, centers)
    centre = rng.uniform(-BLOB_BOX, BLOB_BOX, (centers, 2))
    X = centre[y] + rng.normal(0, noise, (n_samples, 2))  # each point: its cluster's centre plus Gaussian noise
    return _shuffled(rng, X, y)


def make_xor(n_samples: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points around the corners (±1, ±1): class 1 where the two signs differ (XOR).

    Class 0 gathers around (1, 1) and (-1, -1), class 1 around (-1, 1) and
    (1, -1), each class split evenly between its two corners; `noise` is the
    standard deviation of the Gaussian added to each coordinate.

    >>> X, y = make_xor(4, noise=0.0)
    >>> sorted(zip(X.tolist(), y.tolist()))
    [([-1.0, -1.0], 0), ([-1.0, 1.0], 1), ([1.0, -1.0], 1), ([1.0, 1.0], 0)]
    """
    _check_count("make_xor", "n_samples", n_samples, minimum=2)
    _check_noise("make_xor", noise)
    rng = np.random.default_rng(seed)
    y = _balanced_labels(n_samples, 2)
    x_sign = np.where(np.arange(n_samples) % 2 == 0, 1.0, -1.0)  # alternate between a class's two corners
    y_sign = np.where(y == 0, x_sign, -x_sign)  # class 0: same signs, class 1: opposite signs
    X = np.column_stack([x_sign, y_sign]) + rng.normal(0, noise, (n_samples, 2))
    return _shuffled(rng, X, y)


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's handwritten digits: 1797 images of 8x8 pixels, flattened to 64 features.

    Pixels are scaled from 0..16 to [0, 1]; labels are the digits 0..9. The
    data ships inside scikit-learn (no download), which is an optional
    dependency: pip install 'minigrad[digits]'.

    >>> X, y = load_digits()
    >>> X.shape, X.dtype, y.dtype, float(X.max()), np.unique(y).tolist()
    ((1797, 64), dtype('float32'), dtype('int64'), 1.0, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    """
    try:
        from sklearn.datasets import load_digits as sklearn_load_digits
    except ImportError as missing:  # the digits extra is not installed
        raise ImportError("load_digits needs scikit-learn, which ships the digits: "
                          "pip install 'minigrad[digits]' (or pip install scikit-learn)") from missing
    digits = sklearn_load_digits()
    return (digits.data / 16).astype(np.float32), digits.target.astype(np.int64)


DATASETS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "moons": make_moons, "circles": make_circles, "spirals": make_spirals, "blobs": make_blobs, "xor": make_xor,
}


def load_dataset(name: str, n_samples: int | None = None, noise: float | None = None,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A dataset by name: one of DATASETS (None keeps a generator's default) or "digits".

    "digits" is always the same 1797 images: it ignores n_samples, noise and seed.

    >>> X, y = load_dataset("spirals", n_samples=90)
    >>> X.shape, np.unique(y).tolist()
    ((90, 2), [0, 1, 2])
    """
    if name == "digits":
        return load_digits()
    if name not in DATASETS:
        valid = ", ".join(repr(valid) for valid in sorted([*DATASETS, "digits"]))
        raise ValueError(f"load_dataset: unknown dataset {name!r}; expected one of {valid}")
    options = {"n_samples": n_samples, "noise": noise}
    return DATASETS[name](seed=seed, **{key: value for key, value in options.items() if value is not None})


def train_test_split(X: np.ndarray, y: np.ndarray, test_size: float = 0.25, seed: int = 0,
                     stratify: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle the samples and hold out a fraction `test_size` of them for testing.

    Returns (X_train, X_test, y_train, y_test); every sample lands in exactly
    one part. Stratified (the default), each class is split on its own in the
    same proportion, rounded per class so that every class with at least two
    samples appears in both parts.

    >>> X, y = make_blobs(12, centers=3)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25)
    >>> np.bincount(y_train).tolist(), np.bincount(y_test).tolist()
    ([3, 3, 3], [1, 1, 1])
    """
    X, y = _paired("train_test_split", X, y)
    if not 0 < test_size < 1:
        raise ValueError(f"train_test_split: test_size must be in (0, 1), got {test_size}")
    if len(y) < 2:
        raise ValueError(f"train_test_split: needs at least 2 samples to split, got {len(y)}")
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(y == label) for label in np.unique(y)] if stratify else [np.arange(len(y))]
    test = []
    for members in groups:
        members = rng.permutation(members)
        test.extend(members[:_test_count(len(members), test_size)])
    is_test = np.zeros(len(y), dtype=bool)
    is_test[test] = True
    if is_test.all() or not is_test.any():
        part = "training" if is_test.all() else "test"
        raise ValueError(f"train_test_split: test_size={test_size} leaves the {part} set empty "
                         f"({len(y)} samples, every class a single sample)")
    train, test = rng.permutation(np.flatnonzero(~is_test)), rng.permutation(np.flatnonzero(is_test))
    return X[train], X[test], y[train], y[test]


def minibatches(X: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool = True,
                seed: int | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """An iterator of (X_batch, y_batch) that visits every sample exactly once.

    Batches hold `batch_size` samples, the last one possibly fewer. With
    shuffle=True and no seed, the order is drawn from the generator that
    `minigrad.manual_seed` seeds, as PyTorch's DataLoader draws from its
    global generator: a new order each epoch, the same run after the same
    manual_seed. A seed fixes the order of this call alone (seed=epoch gives
    each epoch its own). shuffle=False keeps the order of X.

    >>> X, y = make_xor(10)
    >>> [len(y_batch) for X_batch, y_batch in minibatches(X, y, batch_size=4)]
    [4, 4, 2]
    """
    X, y = _paired("minibatches", X, y)
    _check_count("minibatches", "batch_size", batch_size, minimum=1)
    if not shuffle:
        order = np.arange(len(y))
    else:
        rng = generator() if seed is None else np.random.default_rng(seed)
        order = rng.permutation(len(y))  # drawn now, not when the first batch is asked for
    return ((X[order[start:start + batch_size]], y[order[start:start + batch_size]])
            for start in range(0, len(y), batch_size))


def _balanced_labels(n: int, classes: int) -> np.ndarray:
    """Labels 0..classes-1 in blocks whose sizes differ by at most one (the later blocks get the extra)."""
    boundaries = np.arange(classes + 1) * n // classes
    return np.repeat(np.arange(classes), np.diff(boundaries))


def _shuffled(rng: np.random.Generator, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows in random order, as float32 points and int64 labels."""
    order = rng.permutation(len(y))
    return X[order].astype(np.float32), y[order].astype(np.int64)


def _test_count(count: int, test_size: float) -> int:
    """How many of `count` samples go to the test set: the rounded fraction, leaving each part at least one."""
    if count < 2:
        return round(count * test_size)
    return min(max(round(count * test_size), 1), count - 1)


def _paired(function: str, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """X and y as arrays with one row per sample, after checking they have as many rows."""
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(f"{function}: X and y must be arrays of samples, got shapes {X.shape} and {y.shape}")
    if len(X) != len(y):
        raise ValueError(f"{function}: X has {len(X)} samples but y has {len(y)}; expected as many")
    return X, y


def _check_count(function: str, name: str, value: int, minimum: int) -> None:
    """`value` must be an integer of at least `minimum`."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{function}: {name} must be an integer >= {minimum}, got {value}")


def _check_noise(function: str, noise: float) -> None:
    """`noise` is a standard deviation: a number >= 0 (NaN fails the test too)."""
    if not noise >= 0:
        raise ValueError(f"{function}: noise must be >= 0 (a standard deviation), got {noise}")
