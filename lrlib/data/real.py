"""Real datasets: MNIST (IDX files), CIFAR-10 (python batches) and scikit-learn's 8x8 digits.

Each loader returns a :class:`Dataset` whose ``source`` says exactly which files were read, so a chapter can
state it. Offline, the full MNIST training images and the full CIFAR-10 are not available; a chapter that can
live with a real subset passes ``allow_subset=True`` and reports ``source``.
"""

from __future__ import annotations

import gzip
import io
import pickle
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch

from .files import ChecksumError, DataError, FileSpec, data_root, fetch, fetch_archive_member, fetch_xz, offline

_MNIST_URLS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")


def _mnist(path: str, **sums) -> FileSpec:
    name = path.split("/")[-1]
    return FileSpec(path, urls=tuple(u + name for u in _MNIST_URLS), **sums)


MNIST_FILES = {
    ("train", "images"): _mnist("mnist/train-images-idx3-ubyte.gz", md5="f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    ("train", "labels"): _mnist(
        "mnist/train-labels-idx1-ubyte.gz", sha256="3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"
    ),
    ("test", "images"): _mnist(
        "mnist/t10k-images-idx3-ubyte.gz", sha256="8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
    ),
    ("test", "labels"): _mnist(
        "mnist/t10k-labels-idx1-ubyte.gz", sha256="f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
    ),
}
MNIST_TRAIN_FIRST999 = {
    "images": FileSpec(
        "mnist-train-first999/train-images-idx3-ubyte.gz",
        sha256="479ecf18a655ad0634ac3484fa816252b368e121c3c475dbfb723dc3b6eb1533",
    ),
    "labels": FileSpec(
        "mnist-train-first999/train-labels-idx1-ubyte.gz",
        sha256="d7cf83fa586b3143041114227b7444e07703d99d73a242e5d8cf082e9f3ec21d",
    ),
}

CIFAR10_ARCHIVE = FileSpec(
    "cifar-10-python.tar.gz",
    md5="c58f30108f718f92721af3b95e74349a",
    urls=("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",),
)
CIFAR10_FILES = {
    "train": [
        FileSpec(f"cifar-10-batches-py/data_batch_{i}", md5=m)
        for i, m in enumerate(
            [
                "c99cafc152244af753f735de768cd75f",
                "d4bba439e000b95fd0a9bffe97cbabec",
                "54ebc095f3ab1f0389bbae665268c751",
                "634d18415352ddfa80567beed471001a",
                "482c414d41f54cd18b22e5b47cb7c3cb",
            ],
            start=1,
        )
    ],
    "test": [FileSpec("cifar-10-batches-py/test_batch", md5="40351d587109b95175f43aff81a1287e")],
}
# The full CIFAR-10 rebuilt from a lossless PNG export, each python batch xz-compressed (documented in the data
# folder's README): the same images and labels as the canonical batches, in another (seed-0 permuted) order, so the
# canonical md5s cannot match. (packed .xz sha256, decompressed sha256) per file.
CIFAR10_XZ_DIR = "cifar-10-batches-py-full"


def _xz(name: str, packed_sha256: str, sha256: str) -> tuple[FileSpec, FileSpec]:
    path = f"{CIFAR10_XZ_DIR}/{name}"
    return FileSpec(path + ".xz", sha256=packed_sha256), FileSpec(path, sha256=sha256)


