"""Training smoke tests that assert learning, not just running: the standard
PyTorch-style loop (model, loss module, optimizer; zero_grad, backward, step)
on float32 data."""

import numpy as np

import minigrad as mg
from minigrad import Tensor, nn, optim


def train(model, loss_fn, optimizer, x, y, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    return loss.item()


def moons(n, noise, rng):
    angle = rng.uniform(0, np.pi, n)
    upper = rng.random(n) < 0.5
    points = np.where(upper[:, None], np.c_[np.cos(angle), np.sin(angle)],
                      np.c_[1 - np.cos(angle), 0.5 - np.sin(angle)])
    return (points + rng.normal(0, noise, (n, 2))).astype(np.float32), upper.astype(np.int64)


def spirals(n_per_arm, arms, noise, rng):
    radius = np.tile(np.linspace(0.05, 1, n_per_arm), arms)
    labels = np.repeat(np.arange(arms), n_per_arm)
    angle = labels * 2 * np.pi / arms + radius * 3 * np.pi + rng.normal(0, noise, radius.size)
    return (radius[:, None] * np.c_[np.cos(angle), np.sin(angle)]).astype(np.float32), labels


def accuracy(model, x, labels):
    with mg.no_grad():
        return float((model(x).data.argmax(axis=1) == labels).mean())


def test_xor_reaches_100_percent_with_a_2_8_1_mlp():
    mg.manual_seed(0)
    x = Tensor(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32))
    y = np.array([[0], [1], [1], [0]], dtype=np.float32)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    train(model, nn.BCEWithLogitsLoss(), optim.Adam(model.parameters(), lr=0.05), x, y, steps=300)
    with mg.no_grad():
        predictions = (model(x).data > 0).astype(np.float32)
    assert np.array_equal(predictions, y)


def test_moons_classifier_reaches_97_percent_training_accuracy():
    mg.manual_seed(1)
    points, labels = moons(300, noise=0.1, rng=np.random.default_rng(1))
    x = Tensor(points)
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2))
    train(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.01), x, labels, steps=400)
    assert accuracy(model, x, labels) >= 0.97


def test_spiral_classifier_with_sgd_momentum_reaches_97_percent_training_accuracy():
    mg.manual_seed(2)
    points, labels = spirals(100, arms=3, noise=0.05, rng=np.random.default_rng(2))
    x = Tensor(points)
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))
    optimizer = optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    train(model, nn.CrossEntropyLoss(), optimizer, x, labels, steps=1500)
    assert accuracy(model, x, labels) >= 0.97


def test_training_keeps_parameters_float32():
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))
    x, labels = moons(16, noise=0.1, rng=np.random.default_rng(0))
    train(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()), Tensor(x), labels, steps=3)
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in model.parameters())
