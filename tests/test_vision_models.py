"""The CNN families of lrlib.vision: sizes, structure, initialisation and the activation noise."""

import math

import pytest
import torch
from torch import nn

from lrlib.vision.models import (
    FAMILIES,
    NetSpec,
    NoisyReLU,
    ResBlock,
    WideBlock,
    build,
    flops_per_image,
    parameter_count,
    set_activation_noise,
)


def built(spec: NetSpec, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return build(spec)


# --- sizes ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec, count",
    [
        (NetSpec("wrn", 10), 17_116_634),  # the paper's WRN-16-10, "about 17M"
        (NetSpec("wrn", 1), 175_066),
        (NetSpec("resnet18", 64), 11_173_962),  # the standard CIFAR ResNet-18, "11 M"
        # without BN: 2·(channels) BN parameters per BN go, one bias per conv output channel comes
        (NetSpec("resnet18", 64, batchnorm=False), 11_173_962 - 9_600 + 4_800),
        (NetSpec("small_cnn", 16), 3 * 16 * 9 + 16 * 32 * 9 + 32 * 64 * 9 + 2 * (16 + 32 + 64) + 64 * 10 + 10),
    ],
)
def test_parameter_counts(spec, count):
    assert parameter_count(spec) == count


def test_parameter_count_agrees_with_a_real_build():
    spec = NetSpec("resnet18", 8, batchnorm=False)
    assert parameter_count(spec) == sum(p.numel() for p in built(spec).parameters())


@pytest.mark.parametrize("width, gflops", [(1, 0.16), (2, 0.61), (4, 2.36), (10, 14.5)])
def test_training_flops_match_the_design_numbers(width, gflops):
    spec = NetSpec("wrn", width)
    assert flops_per_image(spec) / 1e9 == pytest.approx(gflops, rel=0.01)
    assert flops_per_image(spec, training=False) == pytest.approx(flops_per_image(spec) / 3)


def test_flops_of_a_small_cnn_by_hand():
    # 3×3 convs at 32², 16², 8² and the linear layer, 2 FLOPs per multiply-add
    w = 4
    macs = 32 * 32 * w * 3 * 9 + 16 * 16 * 2 * w * w * 9 + 8 * 8 * 4 * w * 2 * w * 9 + 4 * w * 10
    assert flops_per_image(NetSpec("small_cnn", w), training=False) == 2 * macs


# --- structure -----------------------------------------------------------------------------------------------------


def stage_shapes(model: nn.Module, x: torch.Tensor) -> list[tuple[int, ...]]:
    shapes = []
    hooks = [
        stage.register_forward_hook(lambda m, i, out: shapes.append(tuple(out.shape[1:]))) for stage in model.stages
    ]
    with torch.no_grad():
        model(x)
    for hook in hooks:
        hook.remove()
    return shapes


@pytest.mark.parametrize(
    "spec, shapes",
    [
        (NetSpec("wrn", 2), [(32, 32, 32), (64, 16, 16), (128, 8, 8)]),
        (NetSpec("resnet18", 8), [(8, 32, 32), (16, 16, 16), (32, 8, 8), (64, 4, 4)]),
        (NetSpec("resnet18", 8, batchnorm=False), [(8, 32, 32), (16, 16, 16), (32, 8, 8), (64, 4, 4)]),
        (NetSpec("small_cnn", 4, batchnorm=False), [(4, 16, 16), (8, 8, 8), (16, 8, 8)]),
    ],
)
def test_channels_and_resolution_per_stage(spec, shapes):
    model = built(spec)
    assert stage_shapes(model, torch.randn(2, 3, 32, 32)) == shapes
    assert model(torch.randn(3, 3, 32, 32)).shape == (3, 10)


def test_output_shape_and_depth_of_wrn():
    model = built(NetSpec("wrn", 1, depth=10, num_classes=7))
    assert [len(stage) for stage in model.stages] == [1, 1, 1]
    assert [len(stage) for stage in built(NetSpec("wrn", 1, depth=22)).stages] == [3, 3, 3]
    assert model(torch.randn(2, 3, 16, 16)).shape == (2, 7)


def test_wrn_shortcut_is_identity_exactly_where_channels_stay():
    # The official code: a 1×1 conv only where a block changes its channel count, so the first block of WRN-16-1
    # (16 → 16) has an identity shortcut while that of WRN-16-2 (16 → 32) has a conv
    for width, first_is_identity in [(1, True), (2, False)]:
        blocks = [block for block in built(NetSpec("wrn", width)).modules() if isinstance(block, WideBlock)]
        has_conv = [block.shortcut is not None for block in blocks]
        assert has_conv == [not first_is_identity, False, True, False, True, False]