CIFAR10_XZ_FILES = {
    "train": [
        _xz(
            "data_batch_1",
            "9216dfb8913ab8313dd100722b57e5103341b1a3f53b015e89704ab6b137ddcd",
            "7af1fea2290d18f4bba2e754256eff34bed0dc9d5b53275a7a8bae7326ca296c",
        ),
        _xz(
            "data_batch_2",
            "9badc097fb377cd9d0f37fe5c5c7578f174ce80f516877457cb58671a7f0b81c",
            "7af03e88f3d6b84b3001f0f0fa02e49af101d8cbfc86c4dd7eee396331fdd25a",
        ),
        _xz(
            "data_batch_3",
            "cb61f3cc78d02dbee2c6ddfe0b1438b3588e999d20d7323b5b2bf11b6eb9e1f6",
            "6e5c7c6c04ecbcc8a09cd598eb35f24282433ee11595f504f13b737a51bf4267",
        ),
        _xz(
            "data_batch_4",
            "fea8e7e67847088e7356d204978ba246ce8f424aa40192869897a51d3a9ae15f",
            "4ff7e7407d41b0820b27a8810989826a18aae50c434922266a4f52083cf4861a",
        ),
        _xz(
            "data_batch_5",
            "9ccd7e489465d3a8ea6a0d2c67e3e2dac8fcff19c8de3916279eb17b31fb9f4a",
            "24a193a219ed7f01c47572c84a56c079ccde30093e2202d730de64f261e4ba62",
        ),
    ],
    "test": [
        _xz(
            "test_batch",
            "a93aec898c6eb83ec179373eae6d6fe795fb4fc88269e578c1520c2c019e9871",
            "618e9d72f8a1b2d9dad6ae0bb8a8090c9b2282a5e47655994b7df3446457a7a4",
        )
    ],
}
CIFAR10_SUBSET_FILES = {
    "train": [
        FileSpec(
            "cifar-10-batches-py-subset/data_batch_1",
            sha256="a6a3ee75421899772bc52eb6f6871abc67a4d74b9e2f04467b98b2e8dc00b0d4",
        )
    ],
    "test": [
        FileSpec(
            "cifar-10-batches-py-subset/test_batch",
            sha256="13c3ef7fe00fc00c96967513b15ebe805f348b98ddd225133ae8156794e058fb",
        )
    ],
}
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
SPLITS = ("train", "test")


@dataclass
class Dataset:
    """Inputs ``x`` [N, D] (float32, pixels in [0, 1]) and integer labels ``y`` [N]."""

    name: str
    x: torch.Tensor
    y: torch.Tensor
    classes: tuple[str, ...]
    image_shape: tuple[int, ...]
    source: str
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.y)

    def images(self) -> torch.Tensor:
        """``x`` reshaped to [N, C, H, W]."""
        return self.x.view(len(self), *self.image_shape)

    def class_counts(self) -> np.ndarray:
        return np.bincount(self.y.numpy(), minlength=len(self.classes))

    def to(self, device) -> Dataset:
        return Dataset(
            self.name,
            self.x.to(device),
            self.y.to(device),
            self.classes,
            self.image_shape,
            self.source,
            list(self.notes),
        )


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def read_idx(raw: bytes) -> np.ndarray:
    """Parse an (uncompressed) IDX file: magic 0x0000TTDD, then DD big-endian uint32 sizes, then the data."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError("not an unsigned-byte IDX file (bad magic number)")
    ndim = raw[3]
    shape = tuple(int(v) for v in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    offset = 4 + 4 * ndim
    if len(raw) - offset != int(np.prod(shape)):
        raise DataError(f"IDX header says shape {shape} but the file holds {len(raw) - offset} values")
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(shape)


def _read_idx_gz(path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        return read_idx(f.read())


def _mnist_dataset(images: np.ndarray, labels: np.ndarray, source: str) -> Dataset:
    if len(images) != len(labels):
        raise DataError(f"MNIST images ({len(images)}) and labels ({len(labels)}) differ in count")
    x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / 255.0)
    return Dataset(
        "mnist", x, torch.from_numpy(labels.astype(np.int64)), tuple(str(d) for d in range(10)), (1, 28, 28), source
    )


def _full_or_subset(get_full, get_subset, allow_subset: bool, note: str):
    """The full dataset's files, or, when they cannot be had (missing, not corrupt) and a subset is allowed, the
    offline subset's files with a warning. Returns ``(paths, notes)``; a corrupt file always raises."""
    try:
        return get_full(), []
    except ChecksumError:
        raise
    except DataError as missing:
        if not (allow_subset and get_subset):
            raise
        try:
            paths = get_subset()
        except ChecksumError:
            raise
        except DataError:
            raise missing from None
    warnings.warn(note, stacklevel=3)
    return paths, [note]


