"""The engine against plain per-model PyTorch: same initialisation, same batch order → same weights.

Each reference trains one member at a time with its own forward (nn.Module or explicit tensors), autograd, and
``torch.optim.SGD``; the engine trains all members at once. Tolerances: relative weight error ≤ 1e-9 in float64,
≤ 1e-4 in float32, after tens of steps, with weights that moved.
"""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lrlib.models import MLP, FunctionalModel, Linear, PatchReLU2, activations, alpha_mlp, two_layer
from lrlib.train import Data, grid, rng, train

STEPS = 30


def _binary_data(n, shape, seed=0, test=False, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, *shape, generator=g, dtype=dtype)
    y = torch.where(x.flatten(1)[:, 0] + 0.3 * torch.randn(n, generator=g, dtype=dtype) > 0, 1.0, -1.0).to(dtype)
    return Data(x, y)


def _class_data(n, d, classes, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g, dtype=dtype)
    y = torch.randint(0, classes, (n,), generator=g)
    return Data(x, y)


def _ref_loss(name, f, y, alpha):
    if name == "cross_entropy":
        return F.cross_entropy(f, y)
    yf = y * f
    if name == "hinge":
        return (torch.relu(1 - yf) / alpha).mean()
    if name == "squared_margin":
        return ((yf - 1) ** 2).mean()
    return F.softplus(-yf).mean()


def reference(model, data, member, *, loss, steps, dtype, forward, make_params):
    """One member, trained by a plain PyTorch loop. ``forward(params, x [B, ...]) -> F [B(, C)]``."""
    member = {k: v for k, v in dict(member).items()}
    for key in ("seed", "init_seed", "batch_size", "lr_anneal_step", "preact_noise_anneal_step"):
        if key in member:
            member[key] = int(member[key])
    seed = int(member["seed"])
    p0 = {
        n: v[0]
        for n, v in model.init(
            [member.get("init_seed", seed)], dtype=dtype, init_scale=[member.get("init_scale", 1.0)]
        ).items()
    }
    params = make_params(p0)  # leaf tensors or an nn.Module's parameters
    leaves = list(params.parameters()) if isinstance(params, nn.Module) else list(params.values())
    opt = torch.optim.SGD(
        leaves, lr=member["lr"], momentum=member.get("momentum", 0.0), weight_decay=member.get("weight_decay", 0.0)
    )
    alpha = member.get("alpha", 1.0)
    x_all, y_all = data.x.to(dtype), (data.y.to(dtype) if loss != "cross_entropy" else data.y.long())
    B, sampling = member["batch_size"], member.get("sampling", "step")
    idx_all = rng.batch_indices(torch.tensor([seed]), torch.arange(steps), data.n, B, sampling)[0]
    with torch.no_grad():
        F0 = forward(make_params(p0), x_all) if model.centered else None
    for t in range(steps):
        if t == member.get("lr_anneal_step", -1):
            for group in opt.param_groups:
                group["lr"] = member["lr"] * member.get("lr_anneal_factor", 0.1)
        idx = idx_all[t]
        out = (
            forward(params, x_all[idx], t=t, seed=seed, member=member)
            if member.get("preact_noise")
            else forward(params, x_all[idx])
        )
        if model.centered:
            out = out - F0[idx]
        out = alpha * out
        opt.zero_grad()
        _ref_loss(loss, out, y_all[idx], alpha).backward()
        if member.get("grad_noise"):
            with torch.no_grad():
                for i, p in enumerate(leaves):
                    xi = rng.normal(torch.tensor([seed]), t, rng.GRAD + i, p.numel(), dtype).view_as(p)
                    p.grad += member["grad_noise"] * xi
        opt.step()
    return params


def _flat(params):
    if isinstance(params, nn.Module):
        return torch.cat([p.detach().flatten() for p in params.parameters()])
    return torch.cat([p.detach().flatten() for p in params.values()])


def _compare(model, data, members, *, loss, dtype, forward, make_params, to_flat, tol, steps=STEPS, **kw):
    res = train(
        model, data, members, loss=loss, steps=steps, dtype=dtype, keep_params=True, progress=False, device="cpu", **kw
    )
    for k, member in members.reset_index(drop=True).iterrows():
        ref = reference(
            model, data, member, loss=loss, steps=steps, dtype=dtype, forward=forward, make_params=make_params
        )
        engine = to_flat({n: p[k] for n, p in res.params.items()})
        expect = _flat(ref)
        p0 = to_flat({n: p[0] for n, p in model.init([int(member["seed"])], dtype=dtype).items()})
        moved = (expect - p0).norm() / p0.norm().clamp_min(1e-12)
        assert moved > 1e-3 or p0.norm() == 0 and expect.norm() > 1e-3, f"member {k} barely moved ({moved:.1e})"
        err = ((engine - expect).norm() / expect.norm()).item()
        assert err <= tol, f"member {k} ({dict(member)}): relative weight error {err:.2e} > {tol:.0e}"
    return res


