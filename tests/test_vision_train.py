"""The CNN trainer: a plain PyTorch loop as the reference, gradient noise, resumption, Hessian, sweeps, errors."""

import math

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from lrlib.store import Store
from lrlib.sweep import sweep
from lrlib.vision import checkpoint, hessian
from lrlib.vision import train as vtrain
from lrlib.vision.data import CropFlip, ImageData, epoch_order
from lrlib.vision.models import NetSpec, build
from lrlib.vision.train import CnnRun, RunSpec, train_run

NETS = {
    "small_cnn": NetSpec("small_cnn", width=4),
    "wrn": NetSpec("wrn", width=1, depth=10),
    "resnet18": NetSpec("resnet18", width=4),
    "resnet18_nobn": NetSpec("resnet18", width=4, batchnorm=False),
}
TIMES = ["train_seconds", "wall_seconds"]


def images(n=48, size=16, seed=0) -> ImageData:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = torch.randn(n, 3, size, size, generator=g) + 0.5 * y[:, None, None, None]  # learnable
    return ImageData(x, y, f"{n} random images")


def final_state(folder) -> dict:
    return checkpoint.load(folder)["model"]


def initial_model(spec: RunSpec, tmp_path) -> torch.nn.Module:
    """The trainer's initial network, read back from its epoch-0 checkpoint."""
    train_run(spec.replace(epochs=0), images(), {}, checkpoint_dir=tmp_path / "init", device="cpu")
    model = build(spec.net)
    model.load_state_dict(final_state(tmp_path / "init"))
    return model


@pytest.mark.parametrize("name", list(NETS))
def test_trainer_matches_a_plain_sgd_loop(name, tmp_path):
    spec = RunSpec(
        NETS[name], epochs=2, batch_size=16, lr=0.05, lr_milestones=(2,), lr_factor=0.5, momentum=0.9,
        nesterov=True, weight_decay=5e-4, seed=3,
    )  # fmt: skip
    data = images()
    table = train_run(spec, data, {"train": data}, checkpoint_dir=tmp_path / "run", device="cpu")

    model = initial_model(spec, tmp_path).train()
    start = {k: v.clone() for k, v in model.state_dict().items()}
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    running = []
    for epoch in range(2):
        for group in opt.param_groups:
            group["lr"] = 0.05 * (0.5 if epoch + 1 >= 2 else 1.0)
        order, total = epoch_order(len(data), epoch, seed=3), 0.0
        for i in range(0, len(data), 16):
            index = order[i : i + 16]
            loss = F.cross_entropy(model(data.x[index]), data.y[index])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(index)
        running.append(total / len(data))

    trained = final_state(tmp_path / "run")
    for key, value in model.state_dict().items():
        torch.testing.assert_close(trained[key], value, rtol=1e-5, atol=1e-6, msg=key)
    moved = max(float((v.float() - start[k].float()).abs().max()) for k, v in model.state_dict().items())
    assert moved > 1e-2
    assert list(table.lr) == [0.05, 0.05, 0.025]
    np.testing.assert_allclose(table.train_loss[1:], running, rtol=1e-5)
    assert table.train_accuracy.between(0, 1).iloc[1:].all() and table["accuracy.train"].between(0, 1).all()


def test_full_batch_is_gradient_descent_on_the_subset(tmp_path):
    spec = RunSpec(NETS["resnet18_nobn"], epochs=3, batch_size=16, lr=0.1, momentum=0.5, train_subset=40,
                   full_batch=True)  # fmt: skip
    data = images()
    table = train_run(spec, data, {}, checkpoint_dir=tmp_path / "run", device="cpu")

    model = initial_model(spec, tmp_path).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    losses = []
    for _ in range(3):
        loss = F.cross_entropy(model(data.x[:40]), data.y[:40])  # all 40 at once; the trainer sums 16 + 16 + 8
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    for key, value in model.state_dict().items():
        torch.testing.assert_close(final_state(tmp_path / "run")[key], value, rtol=1e-4, atol=1e-6, msg=key)
    np.testing.assert_allclose(table.train_loss[1:], losses, rtol=1e-5)