def load_mnist(split: str = "train", *, allow_subset: bool = False) -> Dataset:
    """MNIST from the canonical IDX files (downloaded and verified when missing and online).

    With ``allow_subset=True`` and no way to get the full training images (offline), the real first 999 training
    images are used instead; ``source`` and ``notes`` say so.
    """
    _check_split(split)
    root = data_root()
    full = [MNIST_FILES[(split, "images")], MNIST_FILES[(split, "labels")]]
    subset = [MNIST_TRAIN_FIRST999["images"], MNIST_TRAIN_FIRST999["labels"]] if split == "train" else None
    (images, labels), note = _full_or_subset(
        lambda: [fetch(spec, root) for spec in full],
        subset and (lambda: [fetch(spec, root) for spec in subset]),
        allow_subset,
        "The full MNIST training images were not available; using the first 999.",
    )
    if note:
        source = "MNIST training set, first 999 images only (the offline subset in LRLIB_DATA)"
    else:
        source = f"MNIST {split} split, all {'60,000' if split == 'train' else '10,000'} images"
    ds = _mnist_dataset(_read_idx_gz(images), _read_idx_gz(labels), source)
    ds.notes.extend(note)
    return ds


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """CIFAR-10 batches hold a dict of lists, bytes and one numpy array: allow nothing else to be built."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),
    }

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"CIFAR-10 batch refers to {module}.{name}, which is not allowed")


def _read_cifar_batch(path) -> tuple[np.ndarray, np.ndarray]:
    with open(path, "rb") as f:
        batch = _NumpyOnlyUnpickler(io.BytesIO(f.read()), encoding="bytes").load()
    data = np.asarray(batch[b"data"], dtype=np.uint8)
    labels = np.asarray(batch[b"labels"], dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3072 or len(data) != len(labels):
        raise DataError(f"{path}: unexpected CIFAR-10 batch shape {data.shape} with {len(labels)} labels")
    return data, labels


def _cifar10_full(split: str, root) -> tuple[list, str]:
    """The full split's verified batch files and what ``source`` adds about them. Local copies first: the
    canonical batches (or their archive), then the xz rebuild; only when neither is here, the canonical download."""
    canonical = CIFAR10_FILES[split]
    have_canonical = (root / CIFAR10_ARCHIVE.path).is_file() or all((root / s.path).is_file() for s in canonical)
    if not have_canonical and (root / CIFAR10_XZ_DIR).is_dir():
        paths = [fetch_xz(packed, unpacked, root) for packed, unpacked in CIFAR10_XZ_FILES[split]]
        return paths, (
            f", from the xz-compressed rebuild {CIFAR10_XZ_DIR} (sha256-verified; its documented seed-0 order, "
            "not the canonical batch order)"
        )
    return [fetch_archive_member(CIFAR10_ARCHIVE, spec, root) for spec in canonical], ""


def load_cifar10(split: str = "train", *, allow_subset: bool = False) -> Dataset:
    """CIFAR-10 from the python batches (downloaded and verified when missing and online).

    Sources in order: the canonical batches or archive in the data folder; the xz-compressed full rebuild
    (``cifar-10-batches-py-full/``, decompressed into the cache, same images in a documented other order); a
    download of the canonical archive; with ``allow_subset=True``, the class-balanced 5,000/1,000 real subset.
    ``source`` (and ``notes``, for the subset) say which. Pixels are in [0, 1], channels first: ``images()`` is
    [N, 3, 32, 32].
    """
    _check_split(split)
    root = data_root()
    (paths, build), notes = _full_or_subset(
        lambda: _cifar10_full(split, root),
        lambda: ([fetch(spec, root) for spec in CIFAR10_SUBSET_FILES[split]], "subset"),
        allow_subset,
        "The full CIFAR-10 was not available; using the class-balanced real subset.",
    )
    if notes:
        n = "5,000 (500" if split == "train" else "1,000 (100"
        source = f"CIFAR-10 {split} split, class-balanced subset of {n} per class; the offline copy in LRLIB_DATA)"
    else:
        source = f"CIFAR-10 {split} split, all {'50,000' if split == 'train' else '10,000'} images{build}"
    parts = [_read_cifar_batch(p) for p in paths]
    data = np.concatenate([d for d, _ in parts])
    labels = np.concatenate([l for _, l in parts])
    x = torch.from_numpy(data.astype(np.float32) / 255.0)
    return Dataset("cifar10", x, torch.from_numpy(labels), CIFAR10_CLASSES, (3, 32, 32), source, notes)


def load_digits() -> Dataset:
    """scikit-learn's 8x8 handwritten digits (1,797 images, shipped with scikit-learn; no download)."""
    from sklearn.datasets import load_digits as _sk_digits

    bunch = _sk_digits()
    x = torch.from_numpy(bunch.data.astype(np.float32) / 16.0)
    return Dataset(
        "digits",
        x,
        torch.from_numpy(bunch.target.astype(np.int64)),
        tuple(str(d) for d in range(10)),
        (1, 8, 8),
        "scikit-learn 8x8 digits, all 1,797 images",
    )


__all__ = ["Dataset", "load_mnist", "load_cifar10", "load_digits", "read_idx", "offline"]
