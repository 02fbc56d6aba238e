"""Datasets: the 2-D generators (shapes, labels, balance, seeds, exact geometry
at noise=0), scikit-learn's digits, the stratified train/test split and
minibatches, and the ValueErrors that name the function and the bad value."""

import re
import sys

import numpy as np
import pytest

import minigrad as mg
from minigrad.training.data import (DATASETS, load_dataset, load_digits, make_blobs, make_circles, make_moons,
                                    make_spirals, make_xor, minibatches, train_test_split)

CLASSES = {"moons": 2, "circles": 2, "spirals": 3, "blobs": 3, "xor": 2}  # with each generator's defaults
TWO_CLASS = ["moons", "circles", "xor"]


def ids_and_labels(n, classes):
    """X whose only column is the row's id, y = id % classes: rows can be traced through a split or a batch."""
    ids = np.arange(n)
    return ids[:, None].astype(np.float32), ids % classes


# The 2-D generators

def test_the_registry_holds_exactly_the_five_2d_generators():
    assert DATASETS == {"moons": make_moons, "circles": make_circles, "spirals": make_spirals,
                        "blobs": make_blobs, "xor": make_xor}


@pytest.mark.parametrize("name", DATASETS)
def test_points_are_float32_rows_of_two_and_labels_int64(name):
    X, y = DATASETS[name](n_samples=101)
    assert (X.shape, X.dtype, y.shape, y.dtype) == ((101, 2), np.float32, (101,), np.int64)


@pytest.mark.parametrize("name", DATASETS)
def test_labels_are_exactly_0_to_k_minus_1(name):
    _, y = DATASETS[name](n_samples=101)
    assert np.unique(y).tolist() == list(range(CLASSES[name]))


@pytest.mark.parametrize("name", TWO_CLASS)
def test_two_classes_get_half_and_the_rest(name):
    _, y = DATASETS[name](n_samples=101)
    assert np.bincount(y).tolist() == [50, 51]


@pytest.mark.parametrize("arms", [2, 3, 5, 7])
def test_spiral_arms_differ_in_size_by_at_most_one(arms):
    _, y = make_spirals(n_samples=101, arms=arms)
    counts = np.bincount(y, minlength=arms)
    assert counts.sum() == 101 and counts.max() - counts.min() <= 1


@pytest.mark.parametrize("centers", [1, 4, 6])
def test_blob_sizes_differ_by_at_most_one(centers):
    _, y = make_blobs(n_samples=101, centers=centers)
    counts = np.bincount(y, minlength=centers)
    assert counts.sum() == 101 and counts.max() - counts.min() <= 1


@pytest.mark.parametrize("name", DATASETS)
def test_the_smallest_dataset_has_one_sample_per_class(name):
    _, y = DATASETS[name](n_samples=CLASSES[name])
    assert sorted(y.tolist()) == list(range(CLASSES[name]))


@pytest.mark.parametrize("name", DATASETS)
def test_rows_come_shuffled_so_a_first_slice_mixes_classes(name):
    _, y = DATASETS[name](n_samples=300)
    assert len(np.unique(y[:30])) == CLASSES[name]


@pytest.mark.parametrize("name", DATASETS)
def test_the_same_seed_gives_the_same_data(name):
    X1, y1 = DATASETS[name](seed=7)
    X2, y2 = DATASETS[name](seed=7)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)


@pytest.mark.parametrize("name", DATASETS)
def test_different_seeds_give_different_data(name):
    assert not np.array_equal(DATASETS[name](seed=0)[0], DATASETS[name](seed=1)[0])


@pytest.mark.parametrize("name", DATASETS)
def test_generators_touch_neither_numpys_global_generator_nor_minigrads(name):
    np.random.seed(0)
    mg.manual_seed(0)
    numpy_state, minigrad_state = np.random.get_state()[1].copy(), mg.generator().bit_generator.state
    DATASETS[name]()
    assert np.array_equal(np.random.get_state()[1], numpy_state)
    assert mg.generator().bit_generator.state == minigrad_state


@pytest.mark.parametrize("name", ["moons", "circles", "blobs", "xor"])
def test_noise_is_the_std_of_gaussian_jitter_around_the_clean_points(name):
    clean, y_clean = DATASETS[name](n_samples=4000, noise=0.0, seed=3)
    noisy, y_noisy = DATASETS[name](n_samples=4000, noise=0.3, seed=3)
    jitter = noisy - clean
    assert np.array_equal(y_clean, y_noisy)
    assert np.abs(jitter.mean(axis=0)).max() < 0.02
    np.testing.assert_allclose(jitter.std(axis=0), [0.3, 0.3], rtol=0.05)