def _noise_samples(kind: str, a: float, repeats: int = 300):
    """Gradient-noise samples at fixed weights: SGD's (g_B − g) and the added noise (ĝ − g_B) of ``kind``."""
    spec = RunSpec(NetSpec("small_cnn", width=2, batchnorm=False), epochs=1, batch_size=8, lr=0.1, grad_noise=kind,
                   grad_noise_scale=a)  # fmt: skip
    data = images(64, size=8)
    run = vtrain._Run(spec, data.x, data.y, None, torch.device("cpu"), 1000)
    run.model.train()

    def gradient(index, noise=False):
        run.optimizer.zero_grad(set_to_none=True)
        run.backward(index, 1.0)
        g = torch.cat([p.grad.flatten() for p in run.params])
        if noise:
            run.add_gradient_noise(len(index))
            return g, torch.cat([p.grad.flatten() for p in run.params]) - g
        return g

    full = gradient(torch.arange(64))
    rng = torch.Generator().manual_seed(1)
    sgd, added = [], []
    for _ in range(repeats):
        g_batch, extra = gradient(torch.randperm(64, generator=rng)[:8], noise=True)
        sgd.append(g_batch - full)
        added.append(extra)
    return torch.stack(sgd).double(), torch.stack(added).double()


def _mean_se(values: torch.Tensor) -> tuple[float, float]:
    return float(values.mean()), float(values.std() / math.sqrt(len(values)))


@pytest.mark.parametrize("kind", ["amplified", "isotropic"])
def test_gradient_noise_has_1_plus_a2_times_sgd_variance(kind):
    """E‖ĝ − ∇f‖² = (1 + a²)·tr Σ_B for both kinds (a = 2: five times SGD's), checked to 4 standard errors."""
    a = 2.0
    sgd, added = _noise_samples(kind, a)
    sgd_var, sgd_se = _mean_se(sgd.pow(2).sum(1))
    added_var, added_se = _mean_se(added.pow(2).sum(1))
    ratio = added_var / sgd_var
    ratio_se = ratio * math.hypot(added_se / added_var, sgd_se / sgd_var)
    assert abs(ratio - a**2) < 4 * ratio_se and ratio_se < 0.15 * a**2
    total = (sgd + added).pow(2).sum(1).mean() / sgd_var  # the total noise around the full gradient
    assert abs(float(total) - (1 + a**2)) < 4 * ratio_se * (1 + a**2) / a**2
    # the shape: amplified noise has SGD's own top direction; isotropic noise puts 1/d of its variance there
    top = torch.linalg.svd(sgd, full_matrices=False).Vh[0]
    share = float((added @ top).pow(2).mean() / added.pow(2).sum(1).mean())
    sgd_share = float((sgd @ top).pow(2).mean() / sgd.pow(2).sum(1).mean())
    dims = sgd.shape[1]
    if kind == "isotropic":
        assert share < 5 / dims < 0.1 * sgd_share
    else:
        assert share > 0.5 * sgd_share > 5 / dims


