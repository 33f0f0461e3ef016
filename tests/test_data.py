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


# The full CIFAR-10 rebuild (cifar-10-batches-py-full/*.xz): a tiny synthetic build with its own checksum table.


def _cifar_batch(n: int, seed: int) -> bytes:
    import pickle

    rng = np.random.default_rng(seed)
    batch = {
        b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
        b"labels": [int(v) for v in rng.integers(0, 10, n)],
        b"batch_label": b"synthetic",
        b"filenames": [b"%d.png" % i for i in range(n)],
    }
    return pickle.dumps(batch, protocol=2)


@pytest.fixture
def xz_build(tmp_path, monkeypatch):
    """A read-only data folder holding a 2-batch train / 1-batch test xz build, its table patched in."""
    import hashlib
    import lzma

    from lrlib.data import real
    from lrlib.data.files import FileSpec

    root = tmp_path / "data"
    folder = root / real.CIFAR10_XZ_DIR
    folder.mkdir(parents=True)
    table, raw = {}, {}
    for split, names in (("train", ["data_batch_1", "data_batch_2"]), ("test", ["test_batch"])):
        table[split] = []
        for name in names:
            raw[name] = _cifar_batch(6, seed=len(raw))
            (folder / f"{name}.xz").write_bytes(lzma.compress(raw[name]))
            sums = [hashlib.sha256(b).hexdigest() for b in ((folder / f"{name}.xz").read_bytes(), raw[name])]
            path = f"{real.CIFAR10_XZ_DIR}/{name}"
            table[split].append((FileSpec(path + ".xz", sha256=sums[0]), FileSpec(path, sha256=sums[1])))
    monkeypatch.setattr(real, "CIFAR10_XZ_FILES", table)
    monkeypatch.setenv("LRLIB_DATA", str(root))
    monkeypatch.setenv("LRLIB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("LRLIB_OFFLINE", "1")
    for f in [*folder.iterdir(), folder, root]:
        f.chmod(0o555 if f.is_dir() else 0o444)
    yield root, raw, table
    for f in [root, folder, *folder.iterdir()]:
        f.chmod(0o755 if f.is_dir() else 0o644)


def test_full_cifar_xz_build_is_decompressed_into_the_cache(xz_build, tmp_path):
    import pickle

    root, raw, _ = xz_build
    train, test = load_cifar10("train"), load_cifar10("test")
    assert len(train) == 12 and len(test) == 6
    assert "xz-compressed rebuild" in train.source and "seed-0 order" in train.source and not train.notes
    first = pickle.loads(raw["data_batch_1"], encoding="bytes")
    assert np.array_equal(train.x[:6].numpy(), first[b"data"] / np.float32(255.0))
    assert train.y[:6].tolist() == first[b"labels"]
    cached = tmp_path / "cache/data/cifar-10-batches-py-full/data_batch_1"
    assert cached.read_bytes() == raw["data_batch_1"]
    assert sorted(p.name for p in root.rglob("*")) == [  # nothing written next to the (read-only) build
        "cifar-10-batches-py-full",
        "data_batch_1.xz",
        "data_batch_2.xz",
        "test_batch.xz",
    ]


def test_verified_cached_copy_is_reused_and_a_damaged_one_rebuilt(xz_build, tmp_path, monkeypatch):
    import lzma

    load_cifar10("test")
    cached = tmp_path / "cache/data/cifar-10-batches-py-full/test_batch"
    decompress = lzma.open
    monkeypatch.setattr(lzma, "open", lambda *a, **k: pytest.fail("decompressed again"))
    assert len(load_cifar10("test")) == 6
    cached.write_bytes(cached.read_bytes()[:-10])
    monkeypatch.setattr(lzma, "open", decompress)
    _, raw, _ = xz_build
    assert len(load_cifar10("test")) == 6 and cached.read_bytes() == raw["test_batch"]


def test_corrupt_xz_file_names_the_file_and_checksum(xz_build, tmp_path):
    root, _, table = xz_build
    xz = root / "cifar-10-batches-py-full/data_batch_2.xz"
    xz.chmod(0o644)
    xz.write_bytes(xz.read_bytes()[:-20])
    with pytest.raises(ChecksumError) as err:
        load_cifar10("train")
    message = str(err.value)
    assert "\n" not in message and "data_batch_2.xz" in message and table["train"][1][0].sha256 in message


def test_wrong_decompressed_checksum_is_caught_before_unpickling(xz_build, tmp_path, monkeypatch):
    from lrlib.data import real
    from lrlib.data.files import FileSpec

    _, _, table = xz_build
    packed, unpacked = table["test"][0]
    monkeypatch.setitem(table, "test", [(packed, FileSpec(unpacked.path, sha256="0" * 64))])
    monkeypatch.setattr(real, "_read_cifar_batch", lambda path: pytest.fail("unpickled"))
    with pytest.raises(ChecksumError, match="test_batch.xz: decompresses to sha256 .*expected 0{64}"):
        load_cifar10("test")
    assert not list((tmp_path / "cache").rglob("*test_batch*"))


def test_canonical_batches_come_before_the_xz_build(xz_build, tmp_path, monkeypatch):
    from lrlib.data import real
    from lrlib.data.files import FileSpec

    root, raw, _ = xz_build
    root.chmod(0o755)
    (root / "cifar-10-batches-py").mkdir()
    (root / "cifar-10-batches-py/test_batch").write_bytes(raw["data_batch_2"])
    md5 = __import__("hashlib").md5(raw["data_batch_2"]).hexdigest()
    monkeypatch.setitem(real.CIFAR10_FILES, "test", [FileSpec("cifar-10-batches-py/test_batch", md5=md5)])
    test = load_cifar10("test")
    assert test.source == "CIFAR-10 test split, all 10,000 images"
    assert not (tmp_path / "cache").exists()


def test_incomplete_xz_build_falls_back_to_the_subset_only_when_allowed(shared_data, tmp_path, monkeypatch):
    root = _copy_shared(shared_data, tmp_path, monkeypatch)
    monkeypatch.setenv("LRLIB_CACHE", str(tmp_path / "cache"))
    (root / "cifar-10-batches-py-full").mkdir()
    with pytest.raises(DataError, match="cifar-10-batches-py-full/test_batch.xz is not in"):
        load_cifar10("test")
    with pytest.warns(UserWarning, match="subset"):
        assert len(load_cifar10("test", allow_subset=True)) == 1000
