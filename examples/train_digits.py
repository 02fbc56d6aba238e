"""Train a classifier of handwritten digits: the PyTorch training loop, in minigrad.

scikit-learn's 1797 digits (8x8 pixels, scaled to [0, 1]) are split into
training and test images and standardised (each pixel to mean 0, spread 1,
by the training images' statistics); a two-layer network learns from mini-batches with
softmax cross-entropy and Adam, and is evaluated on the test images by
accuracy and classification error (wrong / total). The model is saved as a
checkpoint you can load back with model.load_state_dict(minigrad.load(path)).

    python -m pip install ".[plots,digits]"   # matplotlib; the digits ship with scikit-learn
    python examples/train_digits.py [--fast] [--out DIR]
"""

import argparse
import sys
from pathlib import Path

try:
    import matplotlib
except ImportError:  # the plots extra is not installed
    sys.exit("train_digits.py needs matplotlib: pip install 'minigrad[plots]'")
matplotlib.use("Agg")  # draw into files, no window
import matplotlib.pyplot as plt  # noqa: E402

import minigrad as mg  # noqa: E402
from minigrad import Tensor, nn, optim  # noqa: E402
from minigrad.training.data import load_digits, minibatches, train_test_split  # noqa: E402


def predict(model, X):
    """The class with the largest logit, for every row of X; no graph is recorded."""
    with mg.no_grad():
        return model(Tensor(X)).data.argmax(axis=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None, help="default 30, or 3 with --fast")
    parser.add_argument("--fast", action="store_true", help="a few epochs, for a quick check")
    parser.add_argument("--out", default="example-output", help="folder for the checkpoint and figure")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    epochs = args.epochs or (3 if args.fast else 30)

    try:
        X, y = load_digits()                              # (1797, 64) float32, labels 0..9
    except ImportError:  # the digits extra is not installed
        sys.exit("train_digits.py needs scikit-learn, which ships the digits: pip install 'minigrad[digits]'")
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0)
    mean, spread = X_train.mean(axis=0), X_train.std(axis=0) + 0.1  # from the training images only;
    X_train, X_test = (X_train - mean) / spread, (X_test - mean) / spread  # + 0.1: some pixels are always 0

    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=0.002)

    history = []  # (mean training loss, test accuracy) per epoch
    for epoch in range(1, epochs + 1):
        total = 0.0
        for X_batch, y_batch in minibatches(X_train, y_train, batch_size=32, seed=epoch):  # a new order each epoch
            optimizer.zero_grad()
            loss = loss_fn(model(Tensor(X_batch)), y_batch)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y_batch)
        test_accuracy = float((predict(model, X_test) == y_test).mean())
        history.append((total / len(y_train), test_accuracy))
        print(f"epoch {epoch:3d}: training loss {history[-1][0]:.4f}, test accuracy {test_accuracy:.4f}")

    wrong = int((predict(model, X_test) != y_test).sum())
    accuracy = 1 - wrong / len(y_test)
    print(f"test accuracy: {accuracy:.4f}")
    print(f"test classification error: {wrong} wrong of {len(y_test)} = {wrong / len(y_test):.4f}")

    checkpoint = out / "digits_mlp.npz"
    mg.save(model.state_dict(), checkpoint)  # reload: model.load_state_dict(mg.load(checkpoint))
    mg.save({"mean": mean, "spread": spread}, out / "digits_scaling.npz")  # new inputs need the same scaling
    print(f"checkpoint: {checkpoint}")

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    epochs_axis = range(1, epochs + 1)
    left.plot(epochs_axis, [loss for loss, _ in history])
    left.set(xlabel="epoch", ylabel="training loss (cross-entropy)", title="Training loss")
    right.plot(epochs_axis, [1 - acc for _, acc in history])
    right.set(xlabel="epoch", ylabel="wrong / total", title="Test classification error")
    figure.tight_layout()
    path = out / "train_digits.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"figure: {path}")

    return {
        "test_accuracy": accuracy,
        "test_error": wrong / len(y_test),
        "epochs": epochs,
        "checkpoint": str(checkpoint),
        "scaled_test_images": X_test,
        "test_predictions": predict(model, X_test),
        "figures": [str(path)],
    }


if __name__ == "__main__":
    main()