def test_resume_after_a_kill_reproduces_the_uninterrupted_run(tmp_path, monkeypatch):
    """Every stateful piece at once: BN, dropout, activation noise, crop+flip, amplified noise, momentum."""
    spec = RunSpec(NetSpec("wrn", width=1, depth=10, dropout=0.3), epochs=3, batch_size=16, lr=0.05, momentum=0.9,
                   weight_decay=5e-4, activation_noise=0.2, noise_milestones=(3,), noise_factor=0.1,
                   grad_noise="amplified", grad_noise_scale=0.5, augment="crop_flip", seed=1)  # fmt: skip
    data, test = images(), images(32, seed=9)
    whole = train_run(spec, data, {"test": test}, checkpoint_dir=tmp_path / "whole", device="cpu")

    real_save, saved = checkpoint.save, []

    def save_then_die(folder, state):
        real_save(folder, state)
        saved.append(state["epoch"])
        if state["epoch"] == 1 and len(saved) == 2:
            raise KeyboardInterrupt("killed after epoch 1")

    monkeypatch.setattr(checkpoint, "save", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        train_run(spec, data, {"test": test}, checkpoint_dir=tmp_path / "killed", device="cpu")
    resumed = train_run(spec, data, {"test": test}, checkpoint_dir=tmp_path / "killed", device="cpu")
    assert saved == [0, 1, 2, 3]  # the rerun trained epochs 2 and 3 only
    pd.testing.assert_frame_equal(resumed.drop(columns=TIMES), whole.drop(columns=TIMES))
    for key, value in final_state(tmp_path / "whole").items():
        assert torch.equal(final_state(tmp_path / "killed")[key], value), key
    assert whole.stop_reason.eq("max_epochs").all()
    assert list(whole.activation_noise) == pytest.approx([0.2, 0.2, 0.2, 0.02])

    # its cost counts both sittings: at least the first sitting's epochs 0-1 plus the second's 2-3
    first_sitting = resumed.loc[resumed.epoch == 1, "wall_seconds"].item()
    assert vtrain.run_cost(resumed)["wall_time_s"] == resumed["wall_seconds"].max() > first_sitting > 0
    again = train_run(spec, data, {"test": test}, checkpoint_dir=tmp_path / "killed", device="cpu")
    assert saved == [0, 1, 2, 3]  # a finished run is read back, not trained
    pd.testing.assert_frame_equal(again, resumed)
    with pytest.raises(ValueError, match="another run configuration"):
        train_run(spec.replace(lr=0.1), data, {}, checkpoint_dir=tmp_path / "killed", device="cpu")


def test_activation_noise_follows_its_schedule_and_seed(monkeypatch):
    calls = []
    real = vtrain._models.set_activation_noise

    def record(model, std, generator=None):
        calls.append((std, generator is not None))
        return real(model, std, generator)

    monkeypatch.setattr(vtrain._models, "set_activation_noise", record)
    spec = RunSpec(NETS["small_cnn"], epochs=3, batch_size=16, lr=0.05, activation_noise=0.4, noise_milestones=(2,),
                   noise_factor=1e-5)  # fmt: skip
    data = images()
    noisy = train_run(spec, data, {"train": data}, device="cpu")
    assert [std for std, _ in calls] == pytest.approx([0.4, 4e-6, 4e-6]) and all(given for _, given in calls)
    assert list(noisy.activation_noise) == pytest.approx([0.4, 0.4, 4e-6, 4e-6])
    again = train_run(spec, data, {"train": data}, device="cpu")
    quiet = train_run(spec.replace(activation_noise=0.0), data, {"train": data}, device="cpu")
    pd.testing.assert_frame_equal(again.drop(columns=TIMES), noisy.drop(columns=TIMES))
    assert abs(noisy.train_loss[1] - quiet.train_loss[1]) > 1e-4  # the noise is really there in training


@pytest.mark.parametrize("name", ["small_cnn", "resnet18_nobn"])
def test_divergence_ends_the_run_as_an_outcome(name):
    """Without BN the loss becomes NaN; with BN it stays finite but enormous (10⁶ and more): both end the run."""
    spec = RunSpec(NETS[name], epochs=5, batch_size=16, lr=1e6)
    table = train_run(spec, images(), {}, device="cpu")
    assert table.stop_reason.eq("diverged").all() and list(table.epoch) == [0, 1]
    assert not table.train_loss.iloc[-1] <= 1e3
    assert train_run(spec.replace(lr=0.05), images(), {}, device="cpu").stop_reason.eq("max_epochs").all()


def test_hessian_power_iteration_on_a_quadratic():
    """Least squares: the Hessian of mean((Xw − y)²) is 2XᵀX/n, whose spectrum we know."""
    g = torch.Generator().manual_seed(0)
    q, _ = torch.linalg.qr(torch.randn(6, 6, generator=g, dtype=torch.float64))
    spectrum = torch.tensor([5.0, 2.0, 1.0, 0.5, 0.2, 0.1], dtype=torch.float64)
    x = torch.randn(300, 6, generator=g, dtype=torch.float64)
    x = x @ torch.linalg.inv(torch.linalg.cholesky(x.T @ x / 300).T)  # whitened: xᵀx/n = I
    x = x @ q @ torch.diag(torch.sqrt(spectrum / 2)) @ q.T  # now 2xᵀx/n = q·diag(spectrum)·qᵀ
    y = torch.randn(300, generator=g, dtype=torch.float64)
    model = torch.nn.Linear(6, 1, bias=False).double()

    def loss_fn(out, target):
        return F.mse_loss(out.squeeze(1), target)

    top = hessian.top_eigenvalue(model, loss_fn, x, y, iters=200, generator=g, chunk_size=7, tol=1e-10)
    assert top == pytest.approx(5.0, rel=1e-6)
    product = hessian.hessian_vector_product(model, loss_fn, x, y, [q[:, 1:2].T.contiguous()], chunk_size=64)
    torch.testing.assert_close(product[0], 2.0 * q[:, 1:2].T)


def test_hessian_every_and_precision_options():
    data = images()
    spec = RunSpec(NETS["resnet18_nobn"], epochs=2, batch_size=16, lr=0.05, hessian_every=2, hessian_iters=10)
    table = train_run(spec, data, {"train": data}, device="cpu")
    assert table.hessian_top.isna().tolist() == [False, True, False] and (table.hessian_top.dropna() > 0).all()

    spec = RunSpec(NETS["small_cnn"], epochs=1, batch_size=16, lr=0.05, momentum=0.9)
    fp32 = train_run(spec, data, {"train": data}, device="cpu")
    last = train_run(spec.replace(channels_last=True), data, {"train": data}, device="cpu")
    bf16 = train_run(spec.replace(precision="bf16", channels_last=True), data, {"train": data}, device="cpu")
    np.testing.assert_allclose(last["loss.train"], fp32["loss.train"], rtol=1e-4)
    assert not np.allclose(bf16["loss.train"], fp32["loss.train"], rtol=1e-6, atol=0)  # it really ran in bf16
    np.testing.assert_allclose(bf16["loss.train"], fp32["loss.train"], rtol=0.05)


def test_the_evaluation_chunk_changes_only_the_rounding():
    data = images()
    spec = RunSpec(NETS["small_cnn"], epochs=1, batch_size=16, lr=0.05, momentum=0.9)
    default = train_run(spec, data, {"train": data}, device="cpu")  # chunks of CPU_EVAL_BATCH
    odd = train_run(spec, data, {"train": data}, device="cpu", eval_batch_size=7)
    np.testing.assert_allclose(odd["loss.train"], default["loss.train"], rtol=1e-5)
    np.testing.assert_array_equal(odd["accuracy.train"], default["accuracy.train"])
    with pytest.raises(ValueError, match="eval_batch_size"):
        train_run(spec, data, {}, device="cpu", eval_batch_size=0)


def test_augment_builds_or_checks_the_transform():
    data = images()
    spec = RunSpec(NETS["small_cnn"], epochs=1, batch_size=16, lr=0.05, augment="crop_flip")
    built = train_run(spec, data, {}, device="cpu")
    given = train_run(spec, data, {}, device="cpu", transform=CropFlip())
    plain = train_run(spec.replace(augment="none"), data, {}, device="cpu")
    assert built.train_loss[1] == given.train_loss[1] != plain.train_loss[1]
    with pytest.raises(ValueError, match="needs its PatchTransform"):
        train_run(spec.replace(augment="patch"), data, {}, device="cpu")
    with pytest.raises(ValueError, match="does not match augment='none'"):
        train_run(spec.replace(augment="none"), data, {}, device="cpu", transform=CropFlip())


BAD = [
    (dict(lr=-0.1), "lr must be a positive finite number, got -0.1"),
    (dict(lr=float("nan")), "lr must be a positive"),
    (dict(epochs=-1), "epochs must be an integer >= 0"),
    (dict(batch_size=0), "batch_size must be a positive integer, got 0"),
    (dict(momentum=1.0), r"momentum must be in \[0, 1\)"),
    (dict(nesterov=True), "nesterov=True needs momentum > 0"),
    (dict(augment="cutout"), "augment must be one of none, crop_flip, patch; got 'cutout'"),
    (dict(grad_noise="gaussian"), "grad_noise must be one of none, amplified, isotropic"),
    (dict(precision="fp16"), "precision must be one of fp32, bf16; got 'fp16'"),
    (dict(lr_milestones=(3, 2)), "lr_milestones must be increasing 1-based epochs"),
    (dict(grad_noise_scale=-1.0), "grad_noise_scale must be a non-negative"),
    (dict(full_batch=True), "full_batch=True needs a network without BatchNorm"),
    (dict(train_subset=0), "train_subset must be a positive integer"),
    (dict(width=2), "unknown RunSpec field"),
]


@pytest.mark.parametrize("change, message", BAD, ids=[m.split()[0] for _, m in BAD])
def test_bad_specs_give_one_line_errors(change, message):
    base = RunSpec(NETS["small_cnn"], epochs=1, batch_size=16, lr=0.05)
    with pytest.raises(ValueError, match=message) as error:
        base.replace(**change)
    assert "\n" not in str(error.value)


def test_bad_run_inputs_give_one_line_errors():
    spec = RunSpec(NETS["small_cnn"], epochs=1, batch_size=64, lr=0.05)
    with pytest.raises(ValueError, match="batch_size 64 is larger than the 48 training images"):
        train_run(spec, images(), {}, device="cpu")
    with pytest.raises(ValueError, match="train_subset 100 is larger than the 48 training images"):
        train_run(spec.replace(train_subset=100), images(), {}, device="cpu")


def test_spec_config_is_json_and_members_override_it():
    spec = RunSpec(NETS["small_cnn"], epochs=1, batch_size=16, lr=1, lr_milestones=[2])
    config = spec.config()
    assert config["lr"] == 1.0 and isinstance(config["lr"], float) and config["lr_milestones"] == [2]
    assert config["net"] == {"family": "small_cnn", "width": 4, "depth": 16, "batchnorm": True, "dropout": 0.0,
                             "num_classes": 10}  # fmt: skip
    assert RunSpec.from_config({**config, "experiment": "x", "version": 1}) == spec
    row = pd.DataFrame({"lr": [0.1], "seed": [np.int64(2)], "net.width": [8.0], "train_subset": [np.nan]}).iloc[0]
    changed = spec.replace(**row.to_dict())
    assert (changed.lr, changed.seed, changed.net.width, changed.train_subset) == (0.1, 2, 8, None)
    assert changed.key() != spec.key() and spec.replace().key() == spec.key()


def _sweep_data(spec):
    data = images(32)
    return data, {"train": data}, None


def test_cnn_runs_fan_out_through_the_sweep(tmp_path, monkeypatch):
    base = RunSpec(NETS["small_cnn"], epochs=2, batch_size=16, lr=0.05)
    members = pd.DataFrame({"lr": [0.02, 0.1], "seed": [0, 1]})
    run = CnnRun(_sweep_data, base, checkpoint_root=str(tmp_path / "ckpt"), device="cpu")
    config = {"experiment": "cnn-test", "version": 1, **base.config()}
    table = sweep(run, members, config=config, store=Store(tmp_path / "store"), chunk_size=1, progress=False)
    assert table.groupby("member").epoch.apply(list).tolist() == [[0, 1, 2], [0, 1, 2]]
    assert table.groupby("member").lr.first().tolist() == [0.02, 0.1]
    alone = train_run(base.replace(lr=0.1, seed=1), images(32), {"train": images(32)}, device="cpu")
    pd.testing.assert_frame_equal(
        table[table.member == 1].drop(columns=["member", *TIMES]).reset_index(drop=True), alone.drop(columns=TIMES)
    )

    def no_training(*args, **kwargs):
        raise AssertionError("a stored sweep must not train")

    monkeypatch.setattr(vtrain, "train_run", no_training)
    again = sweep(run, members, config=config, store=Store(tmp_path / "store"), chunk_size=1, progress=False)
    pd.testing.assert_frame_equal(again, table)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_run_matches_the_cpu_run():
    """The same spec on CUDA (IEEE fp32 there: the trainer turns cuDNN's TF32 off) follows the CPU run; the noise
    options run there too (their draws come from CUDA generators, so they differ from the CPU's)."""
    data = images()
    spec = RunSpec(NETS["small_cnn"], epochs=2, batch_size=16, lr=0.05, momentum=0.9, weight_decay=5e-4,
                   augment="crop_flip", hessian_every=2, hessian_iters=5)  # fmt: skip
    cpu = train_run(spec, data, {"train": data}, device="cpu")
    cuda = train_run(spec, data, {"train": data}, device="cuda")
    for column in ["train_loss", "loss.train", "weight_norm", "hessian_top"]:
        np.testing.assert_allclose(cuda[column], cpu[column], rtol=1e-3, err_msg=column)
    noisy = spec.replace(activation_noise=0.2, grad_noise="isotropic", grad_noise_scale=1.0, precision="bf16")
    table = train_run(noisy, data, {"train": data}, device="cuda")
    assert table.stop_reason.eq("max_epochs").all() and np.isfinite(table.train_loss[1:]).all()


_KILLABLE = """
import sys, torch
torch.set_num_threads(1)
sys.path.insert(0, {root!r})
from tests.test_vision_train import images
from lrlib.vision.models import NetSpec
from lrlib.vision.train import RunSpec, train_run
spec = RunSpec(NetSpec("small_cnn", width=4), epochs=40, batch_size=16, lr=0.05, momentum=0.9, augment="crop_flip",
               activation_noise=0.1, seed=3)
train_run(spec, images(), {{}}, checkpoint_dir={folder!r}, device="cpu")
"""


def test_a_run_killed_with_sigkill_resumes_to_the_uninterrupted_result(tmp_path):
    """kill -9 at an arbitrary moment (mid-epoch or mid-checkpoint): the rerun ends exactly where an uninterrupted
    run ends."""
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[1])
    folder = tmp_path / "killed"
    child = subprocess.Popen([sys.executable, "-c", _KILLABLE.format(root=root, folder=str(folder))])
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and child.poll() is None:
            state = checkpoint.load(folder) if (folder / checkpoint.CHECKPOINT_NAME).exists() else None
            if state is not None and state["epoch"] >= 2:
                break
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
        child.wait()
    finally:
        child.kill()
    killed_at = checkpoint.load(folder)["epoch"]
    assert child.returncode == -signal.SIGKILL and 2 <= killed_at < 40, "the child must die mid-run"

    spec = RunSpec(NetSpec("small_cnn", width=4), epochs=40, batch_size=16, lr=0.05, momentum=0.9,
                   augment="crop_flip", activation_noise=0.1, seed=3)  # fmt: skip
    resumed = train_run(spec, images(), {}, checkpoint_dir=folder, device="cpu")
    whole = train_run(spec, images(), {}, checkpoint_dir=tmp_path / "whole", device="cpu")
    pd.testing.assert_frame_equal(resumed.drop(columns=TIMES), whole.drop(columns=TIMES))
    for key, value in final_state(tmp_path / "whole").items():
        assert torch.equal(final_state(folder)[key], value), key


