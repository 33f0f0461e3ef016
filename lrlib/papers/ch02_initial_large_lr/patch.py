"""Chapter 2 on CIFAR-10: the patch experiment and Figure 1, as the official code defines them.

**The patch experiment** (``train_patches.py`` of ``cwein3/large-lr-code``, spec §3.1–3.2, all [code]): CIFAR-10
normalized with the code's statistics, no augmentation, and :class:`lrlib.vision.PatchTransform`: 80 % of the
training images carry a 7×7 centre patch z + s·ζ_y whose class signal only a nonlinear detector reads, and each
epoch a fifth of those become patch-only images. Three arms, SGD with Nesterov momentum 0.9, weight decay 5e-4,
batch 128:

==============  ===================================================================================
``large``       0.1, ×0.04 from the anneal epoch on (0.004)
``small``       0.004 throughout
``act_noise``   0.004, Gaussian noise of std 0.4 before every ReLU, ×1e-5 from the anneal epoch on
==============  ===================================================================================

After every epoch: accuracy on the clean test set, on the mixed test set (a fixed 80 % of it patched), on 1,000
patch-only inputs (chance: the share of their most common label), and the running training accuracy.

**Figure 1** (``train_cifar.py``, spec §4 [paper]): clean CIFAR-10 without augmentation, LR 0.1 against 0.01,
×0.2 at epochs 60, 120 and 150 of 200; training and test accuracy against epoch.

Three settings, each named for what it is, one store entry per run: ``smoke`` (a small CNN on the offline
5,000/1,000 subset, a few epochs with the anneal in the middle), ``cpu`` (WRN-16-1, the narrowest member of the
paper's family, on the full CIFAR-10 with the paper's schedules, fp32: what a CPU affords) and ``gpu`` (WRN-16-10,
the paper's network: for a CUDA GPU). Parts ``patch``/``figure1`` have smoke and gpu as their scales, parts
``patch-cpu``/``figure1-cpu`` smoke and cpu.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from ... import profile
from ...experiment import Part, Unit
from ...vision import ImageData, NetSpec, PatchTransform, RunSpec, cifar10, run_cost, train_run
from ...vision import checkpoint as _checkpoint
from ...vision.data import PATCH_MEAN, PATCH_STD

VERSION = 1
ARMS = ("large", "small", "act_noise")
ARM_LABELS = {"large": "large LR, annealed", "small": "small LR", "act_noise": "small LR + annealed activation noise"}
FIG1_ARMS = ("large", "small")
FIG1_LABELS = {"large": "LR 0.1", "small": "LR 0.01"}


SETTING_NAMES = ("smoke", "cpu", "gpu")


@dataclass(frozen=True)
class CifarSetting:
    """One CIFAR-10 setting of chapter 2: the network, the data and both experiments' schedules. Learning rates
    are per SGD step; epochs are 1-based, and a milestone m means "from epoch m on" (the code's ``epoch >= m``)."""

    setting: str  # "smoke", "cpu" or "gpu": named in every figure and store key
    description: str  # one line for the reader
    family: str  # lrlib.vision network family
    width: int  # WRN widen factor k, or the small CNN's base channels
    data: str  # "subset": the offline 5,000/1,000 subset allowed; "full": the full CIFAR-10 required
    train_images: int
    test_images: int
    patch_eval_images: int  # patch-only evaluation inputs
    batch_size: int
    momentum: float  # Nesterov
    weight_decay: float
    precision: str  # "fp32" or "bf16" (bf16 with channels_last; checked against fp32 by part precision-cpu)
    channels_last: bool  # memory layout, also in fp32: the same computation up to rounding, faster on CPUs
    # the patch experiment
    epochs: int
    anneal_epoch: int  # first annealed epoch (the code's 30 of 60)
    lr_large: float
    lr_factor: float  # the large arm's anneal
    lr_small: float
    noise_std: float  # activation noise of the act_noise arm
    noise_factor: float  # its anneal
    seeds: int
    # Figure 1
    fig1_epochs: int
    fig1_milestones: tuple[int, ...]
    fig1_factor: float
    fig1_lrs: tuple[float, float]  # (large, small)
    fig1_seeds: int

    def __post_init__(self):
        for field, allowed in (
            ("setting", SETTING_NAMES),
            ("data", ("subset", "full")),
            ("precision", ("fp32", "bf16")),
        ):
            if getattr(self, field) not in allowed:
                raise ValueError(f"{field} must be one of {allowed}, got {getattr(self, field)!r}")
        for field in ("seeds", "fig1_seeds", "epochs", "fig1_epochs", "train_images", "test_images", "batch_size"):
            if getattr(self, field) < 1:
                raise ValueError(f"{field} must be at least 1, got {getattr(self, field)!r}")
        if not 1 < self.anneal_epoch <= self.epochs:
            raise ValueError(f"anneal_epoch must be in (1, epochs], got {self.anneal_epoch} of {self.epochs}")
        if any(not 1 < m <= self.fig1_epochs for m in self.fig1_milestones):
            raise ValueError(f"fig1_milestones must lie in (1, fig1_epochs], got {self.fig1_milestones}")


SMOKE = CifarSetting(
    setting="smoke",
    description="small CNN (16/32/64 channels, BN) on the offline 5,000/1,000 CIFAR-10 subset, 6 epochs, 1 seed",
    family="small_cnn",
    width=16,
    data="subset",
    train_images=5000,
    test_images=1000,
    patch_eval_images=1000,
    batch_size=128,
    momentum=0.9,
    weight_decay=5e-4,
    precision="fp32",
    channels_last=False,
    epochs=6,
    anneal_epoch=4,
    lr_large=0.1,
    lr_factor=0.04,
    lr_small=0.004,
    noise_std=0.4,
    noise_factor=1e-5,
    seeds=1,
    fig1_epochs=6,
    fig1_milestones=(3, 5),
    fig1_factor=0.2,
    fig1_lrs=(0.1, 0.01),
    fig1_seeds=1,
)

GPU = CifarSetting(
    setting="gpu",
    description="WRN-16-10 (the paper's network) on the full CIFAR-10, the paper's schedules, 3 seeds",
    family="wrn",
    width=10,
    data="full",
    train_images=50_000,
    test_images=10_000,
    patch_eval_images=1000,
    batch_size=128,
    momentum=0.9,
    weight_decay=5e-4,
    precision="fp32",
    channels_last=False,  # not measured on a GPU
    epochs=60,
    anneal_epoch=30,
    lr_large=0.1,
    lr_factor=0.04,
    lr_small=0.004,
    noise_std=0.4,
    noise_factor=1e-5,
    seeds=3,
    fig1_epochs=200,
    fig1_milestones=(60, 120, 150),
    fig1_factor=0.2,
    fig1_lrs=(0.1, 0.01),
    fig1_seeds=1,
)

# the CPU-feasible setting changes only the width, the seeds and the memory layout (a test checks it). It runs in
# fp32: bf16 was planned (2.4x faster here) but failed its check against fp32 (part precision-cpu), so no result
# uses it. channels_last changes only the rounding (fp32 losses agree to 1e-4 after an epoch: test_vision_train)
# and trained WRN-16-1 1.36x faster side by side on these CPUs.
CPU = replace(
    GPU,
    setting="cpu",
    description="WRN-16-1 (the paper's family at width 1) on the full CIFAR-10, the paper's schedules",
    width=1,
    seeds=2,
    channels_last=True,
)

#: parts ``patch`` and ``figure1``: the GPU setting at paper scale; ``patch-cpu``, ``figure1-cpu``: the CPU one
SCALES = {"smoke": SMOKE, "paper": GPU}
CPU_SCALES = {"smoke": SMOKE, "paper": CPU}
SETTINGS = {"smoke": SMOKE, "cpu": CPU, "gpu": GPU}


def _net(s: CifarSetting) -> NetSpec:
    return NetSpec(s.family, width=s.width)


def patch_spec(s: CifarSetting, arm: str, seed: int) -> RunSpec:
    """The run of one patch arm."""
    if arm not in ARMS:
        raise ValueError(f"no patch arm {arm!r}; the arms are {ARMS}")
    schedule = {
        "large": dict(lr=s.lr_large, lr_milestones=(s.anneal_epoch,), lr_factor=s.lr_factor),
        "small": dict(lr=s.lr_small),
        "act_noise": dict(
            lr=s.lr_small,
            activation_noise=s.noise_std,
            noise_milestones=(s.anneal_epoch,),
            noise_factor=s.noise_factor,
        ),
    }[arm]
    return RunSpec(
        net=_net(s),
        epochs=s.epochs,
        batch_size=s.batch_size,
        momentum=s.momentum,
        nesterov=True,
        weight_decay=s.weight_decay,
        train_subset=s.train_images,
        augment="patch",
        seed=seed,
        precision=s.precision,
        channels_last=s.channels_last or s.precision == "bf16",
        **schedule,
    )


def figure1_spec(s: CifarSetting, arm: str, seed: int) -> RunSpec:
    """The run of one Figure 1 learning rate: clean CIFAR-10, no augmentation, ×0.2 at the milestones."""
    if arm not in FIG1_ARMS:
        raise ValueError(f"no Figure 1 arm {arm!r}; the arms are {FIG1_ARMS}")
    return RunSpec(
        net=_net(s),
        epochs=s.fig1_epochs,
        batch_size=s.batch_size,
        lr=s.fig1_lrs[FIG1_ARMS.index(arm)],
        lr_milestones=s.fig1_milestones,
        lr_factor=s.fig1_factor,
        momentum=s.momentum,
        nesterov=True,
        weight_decay=s.weight_decay,
        train_subset=s.train_images,
        seed=seed,
        precision=s.precision,
        channels_last=s.channels_last or s.precision == "bf16",
    )


@functools.lru_cache(maxsize=2)
def _cifar(split: str, n: int, subset_allowed: bool) -> ImageData:
    full = 50_000 if split == "train" else 10_000
    return cifar10(split, n=None if n == full else n, mean=PATCH_MEAN, std=PATCH_STD, allow_subset=subset_allowed)


def load_data(s: CifarSetting) -> tuple[ImageData, ImageData]:
    """(train, test): the first ``train_images``/``test_images`` images, normalized with the official code's
    statistics (the full set required for ``data="full"``)."""
    subset = s.data == "subset"
    return _cifar("train", s.train_images, subset), _cifar("test", s.test_images, subset)


def patch_chance(patch_only: ImageData, num_classes: int = 10) -> float:
    """Accuracy of the best constant prediction on the patch-only set: the share of its most common label."""
    return float(patch_only.y.bincount(minlength=num_classes).max()) / len(patch_only)


def compute_patch(scale: str, s: CifarSetting, arm: str, seed_id: int) -> dict:
    spec = patch_spec(s, arm, profile.seed(seed_id))
    train, test = load_data(s)
    transform = PatchTransform(train.y)
    patch_only = transform.patch_only_set(s.patch_eval_images)
    evals = {"clean": test, "mixed": transform.mixed_test_set(test), "patch": patch_only}
    with _checkpoint.runs_folder(scale, "ch2-patch") as folder:
        table = train_run(spec, train, evals, transform=transform, checkpoint_dir=Path(folder) / spec.key())
    table = table.assign(arm=arm, seed_id=seed_id, anneal_epoch=s.anneal_epoch, patch_chance=patch_chance(patch_only))
    return _entry(table, train, test)


def compute_figure1(scale: str, s: CifarSetting, arm: str, seed_id: int) -> dict:
    spec = figure1_spec(s, arm, profile.seed(seed_id))
    train, test = load_data(s)
    with _checkpoint.runs_folder(scale, "ch2-figure1") as folder:
        table = train_run(spec, train, {"test": test}, checkpoint_dir=Path(folder) / spec.key())
    table = table.assign(arm=arm, seed_id=seed_id, first_milestone=s.fig1_milestones[0])
    return _entry(table, train, test)


def _entry(table: pd.DataFrame, train: ImageData, test: ImageData) -> dict:
    """A run's store entry: its table led by arm, seed and epoch, and the data it read."""
    lead = ["arm", "seed_id", "epoch"]
    return {
        "table": table[lead + [c for c in table.columns if c not in lead]],
        "provenance": {"data": {"train": train.source, "test": test.source}} | run_cost(table),
    }


def _config(experiment: str, scale: str, s: CifarSetting, arm: str, seed_id: int, spec: RunSpec) -> dict:
    return {
        "experiment": experiment,
        "version": VERSION,
        "scale": scale,
        "setting": s.setting,
        "arm": arm,
        "seed_id": seed_id,
        "seed_offset": profile.seed_offset(),
        "data": {"source": s.data, "train_images": s.train_images, "test_images": s.test_images},
        "run": spec.config(),
    }


def patch_units(scale: str, s: CifarSetting, seed_id: int) -> list[Unit]:
    units = []
    for arm in ARMS:
        config = _config("ch2-patch", scale, s, arm, seed_id, patch_spec(s, arm, profile.seed(seed_id)))
        config["patch"] = {"transform": "official pm_sym_fixed defaults", "eval_images": s.patch_eval_images}
        compute = functools.partial(compute_patch, scale, s, arm, seed_id)
        units.append(Unit(f"patch, {ARM_LABELS[arm]}, seed {seed_id}", config, compute))
    return units


def figure1_units(scale: str, s: CifarSetting, seed_id: int) -> list[Unit]:
    units = []
    for arm in FIG1_ARMS:
        config = _config("ch2-figure1", scale, s, arm, seed_id, figure1_spec(s, arm, profile.seed(seed_id)))
        compute = functools.partial(compute_figure1, scale, s, arm, seed_id)
        units.append(Unit(f"Figure 1, {FIG1_LABELS[arm]}, seed {seed_id}", config, compute))
    return units


#: the bf16 check: the large arm's first epochs, fp32 against bf16 (seeds per precision)
PRECISION_EPOCHS = 3
PRECISION_SEEDS = {"fp32": 3, "bf16": 2}


def precision_units(scale: str, s: CifarSetting) -> list[Unit]:
    """The large patch arm for its first :data:`PRECISION_EPOCHS` epochs in fp32 and in bf16 (channels_last):
    bf16 may store results only if its curves lie within the fp32 seeds' spread (design: CNN path). Nothing at
    smoke scale, whose setting is fp32."""
    if scale != "paper":
        return []
    units = []
    short = replace(s, epochs=PRECISION_EPOCHS, anneal_epoch=PRECISION_EPOCHS)
    for precision, seeds in PRECISION_SEEDS.items():
        # the layout the check was stored with, before the CPU runs took up channels_last (a rounding change, tested):
        # fp32 in the default layout, bf16 in channels_last (patch_spec)
        checked = replace(short, precision=precision, channels_last=False)
        for seed_id in range(seeds):
            spec = patch_spec(checked, "large", profile.seed(seed_id))
            config = _config("ch2-precision", scale, checked, "large", seed_id, spec)
            config["patch"] = {"transform": "official pm_sym_fixed defaults", "eval_images": s.patch_eval_images}
            compute = functools.partial(_precision_run, scale, checked, seed_id)
            units.append(Unit(f"precision check, {precision}, seed {seed_id}", config, compute))
    return units


def _precision_run(scale: str, s: CifarSetting, seed_id: int) -> dict:
    out = compute_patch(scale, s, "large", seed_id)
    out["table"] = out["table"].assign(precision=s.precision)
    return out


def _blocks(settings: dict[str, CifarSetting], units, seeds: str):
    def blocks(scale: str):
        s = settings[scale]
        for seed_id in range(getattr(s, seeds)):  # whole seeds first: a CPU that stops early leaves complete seeds
            yield units(scale, s, seed_id)

    return blocks


# Stored run by run over sittings (and processes: shared), shown only once complete: arms are compared seed by seed.
PATCH = Part(
    "patch",
    "CIFAR-10 patch, GPU setting (the paper's WRN-16-10)",
    _blocks(SCALES, patch_units, "seeds"),
    costly=True,
    shared=True,
    gpu=True,
    stand_in="patch-cpu",
)
PATCH_CPU = Part(
    "patch-cpu",
    "CIFAR-10 patch, CPU setting (WRN-16-1)",
    _blocks(CPU_SCALES, patch_units, "seeds"),
    costly=True,
    shared=True,
)
FIGURE1 = Part(
    "figure1",
    "Figure 1, clean CIFAR-10, GPU setting (the paper's WRN-16-10)",
    _blocks(SCALES, figure1_units, "fig1_seeds"),
    costly=True,
    shared=True,
    gpu=True,
    stand_in="figure1-cpu",
)
FIGURE1_CPU = Part(
    "figure1-cpu",
    "Figure 1, clean CIFAR-10, CPU setting (WRN-16-1)",
    _blocks(CPU_SCALES, figure1_units, "fig1_seeds"),
    costly=True,
    shared=True,
)
PRECISION_CPU = Part(
    "precision-cpu",
    "bf16 against fp32 (CPU setting)",
    lambda scale: iter([precision_units(scale, CPU_SCALES[scale])]),
    costly=True,
    shared=True,
)
PARTS = (PATCH, PATCH_CPU, FIGURE1, FIGURE1_CPU, PRECISION_CPU)


def shown_part(res, experiment: str) -> str:
    """The part a chapter shows for ``experiment`` (``"patch"`` or ``"figure1"``): the GPU setting where stored at
    paper scale, else the CPU setting where it is, else the smoke runs."""
    return res.shown(experiment, f"{experiment}-cpu")


def setting_of(res, name: str) -> CifarSetting:
    return (CPU_SCALES if name.endswith("-cpu") else SCALES)[res.scale(name)]


# ---------------------------------------------------------------------------------------------------------- analysis


def patch_at(table: pd.DataFrame, column: str, epoch: int) -> pd.Series:
    """``column`` after ``epoch`` per arm, the mean over seeds (NaN for an arm without that epoch)."""
    rows = table[table["epoch"] == epoch]
    return rows.groupby("arm")[column].mean().reindex(list(dict.fromkeys(table["arm"])), fill_value=math.nan)