def _explicit(p0):
    return {n: v.clone().requires_grad_(True) for n, v in p0.items()}


def _cat(params):
    return torch.cat([p.flatten() for p in params.values()])


# ---- families ---------------------------------------------------------------------------------------------
def _sequential_from(model):
    def make(p0):
        layers = []
        for l in range(model.depth):
            lin = nn.Linear(model.widths[l], model.widths[l + 1], bias=model.bias).to(p0["w1"].dtype)
            with torch.no_grad():
                lin.weight.copy_(p0[f"w{l + 1}"].T)
                if model.bias:
                    lin.bias.copy_(p0[f"b{l + 1}"])
            layers += [lin, nn.ReLU()]
        return nn.Sequential(*layers[:-1])

    return make


def _sequential_flat(model):
    def flat(p):
        parts = []
        for l in range(model.depth):
            parts.append(p[f"w{l + 1}"].T.flatten())
            if model.bias:
                parts.append(p[f"b{l + 1}"].flatten())
        return torch.cat(parts)

    return flat


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-9), (torch.float32, 1e-4)])
def test_two_layer_cross_entropy_momentum_weight_decay(dtype, tol):
    model = two_layer(6, 16, 3)
    data = _class_data(40, 6, 3)
    members = grid(lr=[0.05, 0.2], momentum=[0.0, 0.9], seed=[3], batch_size=8, weight_decay=[0.0, 0.01])
    seq = _sequential_from(model)
    _compare(
        model,
        data,
        members,
        loss="cross_entropy",
        dtype=dtype,
        tol=tol,
        forward=lambda m, x, **_: m(x),
        make_params=seq,
        to_flat=_sequential_flat(model),
    )


def test_two_layer_lr_anneal_and_epoch_sampling():
    model = two_layer(6, 16, 3)
    data = _class_data(40, 6, 3)
    members = grid(
        lr=[0.3],
        seed=[1, 2],
        batch_size=[8, 5],
        lr_anneal_step=12,
        lr_anneal_factor=0.2,
        sampling=["epoch", "replacement"],
    )
    _compare(
        model,
        data,
        members,
        loss="cross_entropy",
        dtype=torch.float64,
        tol=1e-9,
        forward=lambda m, x, **_: m(x),
        make_params=_sequential_from(model),
        to_flat=_sequential_flat(model),
    )


