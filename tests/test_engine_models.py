"""Model families: hand-written backward passes equal autograd on the same forward; shared inputs equal
per-member inputs; a member's initialisation does not depend on its packing."""

import math

import pytest
import torch
from torch import nn

from lrlib.models import MLP, FunctionalModel, Linear, PatchReLU2, activations, alpha_mlp, two_layer
from lrlib.models.base import per_member

FAMILIES = {
    "two_layer": lambda: two_layer(5, 7, 3),
    "two_layer_binary": lambda: two_layer(5, 7, 1, "relu2"),
    "alpha_mlp_relu": lambda: alpha_mlp(5, 3, 6),
    "alpha_mlp_gelu": lambda: alpha_mlp(5, 2, 6, "gelu", readout="1/sqrt(h)"),
    "alpha_mlp_gelu_tanh": lambda: alpha_mlp(5, 2, 6, "gelu_tanh"),
    "mlp_fixed_readout": lambda: MLP([5, 6, 1], "relu", fixed_readout=True),
    "mlp_image_input": lambda: MLP([12, 6, 2], "gelu", input_shape=(3, 2, 2), layers="scaled", bias=True),
    "patch_relu2": lambda: PatchReLU2(dim=5, width=3, patches=2, sigma0=0.5),
    "perceptron": lambda: Linear(5, centered=True),
    "softmax_regression": lambda: Linear(5, 4, bias=True, scale=1.0),
    "logistic_regression": lambda: Linear(5, bias=True, scale=1.0, init="zeros"),
}


def _inputs(model, K, B, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(K, B, *model.input_shape, generator=g, dtype=torch.float64)
    shape = (K, B) if model.n_out == 1 else (K, B, model.n_out)
    return x, torch.randn(*shape, generator=g, dtype=torch.float64)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_backward_equals_autograd(name):
    model = FAMILIES[name]()
    K = 3
    params = model.init([0, 1, 2], dtype=torch.float64)
    params = {n: p + 0.1 * torch.randn_like(p) for n, p in params.items()}  # zero-init models: leave 0
    x, dout = _inputs(model, K, 4)
    noise = None
    if model.hidden_layers:
        g = torch.Generator().manual_seed(5)
        fixed = {}

        def noise(layer, z):
            if layer not in fixed:
                fixed[layer] = 0.3 * torch.randn(z.shape, generator=g, dtype=z.dtype)
            return fixed[layer]

    out, cache = model.forward_train(params, x, noise)
    assert torch.equal(out, model.forward(params, x, noise))
    hand = model.backward(params, cache, dout)
    auto = model.autograd_backward(params, x, dout, noise)
    assert hand.keys() == params.keys()
    for n in params:
        torch.testing.assert_close(hand[n], auto[n], rtol=1e-10, atol=1e-12)
    # the fused update equals the update from the gradients
    lr = torch.tensor([0.1, 0.5, 0.0], dtype=torch.float64)
    wd = torch.tensor([0.0, 0.01, 0.3], dtype=torch.float64)
    updated = {n: p.clone() for n, p in params.items()}
    model.backward_apply(updated, cache, dout, lr, wd)
    for n, p in params.items():
        expect = p - per_member(lr, p) * (auto[n] + per_member(wd, p) * p)
        torch.testing.assert_close(updated[n], expect, rtol=1e-10, atol=1e-12)
    # accumulating into buffers (momentum): v ← μ·v + grad
    mu = torch.tensor([0.0, 0.5, 0.9], dtype=torch.float64)
    buffers = {n: torch.randn_like(p) for n, p in params.items()}
    expect = {n: per_member(mu, b) * b + auto[n] for n, b in buffers.items()}
    model.accumulate(params, cache, dout, buffers, mu)
    for n in params:
        torch.testing.assert_close(buffers[n], expect[n], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_shared_input_equals_per_member_input(name):
    model = FAMILIES[name]()
    params = model.init([0, 1], dtype=torch.float64)
    x, _ = _inputs(model, 1, 6)
    shared = model.forward(params, x[0])
    per_member_out = model.forward(params, x.expand(2, *x.shape[1:]))
    torch.testing.assert_close(shared, per_member_out, rtol=1e-12, atol=1e-12)


def test_init_does_not_depend_on_packing_dtype_or_scale():
    model = alpha_mlp(5, 2, 6)
    alone = model.init([7], dtype=torch.float64)
    packed = model.init([3, 7, 9], dtype=torch.float64, init_scale=[1.0, 2.0, 1.0])
    single = model.init([7], dtype=torch.float32)
    for n in alone:
        assert torch.equal(alone[n][0] * 2, packed[n][1])
        assert torch.equal(alone[n][0].float(), single[n][0])
    assert not torch.equal(packed["w1"][0], packed["w1"][2])


@pytest.mark.parametrize("strategy", ["vmap", "loop"])
def test_functional_model_matches_its_module(strategy):
    def make():
        return nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 3 * 3, 1))

    model = FunctionalModel(make, input_shape=(1, 5, 5), strategy=strategy)
    params = model.init([4, 5], dtype=torch.float64)
    x = torch.randn(3, 1, 5, 5, dtype=torch.float64)
    out = model.forward(params, x)
    for k in range(2):
        module = make().double()
        module.load_state_dict({n: p[k] for n, p in params.items()})
        torch.testing.assert_close(out[k], module(x).squeeze(-1))
    torch.manual_seed(4)
    assert not torch.equal(params["0.weight"][0], params["0.weight"][1])


def test_standard_layers_match_nn_linear_init_distribution():
    model = two_layer(400, 300, 2)
    p = model.init([0])
    bound = 1 / math.sqrt(400)
    assert p["w1"].abs().max() <= bound and p["w1"].abs().max() > 0.99 * bound
    assert abs(p["w1"].std().item() - bound / math.sqrt(3)) < 0.01 * bound


@pytest.mark.parametrize("name", ["relu", "gelu", "gelu_tanh", "relu2"])
def test_activation_normalizer(name):
    g = torch.Generator().manual_seed(0)
    z = torch.randn(400_000, generator=g, dtype=torch.float64)
    c = activations.normalizer(name)
    assert abs((c * activations.value(name, z)).pow(2).mean().item() - 1) < 0.03
    zz = torch.linspace(-3, 3, 61, dtype=torch.float64).requires_grad_(True)
    (grad,) = torch.autograd.grad(activations.value(name, zz).sum(), zz)
    torch.testing.assert_close(activations.derivative(name, zz.detach()), grad)
    torch.testing.assert_close(activations.backward(name, torch.full_like(zz, 2.0), zz.detach()), 2 * grad)


def test_functional_model_rejects_unknown_strategy():
    with pytest.raises(ValueError, match="strategy must be one of .*'auto'.* got 'pmap'"):
        FunctionalModel(lambda: nn.Linear(3, 1), input_shape=(3,), strategy="pmap")