def test_spiral_noise_is_the_std_of_the_angle_in_radians():
    clean, _ = make_spirals(n_samples=4000, noise=0.0, seed=3)
    noisy, _ = make_spirals(n_samples=4000, noise=0.3, seed=3)
    np.testing.assert_allclose(np.hypot(*noisy.T), np.hypot(*clean.T), atol=1e-6)  # the radius stays
    turn = np.angle(np.exp(1j * (np.arctan2(noisy[:, 1], noisy[:, 0]) - np.arctan2(clean[:, 1], clean[:, 0]))))
    far = np.hypot(*clean.T) > 0.1  # where the angle is well measured
    assert abs(turn[far].std() - 0.3) < 0.015


# Exact geometry at noise=0

def test_noiseless_moons_lie_on_two_unit_half_circles():
    X, y = make_moons(n_samples=200, noise=0.0)
    upper, lower = X[y == 0], X[y == 1] - np.array([1.0, 0.5], dtype=np.float32)
    np.testing.assert_allclose(np.hypot(*upper.T), 1, atol=1e-6)
    np.testing.assert_allclose(np.hypot(*lower.T), 1, atol=1e-6)
    assert (upper[:, 1] >= 0).all() and (lower[:, 1] <= 0).all()


@pytest.mark.parametrize("factor", [0.2, 0.5, 0.8])
def test_noiseless_circles_have_radius_1_and_factor(factor):
    X, y = make_circles(n_samples=200, noise=0.0, factor=factor)
    radius = np.hypot(*X.T)
    np.testing.assert_allclose(radius[y == 0], 1, atol=1e-6)
    np.testing.assert_allclose(radius[y == 1], factor, atol=1e-6)


@pytest.mark.parametrize("arms", [2, 3, 4])
def test_noiseless_spirals_lie_on_their_arms_curve_within_the_unit_disc(arms):
    X, y = make_spirals(n_samples=300, arms=arms, noise=0.0)
    r = np.hypot(*X.T).astype(np.float64)
    angle = 2 * np.pi * (y / arms + 1.25 * r)  # arm k starts at 2πk/arms and winds 1.25 turns
    assert r.max() <= 1 + 1e-6
    np.testing.assert_allclose(X, r[:, None] * np.column_stack([np.cos(angle), np.sin(angle)]), atol=1e-5)


def test_noiseless_blobs_collapse_onto_distinct_centres_inside_the_box():
    X, y = make_blobs(n_samples=60, centers=5, noise=0.0)
    centres = np.array([X[y == k][0] for k in range(5)])
    assert all((X[y == k] == centres[k]).all() for k in range(5))
    assert len(np.unique(centres, axis=0)) == 5 and np.abs(centres).max() <= 10


def test_noiseless_xor_sits_on_the_corners_with_label_signs_differ():
    X, y = make_xor(n_samples=200, noise=0.0)
    assert np.unique(X, axis=0).tolist() == [[-1, -1], [-1, 1], [1, -1], [1, 1]]
    assert np.array_equal(y, (X[:, 0] > 0) != (X[:, 1] > 0))
    assert np.unique(X, axis=0, return_counts=True)[1].tolist() == [50, 50, 50, 50]


# The digits

def test_digits_are_1797_images_of_64_pixels_in_0_1():
    X, y = load_digits()
    assert (X.shape, X.dtype, y.shape, y.dtype) == ((1797, 64), np.float32, (1797,), np.int64)
    assert (X.min(), X.max()) == (0.0, 1.0)


def test_digits_have_the_labels_0_to_9():
    assert np.unique(load_digits()[1]).tolist() == list(range(10))


def test_digits_without_scikit_learn_say_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # None in sys.modules: `import sklearn` raises ImportError
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=re.escape("pip install 'minigrad[digits]'")):
        load_digits()


# load_dataset

@pytest.mark.parametrize("name", DATASETS)
def test_load_dataset_calls_the_named_generator_with_its_arguments(name):
    X, y = load_dataset(name, n_samples=50, noise=0.05, seed=4)
    X_expected, y_expected = DATASETS[name](n_samples=50, noise=0.05, seed=4)
    assert np.array_equal(X, X_expected) and np.array_equal(y, y_expected)


def test_load_dataset_keeps_a_generators_defaults_for_none():
    X, y = load_dataset("spirals")
    assert np.array_equal(X, make_spirals()[0]) and np.array_equal(y, make_spirals()[1])