def _mlp_forward(model):
    """An independent plain-torch forward of any MLP (one member, no ensemble axis)."""

    def forward(p, x, t=None, seed=None, member=None):
        h = x.flatten(1)
        for l in range(model.depth):
            last = l == model.depth - 1
            if last and model.fixed_readout:
                width = model.widths[-2]
                a = torch.cat([torch.ones(width // 2), -torch.ones(width - width // 2)]).to(h.dtype)
                return (h @ a) * model.scales[l]
            z = (h @ p[f"w{l + 1}"]) * model.scales[l]
            if model.bias:
                z = z + p[f"b{l + 1}"]
            if last:
                return z.squeeze(-1) if model.n_out == 1 else z
            if member is not None and member.get("preact_noise"):
                sigma = member["preact_noise"]
                if t >= member.get("preact_noise_anneal_step", math.inf):
                    sigma = sigma * member.get("preact_noise_anneal_factor", 0.0)
                z = z + sigma * rng.normal(torch.tensor([seed]), t, rng.PREACT + l, z.numel(), z.dtype).view_as(z)
            h = activations.value(model.activation, z) * model.c

    return forward


@pytest.mark.parametrize("activation", ["relu", "gelu", "gelu_tanh"])
def test_alpha_mlp_hinge(activation):
    model = alpha_mlp(6, 3, 12, activation)
    data = _binary_data(32, (6,))
    members = grid(lr=[0.5, 4.0], alpha=[0.25, 4.0], seed=[5], batch_size=4)
    _compare(
        model,
        data,
        members,
        loss="hinge",
        dtype=torch.float64,
        tol=1e-9,
        forward=_mlp_forward(model),
        make_params=_explicit,
        to_flat=_cat,
    )


def test_alpha_mlp_sqrt_readout_float32():
    model = alpha_mlp(6, 2, 16, "relu", readout="1/sqrt(h)")
    data = _binary_data(32, (6,))
    members = grid(lr=[0.1], alpha=[1.0, 2.0], seed=[0], batch_size=4)
    _compare(
        model,
        data,
        members,
        loss="hinge",
        dtype=torch.float32,
        tol=1e-4,
        forward=_mlp_forward(model),
        make_params=_explicit,
        to_flat=_cat,
    )


def test_mlp_fixed_readout_logistic_with_preact_and_grad_noise():
    model = MLP([6, 10, 1], "relu", bias=True, fixed_readout=True)
    data = _binary_data(32, (6,))
    members = grid(
        lr=[0.5], seed=[4, 7], batch_size=4, preact_noise=[0.0, 0.3], preact_noise_anneal_step=15, grad_noise=[0.0, 0.2]
    )
    _compare(
        model,
        data,
        members,
        loss="logistic",
        dtype=torch.float64,
        tol=1e-9,
        forward=_mlp_forward(model),
        make_params=_explicit,
        to_flat=_cat,
    )


def test_patch_relu2_squared_margin():
    model = PatchReLU2(dim=8, width=4, patches=3, sigma0=0.3)
    data = _binary_data(16, (3, 8))
    data = Data(0.3 * data.x, data.y)

    def forward(p, x, **_):
        z = torch.einsum("bpd,jrd->bpjr", x, p["w"])
        Fj = torch.relu(z).pow(2).sum(dim=(1, 3)) / model.width
        return Fj[:, 0] - Fj[:, 1]

    members = grid(lr=[0.05, 0.2], seed=[0, 1], batch_size=1)
    _compare(
        model,
        data,
        members,
        loss="squared_margin",
        dtype=torch.float64,
        tol=1e-9,
        forward=forward,
        make_params=_explicit,
        to_flat=_cat,
    )
    members = grid(lr=[0.05], seed=[2], batch_size=3, weight_decay=0.1, momentum=0.5)
    _compare(
        model,
        data,
        members,
        loss="squared_margin",
        dtype=torch.float32,
        tol=1e-4,
        forward=forward,
        make_params=_explicit,
        to_flat=_cat,
    )


def _linear_forward(model):
    def forward(p, x, **_):
        w = p["w"] if model.n_out > 1 else p["w"].unsqueeze(-1)
        z = (x.flatten(1) @ w) * model.scale
        z = z.squeeze(-1) if model.n_out == 1 else z
        return z + p["b"] if model.bias else z

    return forward


def test_logistic_regression_l2():
    model = Linear(5, bias=True, scale=1.0, init="zeros")
    data = _binary_data(30, (5,))
    members = grid(lr=[0.1, 1.0], weight_decay=[0.0, 0.05], seed=[0], batch_size=6)
    _compare(
        model,
        data,
        members,
        loss="logistic",
        dtype=torch.float64,
        tol=1e-9,
        forward=_linear_forward(model),
        make_params=_explicit,
        to_flat=_cat,
    )


def test_softmax_regression_and_perceptron():
    model = Linear(5, 4, bias=True, scale=1.0)
    _compare(
        model,
        _class_data(30, 5, 4),
        grid(lr=[0.2], weight_decay=0.01, seed=[1], batch_size=6, momentum=0.9),
        loss="cross_entropy",
        dtype=torch.float64,
        tol=1e-9,
        forward=_linear_forward(model),
        make_params=_explicit,
        to_flat=_cat,
    )
    perceptron = Linear(5, centered=True)
    _compare(
        perceptron,
        _binary_data(30, (5,)),
        grid(lr=[1.0, 8.0], alpha=[0.5, 2.0], seed=[0], batch_size=2),
        loss="hinge",
        dtype=torch.float64,
        tol=1e-9,
        forward=_linear_forward(perceptron),
        make_params=_explicit,
        to_flat=_cat,
    )


@pytest.mark.parametrize("strategy", ["vmap", "loop"])
def test_functional_cnn(strategy):
    def make():
        return nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4 * 4, 3))

    model = FunctionalModel(make, input_shape=(1, 6, 6), n_out=3, strategy=strategy)
    g = torch.Generator().manual_seed(0)
    data = Data(torch.randn(24, 1, 6, 6, generator=g, dtype=torch.float64), torch.randint(0, 3, (24,), generator=g))

    def make_module(p0):
        m = make().to(torch.float64)
        m.load_state_dict(p0)
        return m

    def to_flat(p):
        return torch.cat([v.flatten() for v in p.values()])

    _compare(
        model,
        data,
        grid(lr=[0.1, 0.3], seed=[2], batch_size=4, momentum=0.9),
        loss="cross_entropy",
        dtype=torch.float64,
        tol=1e-9,
        forward=lambda m, x, **_: m(x),
        make_params=make_module,
        to_flat=to_flat,
    )