def test_a_damaged_checkpoint_is_a_clear_error_not_a_raw_unpickling_one(tmp_path):
    """Reliability probe, rerun: a junk checkpoint.pt gave a raw struct.error."""
    from lrlib.vision import checkpoint

    (tmp_path / checkpoint.CHECKPOINT_NAME).write_bytes(b"\x00junk" * 10)
    with pytest.raises(ValueError, match="is damaged or not a checkpoint .*delete it to start the run over"):
        checkpoint.load(tmp_path)


def test_unfinished_lists_the_runs_short_of_their_epochs(tmp_path):
    checkpoint.save(tmp_path / "part" / "done", {"epoch": 3, "config": {"epochs": 3}, "wall_seconds": 9.0})
    checkpoint.save(tmp_path / "part" / "half", {"epoch": 1, "config": {"epochs": 3}, "wall_seconds": 4.0})
    (tmp_path / "other" / "torn").mkdir(parents=True)
    (tmp_path / "other" / "torn" / checkpoint.CHECKPOINT_NAME).write_bytes(b"not a checkpoint")
    runs = checkpoint.unfinished(tmp_path)
    assert [(r["part"], r["run"], r["epoch"], r["epochs"], r["seconds"]) for r in runs] == [("part", "half", 1, 3, 4.0)]
    assert checkpoint.unfinished(tmp_path / "missing") == []