def test_load_dataset_digits_ignores_n_samples_and_noise():
    assert load_dataset("digits", n_samples=10, noise=0.5)[0].shape == (1797, 64)


def test_load_dataset_names_the_unknown_name_and_the_valid_ones():
    valid = "'blobs', 'circles', 'digits', 'moons', 'spirals', 'xor'"
    with pytest.raises(ValueError, match=re.escape(f"load_dataset: unknown dataset 'mnist'; expected one of {valid}")):
        load_dataset("mnist")


# train_test_split

def test_split_is_a_partition_no_sample_lost_or_duplicated():
    X, y = ids_and_labels(103, 3)
    X_train, X_test, _, _ = train_test_split(X, y)
    assert sorted(np.concatenate([X_train[:, 0], X_test[:, 0]]).tolist()) == list(range(103))


def test_split_keeps_each_sample_with_its_label():
    X, y = ids_and_labels(103, 3)
    X_train, X_test, y_train, y_test = train_test_split(X, y)
    assert np.array_equal(X_train[:, 0] % 3, y_train) and np.array_equal(X_test[:, 0] % 3, y_test)


def test_a_stratified_split_keeps_the_class_proportions():
    y = np.repeat([0, 1, 2], [40, 20, 12])
    _, _, y_train, y_test = train_test_split(np.zeros((72, 1)), y, test_size=0.25)
    assert np.bincount(y_test).tolist() == [10, 5, 3] and np.bincount(y_train).tolist() == [30, 15, 9]


def test_a_stratified_split_puts_every_class_of_two_or_more_in_both_parts():
    y = np.repeat([0, 1, 2], [2, 3, 95])
    _, _, y_train, y_test = train_test_split(np.zeros((100, 1)), y, test_size=0.1)
    assert np.unique(y_train).tolist() == [0, 1, 2] and np.unique(y_test).tolist() == [0, 1, 2]


def test_an_unstratified_split_holds_out_the_rounded_fraction():
    X, y = ids_and_labels(100, 2)
    X_train, X_test, _, _ = train_test_split(X, y, test_size=0.3, stratify=False)
    assert (len(X_train), len(X_test)) == (70, 30)


def test_the_test_part_is_shuffled_not_sorted_by_class():
    X, y = ids_and_labels(100, 2)
    _, X_test, _, _ = train_test_split(X, y)
    assert not np.array_equal(X_test[:, 0], np.sort(X_test[:, 0]))


@pytest.mark.parametrize("stratify", [True, False])
def test_the_same_seed_gives_the_same_split_and_another_seed_another(stratify):
    X, y = ids_and_labels(100, 2)
    first, again = train_test_split(X, y, seed=5, stratify=stratify), train_test_split(X, y, seed=5, stratify=stratify)
    other = train_test_split(X, y, seed=6, stratify=stratify)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[1], other[1])


@pytest.mark.parametrize("test_size", [0, 1, -0.1, 1.5])
def test_split_refuses_a_test_size_outside_0_1(test_size):
    X, y = ids_and_labels(10, 2)
    with pytest.raises(ValueError, match=rf"train_test_split: test_size must be in \(0, 1\), got {test_size}"):
        train_test_split(X, y, test_size=test_size)


def test_split_names_both_lengths_when_they_differ():
    with pytest.raises(ValueError, match="train_test_split: X has 10 samples but y has 9"):
        train_test_split(np.zeros((10, 2)), np.zeros(9))


def test_split_refuses_fewer_than_two_samples():
    with pytest.raises(ValueError, match="train_test_split: needs at least 2 samples to split, got 1"):
        train_test_split(np.zeros((1, 2)), np.zeros(1))


def test_split_refuses_to_leave_a_part_empty():
    with pytest.raises(ValueError, match="leaves the test set empty"):
        train_test_split(np.zeros((2, 1)), np.array([0, 1]), test_size=0.25)


# minibatches

@pytest.mark.parametrize("shuffle", [True, False])
def test_minibatches_visit_every_sample_exactly_once(shuffle):
    X, y = ids_and_labels(23, 3)
    seen = np.concatenate([X_batch[:, 0] for X_batch, _ in minibatches(X, y, batch_size=5, shuffle=shuffle)])
    assert sorted(seen.tolist()) == list(range(23))


@pytest.mark.parametrize("n, batch_size, sizes", [
    (10, 4, [4, 4, 2]), (12, 4, [4, 4, 4]), (3, 8, [3]), (3, 1, [1, 1, 1])])