def test_wrn_block_passes_its_input_or_the_projected_activation():
    torch.manual_seed(0)
    x = torch.randn(4, 16, 8, 8)
    identity_block = WideBlock(16, 16, stride=1, dropout=0.0)
    projecting_block = WideBlock(16, 32, stride=1, dropout=0.0)
    for block in (identity_block, projecting_block):
        nn.init.zeros_(block.conv2.weight)  # silences the residual branch
    with torch.no_grad():
        torch.testing.assert_close(identity_block(x), x)
        # the 1×1 conv sees relu(bn1(x)), not x (the official code overwrites x with its activation)
        activated = torch.relu(projecting_block.bn1(x))
        torch.testing.assert_close(projecting_block(x), projecting_block.shortcut(activated))


def test_initialisation_with_batchnorm_is_he_normal_fan_out():
    model = built(NetSpec("wrn", 4))
    conv = model.stages[2][1].conv2  # 256 → 256 channels, 3×3: 590k weights
    assert conv.weight.std().item() == pytest.approx(math.sqrt(2 / (9 * 256)), rel=0.01)
    assert conv.weight.mean().abs().item() < 0.01 * conv.weight.std().item()
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            assert torch.all(module.weight == 1) and torch.all(module.bias == 0)
    assert torch.all(model.fc.bias == 0) and model.fc.weight.abs().max() > 0


def test_resnet_without_batchnorm_has_no_bn_and_is_per_example():
    model = built(NetSpec("resnet18", 8, batchnorm=False)).train()
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert convs and all(conv.bias is not None for conv in convs)
    for block in (m for m in model.modules() if isinstance(m, ResBlock)):
        assert torch.all(block.conv2.weight == 0)  # each residual branch starts silent
    # no batch statistics: an example's output does not depend on the rest of its batch, even in training mode
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(model(x)[:1], model(x[:1]), rtol=1e-5, atol=1e-5)
        logits = model(x)
    assert 0.05 < logits.std().item() < 10  # O(1) logits at init: it starts trainable at a usual learning rate


@pytest.mark.parametrize("spec", [NetSpec("wrn", 1), NetSpec("resnet18", 8), NetSpec("small_cnn", 4, batchnorm=False)])
def test_channels_last_gives_the_same_output(spec):
    model = built(spec)
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        reference = model(x)
        last = model.to(memory_format=torch.channels_last)(x.contiguous(memory_format=torch.channels_last))
    torch.testing.assert_close(last, reference, rtol=1e-4, atol=1e-5)


def test_build_draws_from_the_global_rng():
    a, b = built(NetSpec("small_cnn", 4), seed=1), built(NetSpec("small_cnn", 4), seed=1)
    c = built(NetSpec("small_cnn", 4), seed=2)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.stages[0][0].weight, c.stages[0][0].weight)


# --- activation noise ----------------------------------------------------------------------------------------------


def test_noisy_relu_is_a_plain_relu_in_eval_mode_and_at_std_zero():
    x = torch.randn(3, 4, 5, 5)
    generator = torch.Generator().manual_seed(0)
    state = generator.get_state()
    assert torch.equal(NoisyReLU(0.0, generator).train()(x), torch.relu(x))
    assert torch.equal(NoisyReLU(0.5, generator).eval()(x), torch.relu(x))
    assert torch.equal(generator.get_state(), state)  # and draws nothing


def test_noise_map_is_shared_over_batch_and_channels_and_has_the_requested_std():
    std = 0.4
    layer = NoisyReLU(std, torch.Generator().manual_seed(0)).train()
    x = torch.full((3, 5, 64, 64), 100.0)  # far above zero: the ReLU passes x + noise unchanged
    noise = (layer(x) - 100.0) / std
    assert torch.allclose(noise, noise[:1, :1].expand_as(noise))  # one (H, W) map for every example and channel
    assert noise[0, 0].std().item() == pytest.approx(1.0, abs=0.05)  # 4096 draws: SE of the std ≈ 0.011
    assert noise[0, 0].mean().item() == pytest.approx(0.0, abs=0.05)
    assert not torch.allclose(layer(x), layer(x))  # redrawn at every forward


