"""Chapter 4's CIFAR-10 arms: does amplified gradient noise at a small learning rate do what a large one does?

ResNet-18 *without* BatchNorm (the paper's network [paper], spec Addendum) trained by SGD with crop+flip, in arms
that differ only in their first phase [reconstructed: the paper's protocol, epochs and learning rates were not
available; spec §2]:

============================  ================================================================================
arm (spec §2.1)               phase 1 (the arms differ only here)
============================  ================================================================================
``large``       (a)           γ_L for E1 epochs
``small``       (b)           γ_S = γ_L/k
``noise_temperature`` (c)     γ_S with amplified gradient noise a = √(k−1): γ_S(1+a²) = γ_L (SDE temperature)
``noise_step``  (c)           γ_S with a = √(k²−1): γ_S√(1+a²) = γ_L (the same noise displacement per step)
``warmup``      (d)           γ_L for W epochs, then γ_S
============================  ================================================================================

Phase 2 is the same for every arm: E2 epochs without added noise, γ_S for the first half and γ_S/10 for the second
(so arm (a) is the usual step schedule γ_L → γ_L/k → γ_L/10k). Budgets (spec §2.3): ``steps``, phase 1 is E1
epochs for every arm; ``sigma``, the same Σγ, i.e. k× as many phase-1 epochs at γ_S (the large arm is the same run
in both budgets, so it is stored once, under ``steps``). The amplified noise is lrlib.vision's
ĝ = g_B + a·(g_B′ − g_B″)/√2 (spec §2.2, [reconstructed]); phase 2 turns it off by continuing the run from its
phase-1 checkpoint under a second spec (:func:`train_arm`).

Full-batch GD on a subset (spec §3): ``small`` (γ_S throughout), ``switch`` (γ_S until it settles, then γ_L: the
"escape" experiment), ``large`` (γ_L throughout), with the top Hessian eigenvalue against 2/γ.

Three settings, each named for what it is: ``smoke`` (a small CNN without BN on the offline 5,000/1,000 subset,
a minute on one thread), ``cpu`` (ResNet-18 width 8 without BN on the full CIFAR-10: 16 h on two CPU cores, built
over sittings) and ``gpu`` (ResNet-18 width 64 without BN, the paper's network, ~200 epochs: for a CUDA GPU). Part
``cifar`` has smoke and gpu as its two scales; part ``cifar-cpu`` has smoke and cpu (its paper scale *is* the CPU
setting). Every run is one store entry.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ... import profile
from ...experiment import Part, Unit
from ...vision import ImageData, NetSpec, RunSpec, cifar10, run_cost, train_run
from ...vision import checkpoint as _checkpoint

VERSION = 1
ARMS = ("large", "small", "noise_temperature", "noise_step", "warmup")
ARM_LABELS = {
    "large": "(a) large LR, then decay",
    "small": "(b) small LR",
    "noise_temperature": "(c) small LR + noise, temperature-matched",
    "noise_step": "(c) small LR + noise, step-matched",
    "warmup": "(d) large-LR warm-up, then small LR",
}
BUDGETS = ("steps", "sigma")
BUDGET_LABELS = {"steps": "equal steps", "sigma": "equal Σγ (k× the small-LR epochs)"}
GD_ARMS = ("small", "switch", "large")
GD_LABELS = {"small": "GD, small LR", "switch": "GD, small LR then large", "large": "GD, large LR"}


@dataclass(frozen=True)
class CifarScale:
    """One CIFAR setting: the SGD arms and the full-batch GD runs. Learning rates are per step of plain SGD with
    momentum; γ_S = lr_large / lr_ratio."""

    setting: str  # what it is, named in every figure and store key: "smoke", "cpu" or "gpu"
    description: str  # one line for the reader
    family: str  # lrlib.vision network family
    width: int  # base channels (ResNet-18: 64 is the standard net)
    data: str  # "subset": the offline 5,000/1,000 CIFAR-10 subset allowed; "full": the full CIFAR-10 required
    train_images: int  # training images of the SGD arms (the first n)
    test_images: int  # test images evaluated after every epoch
    train_eval_images: int  # training images evaluated cleanly (eval mode, no augmentation) after every epoch
    batch_size: int  # images per SGD step
    lr_large: float  # γ_L per step
    lr_ratio: int  # k = γ_L/γ_S
    momentum: float  # heavy-ball momentum of every SGD arm
    weight_decay: float  # L2 coefficient
    phase1_epochs: int  # E1: the large-LR phase (equal-steps budget: every arm's phase 1)
    warmup_epochs: int  # W: arm (d)'s epochs at γ_L
    phase2_epochs: int  # E2: the common phase, γ_S for E2/2 epochs then γ_S/10
    arms: tuple[str, ...]  # arms run at equal steps
    sigma_arms: tuple[str, ...]  # arms also run at equal Σγ (k× phase-1 epochs at γ_S)
    seeds: int  # seeds per arm
    precision: str  # "fp32" or "bf16"
    hessian_images: int  # training images of the top-Hessian-eigenvalue measurement
    hessian_iters: int  # power iterations (at most)
    gd_family: str  # full-batch GD network
    gd_width: int
    gd_images: int  # the GD training subset (the first n training images, no augmentation)
    gd_test_images: int  # test images evaluated after every GD step
    gd_lr_small: float  # γ_S of GD per step
    gd_lr_ratio: int  # γ_L/γ_S of GD
    gd_settle_steps: int  # steps at γ_S before the switch
    gd_after_steps: int  # steps after it (every GD arm runs settle + after steps)
    gd_arms: tuple[str, ...]  # which of GD_ARMS run
    gd_hessian_every: int  # steps between Hessian measurements (a divisor of gd_settle_steps)
    gd_hessian_iters: int  # power iterations of each GD measurement (at most)
    gd_seeds: int

    def __post_init__(self):
        unknown = set(self.arms + self.sigma_arms) - set(ARMS)
        if unknown or "large" in self.sigma_arms or set(self.gd_arms) - set(GD_ARMS):
            raise ValueError(f"bad arms in {self.setting}: {self.arms}, {self.sigma_arms}, {self.gd_arms}")
        if not 0 < self.warmup_epochs < self.phase1_epochs or self.phase2_epochs < 2:
            raise ValueError("need 0 < warmup_epochs < phase1_epochs and phase2_epochs >= 2")
        if self.gd_settle_steps % self.gd_hessian_every:
            raise ValueError("gd_hessian_every must divide gd_settle_steps (the switch is measured)")

    @property
    def label(self) -> str:
        """How the text names the setting: "smoke", "CPU" or "GPU"."""
        return self.setting if self.setting == "smoke" else self.setting.upper()

    @property
    def lr_small(self) -> float:
        return self.lr_large / self.lr_ratio

    @property
    def gd_lr_large(self) -> float:
        return self.gd_lr_small * self.gd_lr_ratio


SMOKE = CifarScale(
    setting="smoke",
    description="small CNN (width 8) without BN, 1,500 images of the offline CIFAR-10 subset, 6 epochs, 1 seed",
    family="small_cnn",
    width=8,
    data="subset",
    train_images=1500,
    test_images=500,
    train_eval_images=250,
    batch_size=128,
    lr_large=0.1,
    lr_ratio=10,
    momentum=0.9,
    weight_decay=5e-4,
    phase1_epochs=4,
    warmup_epochs=1,
    phase2_epochs=2,
    arms=ARMS,
    sigma_arms=(),
    seeds=1,
    precision="fp32",
    hessian_images=128,
    hessian_iters=8,
    gd_family="small_cnn",
    gd_width=8,
    gd_images=128,
    gd_test_images=200,
    gd_lr_small=0.05,
    gd_lr_ratio=10,
    gd_settle_steps=60,
    gd_after_steps=120,
    gd_arms=("switch",),
    gd_hessian_every=60,
    gd_hessian_iters=10,
    gd_seeds=1,
)

CPU = CifarScale(
    setting="cpu",
    description=(
        "ResNet-18 width 8 without BN, full CIFAR-10, 8-epoch schedule, 2 seeds; full-batch GD on a small CNN "
        "(width 16, no BN) on 1,000 images (16 h of wall time on two CPU cores)"
    ),
    family="resnet18",
    width=8,
    data="full",
    train_images=50_000,
    test_images=10_000,
    train_eval_images=5_000,
    batch_size=128,
    lr_large=0.05,  # 0.1 stayed at chance for 2 epochs on 10,000 images; 0.05 trained (0.02: slower)
    lr_ratio=10,
    momentum=0.9,
    weight_decay=5e-4,
    phase1_epochs=4,
    warmup_epochs=1,
    phase2_epochs=4,
    arms=ARMS,
    sigma_arms=("small", "noise_temperature"),
    seeds=2,
    precision="fp32",
    hessian_images=1000,
    hessian_iters=20,
    # full-batch GD: ResNet-18 w8 without BN barely moved in 300 steps (loss 2.30 -> 2.00 at 0.02, 1.3 s a step),
    # so the CPU setting runs GD on the small CNN; its switch x10 (0.05 -> 0.5) reset the net to chance, x4 did not
    gd_family="small_cnn",
    gd_width=16,
    gd_images=1000,
    gd_test_images=1000,
    gd_lr_small=0.05,
    gd_lr_ratio=4,
    gd_settle_steps=600,
    gd_after_steps=400,
    gd_arms=GD_ARMS,
    gd_hessian_every=100,
    gd_hessian_iters=15,
    gd_seeds=2,
)

GPU = CifarScale(
    setting="gpu",
    description="ResNet-18 (width 64) without BN, full CIFAR-10, 200 epochs, 3 seeds (the paper's network)",
    family="resnet18",
    width=64,
    data="full",
    train_images=50_000,
    test_images=10_000,
    train_eval_images=10_000,
    batch_size=128,
    lr_large=0.05,  # as the CPU setting (0.1 did not train ResNet-18 w8 without BN); re-check at width 64
    lr_ratio=10,
    momentum=0.9,
    weight_decay=5e-4,
    phase1_epochs=100,
    warmup_epochs=20,
    phase2_epochs=100,
    arms=ARMS,
    sigma_arms=(),
    seeds=3,
    precision="fp32",
    hessian_images=2000,
    hessian_iters=20,
    gd_family="resnet18",
    gd_width=64,
    gd_images=5000,
    gd_test_images=10_000,
    gd_lr_small=0.05,
    gd_lr_ratio=10,
    gd_settle_steps=1000,
    gd_after_steps=1000,
    gd_arms=GD_ARMS,
    gd_hessian_every=100,
    gd_hessian_iters=20,
    gd_seeds=3,
)

#: part ``cifar``: the GPU setting at paper scale
SCALES = {"smoke": SMOKE, "paper": GPU}
#: part ``cifar-cpu``: the CPU setting at paper scale (its smoke scale is the same runs as ``cifar``'s)
CPU_SCALES = {"smoke": SMOKE, "paper": CPU}
SETTINGS = {"smoke": SMOKE, "cpu": CPU, "gpu": GPU}


def noise_scale(arm: str, k: float) -> float:
    """a in ĝ = g_B + a·(g_B′ − g_B″)/√2 for an arm at LR ratio k: √(k−1) temperature-matched, √(k²−1)
    step-matched, 0 otherwise (spec §2.2)."""
    if arm == "noise_temperature":
        return math.sqrt(k - 1)
    if arm == "noise_step":
        return math.sqrt(k * k - 1)
    return 0.0


def phase1_epochs(s: CifarScale, arm: str, budget: str) -> int:
    """Epochs of the arm's phase 1: E1, with the epochs at γ_S stretched k× in the equal-Σγ budget."""
    stretch = s.lr_ratio if budget == "sigma" else 1
    if arm == "large":
        return s.phase1_epochs
    if arm == "warmup":
        return s.warmup_epochs + stretch * (s.phase1_epochs - s.warmup_epochs)
    return stretch * s.phase1_epochs