def test_minibatches_hold_batch_size_samples_the_last_possibly_fewer(n, batch_size, sizes):
    X, y = ids_and_labels(n, 2)
    assert [len(y_batch) for _, y_batch in minibatches(X, y, batch_size)] == sizes


def test_minibatches_keep_each_sample_with_its_label():
    X, y = ids_and_labels(23, 3)
    assert all(np.array_equal(X_batch[:, 0] % 3, y_batch) for X_batch, y_batch in minibatches(X, y, 4))


def test_minibatches_without_shuffle_keep_the_order():
    X, y = ids_and_labels(10, 2)
    assert [X_batch[:, 0].tolist() for X_batch, _ in minibatches(X, y, 4, shuffle=False)] == [
        [0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def order_of(batches):
    return np.concatenate([X_batch[:, 0] for X_batch, _ in batches]).tolist()


def test_minibatches_with_the_same_seed_repeat_and_with_another_seed_differ():
    X, y = ids_and_labels(50, 2)
    assert order_of(minibatches(X, y, 8, seed=1)) == order_of(minibatches(X, y, 8, seed=1))
    assert order_of(minibatches(X, y, 8, seed=1)) != order_of(minibatches(X, y, 8, seed=2))


def test_minibatches_with_seed_none_are_reproducible_through_manual_seed():
    X, y = ids_and_labels(50, 2)
    mg.manual_seed(3)
    first = [order_of(minibatches(X, y, 8, seed=None)) for epoch in range(2)]
    mg.manual_seed(3)
    assert [order_of(minibatches(X, y, 8, seed=None)) for epoch in range(2)] == first
    assert first[0] != first[1]  # each call draws a new order from the advancing generator


def test_minibatches_with_seed_none_follow_the_manual_seed():
    X, y = ids_and_labels(50, 2)
    mg.manual_seed(3)
    first = order_of(minibatches(X, y, 8, seed=None))
    mg.manual_seed(4)
    assert order_of(minibatches(X, y, 8, seed=None)) != first


def test_minibatches_of_no_samples_are_no_batches():
    assert list(minibatches(np.zeros((0, 2)), np.zeros(0), 4)) == []


@pytest.mark.parametrize("batch_size", [0, -3, 2.5])
def test_minibatches_refuse_a_batch_size_below_one_or_not_an_integer(batch_size):
    X, y = ids_and_labels(10, 2)
    with pytest.raises(ValueError, match=f"minibatches: batch_size must be an integer >= 1, got {batch_size}"):
        minibatches(X, y, batch_size)  # at the call, before the first batch is asked for


def test_minibatches_name_both_lengths_when_they_differ():
    with pytest.raises(ValueError, match="minibatches: X has 10 samples but y has 9"):
        minibatches(np.zeros((10, 2)), np.zeros(9), 4)


# Validation of the generators' arguments

@pytest.mark.parametrize("call, message", [
    (lambda: make_moons(n_samples=1), "make_moons: n_samples must be an integer >= 2, got 1"),
    (lambda: make_moons(n_samples=10.0), "make_moons: n_samples must be an integer >= 2, got 10.0"),
    (lambda: make_circles(n_samples=0), "make_circles: n_samples must be an integer >= 2, got 0"),
    (lambda: make_xor(n_samples=True), "make_xor: n_samples must be an integer >= 2, got True"),
    (lambda: make_spirals(n_samples=2, arms=3), "make_spirals: n_samples must be an integer >= 3, got 2"),
    (lambda: make_spirals(arms=1), "make_spirals: arms must be an integer >= 2, got 1"),
    (lambda: make_blobs(n_samples=3, centers=4), "make_blobs: n_samples must be an integer >= 4, got 3"),
    (lambda: make_blobs(centers=0), "make_blobs: centers must be an integer >= 1, got 0"),
    (lambda: make_circles(factor=1.0), r"make_circles: factor \(the inner radius\) must be in \(0, 1\), got 1.0"),
    (lambda: make_circles(factor=0), r"make_circles: factor \(the inner radius\) must be in \(0, 1\), got 0"),
])
def test_generators_refuse_bad_sizes_with_the_function_and_the_value(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("noise", [-0.1, float("nan")])
def test_generators_refuse_a_negative_or_nan_noise(name, noise):
    with pytest.raises(ValueError, match=rf"make_{name}: noise must be >= 0 \(a standard deviation\), got {noise}"):
        DATASETS[name](noise=noise)
