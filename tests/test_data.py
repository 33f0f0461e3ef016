import gzip
import shutil

import numpy as np
import pytest

from lrlib.data import ChecksumError, DataError, load_cifar10, load_digits, load_mnist, parity_labels
from lrlib.data.real import read_idx


def test_offline_mnist_test_split(shared_data):
    ds = load_mnist("test")
    assert ds.x.shape == (10000, 784) and ds.x.min() == 0 and ds.x.max() == 1
    assert ds.class_counts().tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert ds.images().shape == (10000, 1, 28, 28)


def test_offline_mnist_train_subset_is_explicit(shared_data):
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz is not in"):
        load_mnist("train")
    with pytest.warns(UserWarning, match="first 999"):
        ds = load_mnist("train", allow_subset=True)
    assert len(ds) == 999 and "first 999" in ds.source
    full_labels = np.frombuffer(gzip.open(shared_data / "mnist/train-labels-idx1-ubyte.gz").read()[8:], np.uint8)
    assert np.array_equal(ds.y.numpy(), full_labels[:999])


def test_offline_cifar_subset_is_balanced(shared_data):
    with pytest.warns(UserWarning):
        train = load_cifar10("train", allow_subset=True)
    with pytest.warns(UserWarning):
        test = load_cifar10("test", allow_subset=True)
    assert train.images().shape == (5000, 3, 32, 32) and test.images().shape == (1000, 3, 32, 32)
    assert set(train.class_counts()) == {500} and set(test.class_counts()) == {100}
    # the usual CIFAR-10 channel means, so channels are in the right order
    assert np.allclose(train.images().mean(dim=(0, 2, 3)).numpy(), [0.4914, 0.4822, 0.4465], atol=0.01)


def _copy_shared(shared_data, tmp_path, monkeypatch):
    root = tmp_path / "data"
    shutil.copytree(shared_data, root)
    monkeypatch.setenv("LRLIB_DATA", str(root))
    return root


def test_truncated_mnist_file_is_rejected_by_checksum(shared_data, tmp_path, monkeypatch):
    root = _copy_shared(shared_data, tmp_path, monkeypatch)
    f = root / "mnist/t10k-labels-idx1-ubyte.gz"
    f.write_bytes(f.read_bytes()[:-100])
    with pytest.raises(ChecksumError, match="t10k-labels.*sha256 is .*expected f7ae60f9"):
        load_mnist("test")


def test_tampered_cifar_pickle_is_rejected_before_unpickling(shared_data, tmp_path, monkeypatch):
    root = _copy_shared(shared_data, tmp_path, monkeypatch)
    import pickle

    evil = root / "cifar-10-batches-py-subset/test_batch"
    evil.write_bytes(pickle.dumps({"never": "unpickled"}))
    with pytest.raises(ChecksumError, match="test_batch"):
        load_cifar10("test", allow_subset=True)


def test_missing_file_offline_names_file_and_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("LRLIB_DATA", str(tmp_path))
    monkeypatch.setenv("LRLIB_OFFLINE", "1")
    with pytest.raises(DataError) as err:
        load_mnist("test")
    assert "t10k-images-idx3-ubyte.gz" in str(err.value) and str(tmp_path) in str(err.value)
    assert "LRLIB_DATA" in str(err.value)


def test_idx_header_must_match_payload():
    header = bytes([0, 0, 8, 1]) + (5).to_bytes(4, "big")
    assert read_idx(header + bytes(5)).tolist() == [0] * 5
    with pytest.raises(DataError, match="holds 4 values"):
        read_idx(header + bytes(4))


def test_digits_and_parity():
    ds = load_digits()
    assert ds.x.shape == (1797, 64) and 0 <= ds.x.min() and ds.x.max() <= 1
    y = parity_labels(ds)
    assert set(y.unique().tolist()) == {-1, 1}
    assert (y[ds.y % 2 == 0] == 1).all()


def test_bad_split():
    with pytest.raises(ValueError, match="split must be one of"):
        load_mnist("validation")