def phase_specs(s: CifarScale, arm: str, budget: str, seed: int) -> tuple[RunSpec, RunSpec]:
    """The arm's two lrlib.vision specs: phase 1 (epochs 1..P1) and phase 2, which continues it to P1 + E2."""
    if arm not in ARMS or budget not in BUDGETS or (budget == "sigma" and arm == "large"):
        raise ValueError(f"no arm {arm!r} in budget {budget!r}")
    p1 = phase1_epochs(s, arm, budget)
    a = noise_scale(arm, s.lr_ratio)
    common = dict(
        net=NetSpec(s.family, width=s.width, batchnorm=False),
        batch_size=s.batch_size,
        momentum=s.momentum,
        weight_decay=s.weight_decay,
        train_subset=s.train_images,
        augment="crop_flip",
        seed=seed,
        precision=s.precision,
        hessian_iters=s.hessian_iters,
        hessian_subset=s.hessian_images,
    )
    lr1 = s.lr_large if arm in ("large", "warmup") else s.lr_small
    first = RunSpec(
        epochs=p1,
        lr=lr1,
        lr_milestones=(s.warmup_epochs + 1,) if arm == "warmup" else (),
        lr_factor=1 / s.lr_ratio if arm == "warmup" else 0.1,
        grad_noise="amplified" if a > 0 else "none",
        grad_noise_scale=a,
        hessian_every=p1,
        **common,
    )
    total = p1 + s.phase2_epochs
    second = RunSpec(
        epochs=total,
        lr=s.lr_small,
        lr_milestones=(p1 + s.phase2_epochs // 2 + 1,),
        lr_factor=0.1,
        hessian_every=total,
        **common,
    )
    return first, second


def gd_spec(s: CifarScale, arm: str, seed: int) -> RunSpec:
    """A full-batch GD run: ``settle + after`` steps (one step per epoch) on the first ``gd_images`` images."""
    if arm not in GD_ARMS:
        raise ValueError(f"no GD arm {arm!r}; arms are {GD_ARMS}")
    return RunSpec(
        net=NetSpec(s.gd_family, width=s.gd_width, batchnorm=False),
        epochs=s.gd_settle_steps + s.gd_after_steps,
        batch_size=min(500, s.gd_images),
        lr=s.gd_lr_large if arm == "large" else s.gd_lr_small,
        lr_milestones=(s.gd_settle_steps + 1,) if arm == "switch" else (),
        lr_factor=float(s.gd_lr_ratio) if arm == "switch" else 0.1,
        full_batch=True,
        train_subset=s.gd_images,
        seed=seed,
        precision="fp32",
        hessian_every=s.gd_hessian_every,
        hessian_iters=s.gd_hessian_iters,
        hessian_subset=s.gd_images,
    )


@functools.lru_cache(maxsize=2)
def _cifar(split: str, n: int, subset_allowed: bool) -> ImageData:
    full = 50_000 if split == "train" else 10_000
    return cifar10(split, n=None if n == full else n, allow_subset=subset_allowed)


def load_data(s: CifarScale) -> tuple[ImageData, ImageData]:
    """(train, test) of the setting: the first ``train_images``/``test_images`` images (the full set required for
    ``data="full"``)."""
    subset = s.data == "subset"
    return _cifar("train", s.train_images, subset), _cifar("test", s.test_images, subset)


def _head(data: ImageData, n: int, name: str) -> ImageData:
    return ImageData(data.x[:n], data.y[:n], f"{data.source}; {name}: the first {n:,}")


def train_arm(first: RunSpec, second: RunSpec, train: ImageData, evals: dict, folder) -> pd.DataFrame:
    """Phase 1 under ``first``, then phase 2 under ``second`` from phase 1's last checkpoint (weights, momentum,
    table): lrlib.vision has no schedule for the gradient noise, so a second spec turns it off. A run killed in
    either phase resumes there. A phase 1 that diverged ends the run."""
    folder = Path(folder)
    # phase 2's spec alone is the same for every arm (no noise, the same rates): key its folder by phase 1 too
    one, two = folder / first.key(), folder / f"{first.key()}-then-{second.key()}"
    table = train_run(first, train, evals, checkpoint_dir=one)
    if table["stop_reason"].iloc[-1] != "max_epochs":
        return table.assign(phase=1)
    if _checkpoint.load(two) is None:
        state = _checkpoint.load(one, first.config())
        _checkpoint.save(two, {**state, "config": second.config()})
    table = train_run(second, train, evals, checkpoint_dir=two)
    return table.assign(phase=(table["epoch"] > first.epochs).astype(int) + 1)


def compute_arm(scale: str, s: CifarScale, arm: str, budget: str, seed_id: int) -> dict:
    first, second = phase_specs(s, arm, budget, profile.seed(seed_id))
    train, test = load_data(s)
    evals = {"test": test, "train_clean": _head(train, s.train_eval_images, "clean training evaluation")}
    with _checkpoint.runs_folder(scale, "ch4-cifar") as folder:
        table = train_arm(first, second, train, evals, folder)
    a = noise_scale(arm, s.lr_ratio)
    table = table.assign(arm=arm, budget=budget, seed_id=seed_id, noise_scale=a, phase1_epochs=first.epochs)
    lead = ["arm", "budget", "seed_id", "phase"]
    return {
        "table": table[lead + [c for c in table.columns if c not in lead]],
        "provenance": {"data": {"train": train.source, "test": test.source}} | run_cost(table),
    }


def compute_gd(scale: str, s: CifarScale, arm: str, seed_id: int) -> dict:
    spec = gd_spec(s, arm, profile.seed(seed_id))
    train, test = load_data(s)
    evals = {"test": _head(test, s.gd_test_images, "GD test evaluation")}
    with _checkpoint.runs_folder(scale, "ch4-cifar") as folder:
        table = train_run(spec, train, evals, checkpoint_dir=Path(folder) / f"gd-{spec.key()}")
    table = table.assign(arm=arm, seed_id=seed_id, settle_steps=s.gd_settle_steps, lr_small=s.gd_lr_small)
    table = table.assign(lr_large=s.gd_lr_large).rename(columns={"epoch": "step"})
    lead = ["arm", "seed_id", "step"]
    return {
        "table": table[lead + [c for c in table.columns if c not in lead]],
        "provenance": {"data": {"train": train.source, "test": test.source}} | run_cost(table),
    }


def _config(experiment: str, scale: str, s: CifarScale, seed_id: int, **runs) -> dict:
    return {
        "experiment": experiment,
        "version": VERSION,
        "scale": scale,
        "setting": s.setting,
        "seed_id": seed_id,
        "seed_offset": profile.seed_offset(),
        "data": {"source": s.data, "train_images": s.train_images, "test_images": s.test_images},
        **runs,
    }


def arm_units(scale: str, s: CifarScale, seed_id: int) -> list[Unit]:
    """One unit per SGD run of seed ``seed_id``: every arm at equal steps, then the equal-Σγ arms."""
    units = []
    runs = [(arm, "steps") for arm in s.arms] + [(arm, "sigma") for arm in s.sigma_arms]
    for arm, budget in runs:
        first, second = phase_specs(s, arm, budget, profile.seed(seed_id))
        config = _config(
            "ch4-cifar-sgd",
            scale,
            s,
            seed_id,
            arm=arm,
            budget=budget,
            train_eval_images=s.train_eval_images,
            phase1=first.config(),
            phase2=second.config(),
        )
        compute = functools.partial(compute_arm, scale, s, arm, budget, seed_id)
        units.append(Unit(f"{ARM_LABELS[arm]}, {BUDGET_LABELS[budget]}, seed {seed_id}", config, compute))
    return units


def gd_units(scale: str, s: CifarScale) -> list[Unit]:
    units = []
    for seed_id in range(s.gd_seeds):
        for arm in s.gd_arms:
            spec = gd_spec(s, arm, profile.seed(seed_id))
            config = _config("ch4-cifar-gd", scale, s, seed_id, arm=arm, test_images=s.gd_test_images)
            config["run"] = spec.config()
            units.append(
                Unit(f"{GD_LABELS[arm]}, seed {seed_id}", config, functools.partial(compute_gd, scale, s, arm, seed_id))
            )
    return units


def _blocks(settings: dict[str, CifarScale]):
    def blocks(scale: str):
        s = settings[scale]
        for seed_id in range(s.seeds):  # whole seeds first: a CPU that stops early leaves complete seeds
            yield arm_units(scale, s, seed_id)
        yield gd_units(scale, s)

    return blocks


# Both are stored run by run over several sittings (and processes: shared), and shown only once complete: the
# arms are compared with each other, so a half-stored setting would compare arms of different seeds.
CIFAR = Part(
    "cifar",
    "CIFAR-10 arms, GPU setting (the paper's ResNet-18 without BN)",
    _blocks(SCALES),
    costly=True,
    shared=True,
    gpu=True,
    stand_in="cifar-cpu",
)
CIFAR_CPU = Part(
    "cifar-cpu",
    "CIFAR-10 arms, CPU setting (ResNet-18 width 8 without BN)",
    _blocks(CPU_SCALES),
    costly=True,
    shared=True,
)
PARTS = (CIFAR, CIFAR_CPU)


def shown_part(res) -> str:
    """The CIFAR part a chapter shows: the GPU setting where stored at paper scale, else the CPU setting where it is,
    else ``cifar`` at smoke."""
    return res.shown("cifar", "cifar-cpu")


def setting_of(res, name: str) -> CifarScale:
    return (SCALES if name == "cifar" else CPU_SCALES)[res.scale(name)]


# ---------------------------------------------------------------------------------------------------------- analysis


def sgd_table(table: pd.DataFrame) -> pd.DataFrame:
    """The SGD runs' rows (a part's table holds the GD runs' rows too)."""
    return table[table["budget"].notna()].reset_index(drop=True) if "budget" in table else table.iloc[:0]


def gd_table(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["step"].notna()].reset_index(drop=True) if "step" in table else table.iloc[:0]


def final_runs(table: pd.DataFrame) -> pd.DataFrame:
    """One row per SGD run: final test and clean training accuracy, the sharpness after phase 1 and at the end,
    and whether it diverged. The large arm is the reference of both budgets, so it is listed under each budget
    that has runs."""
    sgd = sgd_table(table)
    if sgd.empty:
        return pd.DataFrame()
    rows = []
    for (arm, budget, seed_id), run in sgd.groupby(["arm", "budget", "seed_id"], sort=False):
        run = run.sort_values("epoch")
        end_of_phase1 = run[run["epoch"] == run["phase1_epochs"].iloc[0]]
        rows.append(
            {
                "arm": arm,
                "budget": budget,
                "seed_id": int(seed_id),
                "epochs": int(run["epoch"].max()),
                "test_accuracy": run["accuracy.test"].iloc[-1],
                "train_accuracy": run["accuracy.train_clean"].iloc[-1],
                "test_loss": run["loss.test"].iloc[-1],
                "train_loss": run["loss.train_clean"].iloc[-1],
                "sharpness_phase1": end_of_phase1["hessian_top"].iloc[0] if len(end_of_phase1) else math.nan,
                "sharpness_end": run["hessian_top"].iloc[-1],
                "diverged": run["stop_reason"].iloc[-1] == "diverged",
            }
        )
    out = pd.DataFrame(rows)
    large = out[out["arm"] == "large"]
    extra = [large.assign(budget=b) for b in out["budget"].unique() if b != "steps" and not large.empty]
    return pd.concat([out, *extra], ignore_index=True)


def arm_summary(finals: pd.DataFrame) -> pd.DataFrame:
    """Mean, spread and count over seeds of the final accuracies, per budget and arm (arms in spec order)."""
    if finals.empty:
        return pd.DataFrame()
    summary = (
        finals.groupby(["budget", "arm"])
        .agg(
            seeds=("seed_id", "size"),
            test_accuracy=("test_accuracy", "mean"),
            test_accuracy_sd=("test_accuracy", "std"),
            train_accuracy=("train_accuracy", "mean"),
            sharpness_phase1=("sharpness_phase1", "mean"),
            diverged=("diverged", "sum"),
        )
        .reset_index()
    )
    order = {a: i for i, a in enumerate(ARMS)} | {b: i for i, b in enumerate(BUDGETS)}
    return summary.sort_values(["budget", "arm"], key=lambda c: c.map(order)).reset_index(drop=True)


def accuracy_gap(finals: pd.DataFrame, arm: str, budget: str = "steps", *, reference: str = "large") -> float:
    """Mean final test accuracy of ``reference`` minus that of ``arm`` in ``budget`` (NaN where either is
    missing)."""
    rows = finals[finals["budget"] == budget] if not finals.empty else finals
    if rows.empty:
        return math.nan
    ref, other = rows[rows["arm"] == reference], rows[rows["arm"] == arm]
    if ref.empty or other.empty:
        return math.nan
    return float(ref["test_accuracy"].mean() - other["test_accuracy"].mean())


def gd_switch(table: pd.DataFrame) -> pd.DataFrame:
    """Per GD run of the ``switch`` arm: the loss at the switch, the highest loss in the 10 steps after it, the
    mean loss of the last 10 steps, the sharpness at the switch and at the end, and 2/γ_L."""
    gd = gd_table(table)
    rows = []
    for seed_id, run in gd[gd["arm"] == "switch"].groupby("seed_id"):
        run = run.sort_values("step").reset_index(drop=True)
        t = int(run["settle_steps"].iloc[0])
        loss = run["train_loss"]  # the full-batch loss at the step's weights, before the step
        after = run[run["step"] > t]
        rows.append(
            {
                "seed_id": int(seed_id),
                "loss_at_switch": float(loss[run["step"] == t + 1].iloc[0]),
                "peak_loss_after": float(after["train_loss"].head(10).max()),
                "final_loss": float(after["train_loss"].tail(10).mean()),
                "sharpness_at_switch": float(run.loc[run["step"] == t, "hessian_top"].iloc[0]),
                "sharpness_end": float(run["hessian_top"].iloc[-1]),
                "two_over_lr_large": 2.0 / float(run["lr_large"].iloc[0]),
                "diverged": run["stop_reason"].iloc[-1] == "diverged",
            }
        )
    return pd.DataFrame(rows)


def gd_finals(table: pd.DataFrame) -> pd.DataFrame:
    """Per GD run: final full-batch training loss, test accuracy and sharpness, and 2/γ of its last step."""
    gd = gd_table(table)
    rows = []
    for (arm, seed_id), run in gd.groupby(["arm", "seed_id"], sort=False):
        run = run.sort_values("step")
        rows.append(
            {
                "arm": arm,
                "seed_id": int(seed_id),
                "final_loss": float(run["train_loss"].tail(10).mean()),
                "test_accuracy": float(run["accuracy.test"].iloc[-1]),
                "sharpness_end": float(run["hessian_top"].iloc[-1]),
                "two_over_lr": 2.0 / float(run["lr"].iloc[-1]),
            }
        )
    return pd.DataFrame(rows, columns=["arm", "seed_id", "final_loss", "test_accuracy", "sharpness_end", "two_over_lr"])