def test_noise_on_features_is_shared_over_the_batch():
    layer = NoisyReLU(1.0, torch.Generator().manual_seed(0)).train()
    out = layer(torch.full((4, 6), 50.0))
    assert torch.equal(out, out[:1].expand_as(out)) and out.std() > 0
    with pytest.raises(ValueError, match="2-D or 4-D"):
        layer(torch.zeros(2, 3, 4))


def test_noise_is_reproducible_with_a_seeded_generator_in_any_precision():
    x = torch.randn(2, 3, 8, 8)
    outputs = [NoisyReLU(0.3, torch.Generator().manual_seed(7)).train()(x) for _ in range(2)]
    assert torch.equal(*outputs)
    other = NoisyReLU(0.3, torch.Generator().manual_seed(8)).train()(x)
    assert not torch.equal(outputs[0], other)
    bf16 = NoisyReLU(0.3, torch.Generator().manual_seed(7)).train()(x.bfloat16())
    assert bf16.dtype == torch.bfloat16
    torch.testing.assert_close(bf16.float(), outputs[0], rtol=0.02, atol=0.02)


@pytest.mark.parametrize(
    "spec, count",
    [
        (NetSpec("wrn", 1), 2 * 6 + 1),  # two per block, then the final BN-ReLU
        (NetSpec("wrn", 1, depth=28), 2 * 12 + 1),
        (NetSpec("resnet18", 8), 1 + 2 * 8),  # the stem, then two per block
        (NetSpec("small_cnn", 4), 3),
    ],
)
def test_set_activation_noise_reaches_every_relu(spec, count):
    model = built(spec)
    assert not any(isinstance(m, nn.ReLU) for m in model.modules())
    generator = torch.Generator().manual_seed(0)
    assert set_activation_noise(model, 0.4, generator) == count
    noisy = [m for m in model.modules() if isinstance(m, NoisyReLU)]
    assert all(m.std == 0.4 and m.generator is generator for m in noisy)
    assert set_activation_noise(model, 4e-6) == count  # annealing keeps the generator
    assert all(m.std == 4e-6 and m.generator is generator for m in noisy)


def test_activation_noise_changes_training_outputs_reproducibly():
    model = built(NetSpec("wrn", 1)).train()
    x = torch.randn(4, 3, 16, 16)
    with torch.no_grad():
        clean = model(x)
        runs = []
        for _ in range(2):
            set_activation_noise(model, 0.4, torch.Generator().manual_seed(3))
            runs.append(model(x))
        set_activation_noise(model, 0.0)
        assert torch.equal(model(x), clean)
    assert torch.equal(*runs) and not torch.allclose(runs[0], clean)


# --- errors --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(family="vgg", width=1), "family must be one of"),
        (dict(family="wrn", width=0), "width must be a positive integer, got 0"),
        (dict(family="resnet18", width=2.5), "width must be a positive integer, got 2.5"),
        (dict(family="wrn", width=1, depth=15), "wrn depth must be 6n \\+ 4"),
        (dict(family="wrn", width=1, depth=4), "got 4"),
        (dict(family="wrn", width=1, batchnorm=False), "batchnorm=False is allowed for"),
        (dict(family="wrn", width=1, dropout=1.0), "dropout must be in \\[0, 1\\), got 1.0"),
        (dict(family="small_cnn", width=4, dropout=0.3), "dropout is for family 'wrn' only"),
        (dict(family="small_cnn", width=4, num_classes=0), "num_classes must be a positive integer"),
    ],
)
def test_bad_specs_give_one_line_errors(kwargs, message):
    with pytest.raises(ValueError, match=message) as error:
        NetSpec(**kwargs)
    assert "\n" not in str(error.value)


def test_bad_noise_std_is_rejected():
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="std must be a finite number >= 0"):
            NoisyReLU(bad)
        with pytest.raises(ValueError, match="std must be a finite number >= 0"):
            set_activation_noise(built(NetSpec("small_cnn", 2)), bad)


def test_every_family_builds():
    assert set(FAMILIES) == {"small_cnn", "wrn", "resnet18"}
    for family in FAMILIES:
        assert isinstance(build(NetSpec(family, 2)), nn.Module)


def test_equal_specs_have_equal_configurations():
    import dataclasses
    import json

    a, b = NetSpec("wrn", 2, dropout=0), NetSpec("wrn", 2, dropout=0.0)
    assert json.dumps(dataclasses.asdict(a)) == json.dumps(dataclasses.asdict(b))
