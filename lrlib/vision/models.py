"""CNN families for CIFAR-scale training: WRN-d-k (chapter 2), ResNet-18 with or without BatchNorm (chapter 4), a
small CNN (smoke scale). One model per run; every ReLU is a :class:`NoisyReLU` (chapter 2's activation noise).

==============  =======================================================================================================
family          structure (``NetSpec`` fields that apply)
==============  =======================================================================================================
``wrn``         WRN-``depth``-``width`` as in chapter 2's official ``wideresnet``: 3×3 conv (16), three stages of
                (depth − 4)/6 pre-activation blocks BN-ReLU-conv3×3-BN-ReLU-(dropout)-conv3×3 with 16k, 32k, 64k
                channels (strides 1, 2, 2), final BN-ReLU, global average pool, linear. Where a block changes the
                channels its shortcut is a 1×1 conv of the *activated* input, otherwise the identity; so at k = 1
                the first block (16 → 16) has an identity shortcut, as in the official code.
``resnet18``    the usual CIFAR ResNet-18: 3×3 stem conv (``width`` channels; 64 is the standard net), no max-pool,
                post-activation BasicBlocks [2, 2, 2, 2] with ``width``·(1, 2, 4, 8) channels (strides 1, 2, 2, 2),
                1×1-conv shortcut where the shape changes, global average pool, linear. ``batchnorm=False``: no
                BatchNorm modules, convs with biases (chapter 4's network; see :func:`build` for its init).
``small_cnn``   conv(w)-BN-ReLU-maxpool, conv(2w)-BN-ReLU-maxpool, conv(4w)-BN-ReLU, global average pool, linear
                (``batchnorm`` optional); 3×3 convs.
==============  =======================================================================================================

Every net is ``stem → stages → head → global average pool → fc``; ``model.stages[i]`` is stage i, so a forward hook on
it sees that stage's output. The pool is global, so any input of at least 8×8 (16×16 for ResNet-18) works.

Example
-------
>>> import torch
>>> from lrlib.vision.models import NetSpec, build, set_activation_noise
>>> net = build(NetSpec("wrn", width=1))                       # WRN-16-1
>>> set_activation_noise(net, 0.4, torch.Generator().manual_seed(0))   # 2 per block × 6 blocks + the final one
13
>>> net(torch.randn(2, 3, 32, 32)).shape
torch.Size([2, 10])
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

FAMILIES = ("small_cnn", "wrn", "resnet18")


@dataclass(frozen=True)
class NetSpec:
    """Which network: ``family`` (one of :data:`FAMILIES`) and its size.

    ``width``: the WRN widen factor k (WRN-16-k), ResNet-18's base channels (64 = the standard net), the small CNN's
    base channels. ``depth``: WRN only, 6n + 4 (ignored by the other families). ``batchnorm``: ResNet-18 and the small
    CNN may drop it (WRN may not). ``dropout``: WRN only, in [0, 1).
    """

    family: str
    width: int
    depth: int = 16
    batchnorm: bool = True
    dropout: float = 0.0
    num_classes: int = 10

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {FAMILIES}, got {self.family!r}")
        if not _positive_int(self.width):
            raise ValueError(f"width must be a positive integer, got {self.width!r}")
        if not _positive_int(self.num_classes):
            raise ValueError(f"num_classes must be a positive integer, got {self.num_classes!r}")
        if self.family == "wrn" and not (_positive_int(self.depth) and self.depth >= 10 and (self.depth - 4) % 6 == 0):
            raise ValueError(f"wrn depth must be 6n + 4 with n >= 1 (10, 16, 22, 28, ...), got {self.depth!r}")
        if self.family == "wrn" and not self.batchnorm:
            raise ValueError("batchnorm=False is allowed for 'resnet18' and 'small_cnn' only, got family 'wrn'")
        if not (isinstance(self.dropout, numbers.Real) and 0.0 <= self.dropout < 1.0):
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")
        object.__setattr__(self, "dropout", float(self.dropout))  # 0 and 0.0 must give the same store key
        if self.dropout > 0 and self.family != "wrn":
            raise ValueError(f"dropout is for family 'wrn' only, got dropout={self.dropout} for {self.family!r}")


def _positive_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value > 0


class NoisyReLU(nn.Module):
    """ReLU with optional Gaussian noise added to its input in training mode: relu(x + std·n).

    For a 4-D input the noise n ~ N(0, 1) has shape (1, 1, H, W): one spatial map shared by every example and every
    channel, redrawn at every forward (the form of chapter 2's official code); for a 2-D input (1, F). It is drawn in
    float32 from ``generator`` (the global RNG if None) on the generator's device, then moved to the input's device
    and dtype, so a seeded generator gives the same noise whatever the precision. In eval mode, or at std 0, it is a
    plain ReLU and draws nothing.
    """

    def __init__(self, std: float = 0.0, generator: torch.Generator | None = None):
        super().__init__()
        self.std = _check_std(std)
        self.generator = generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.std == 0.0:
            return F.relu(x)
        return F.relu(x + self.std * self.noise_like(x))

    def noise_like(self, x: torch.Tensor) -> torch.Tensor:
        """One draw of the unscaled noise n for input ``x`` (broadcastable to it)."""
        if x.dim() == 4:
            shape = (1, 1, x.shape[2], x.shape[3])
        elif x.dim() == 2:
            shape = (1, x.shape[1])
        else:
            raise ValueError(f"NoisyReLU noise needs a 2-D or 4-D input, got {x.dim()}-D")
        device = x.device if self.generator is None else self.generator.device
        noise = torch.randn(shape, generator=self.generator, device=device, dtype=torch.float32)
        return noise.to(device=x.device, dtype=x.dtype)

    def extra_repr(self) -> str:
        return f"std={self.std}"


def _check_std(std) -> float:
    if not (isinstance(std, numbers.Real) and math.isfinite(std) and std >= 0):
        raise ValueError(f"activation noise std must be a finite number >= 0, got {std!r}")
    return float(std)


def set_activation_noise(model: nn.Module, std: float, generator: torch.Generator | None = None) -> int:
    """Set the noise std of every :class:`NoisyReLU` in ``model``; returns how many there are.

    ``generator``: the noise source for all of them; None keeps each module's current generator (so annealing the
    std does not detach a seeded generator).
    """
    std = _check_std(std)
    count = 0
    for module in model.modules():
        if isinstance(module, NoisyReLU):
            module.std = std
            if generator is not None:
                module.generator = generator
            count += 1
    return count


def _conv3x3(c_in: int, c_out: int, stride: int = 1, bias: bool = False) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, kernel_size=3, stride=stride, padding=1, bias=bias)


def _norm(channels: int, batchnorm: bool) -> nn.Module:
    return nn.BatchNorm2d(channels) if batchnorm else nn.Identity()


class WideBlock(nn.Module):
    """WRN pre-activation block; the shortcut of a channel-changing block is a 1×1 conv of relu(bn1(x))."""

    def __init__(self, c_in: int, c_out: int, stride: int, dropout: float):
        super().__init__()
        self.bn1, self.relu1 = nn.BatchNorm2d(c_in), NoisyReLU()
        self.conv1 = _conv3x3(c_in, c_out, stride)
        self.bn2, self.relu2 = nn.BatchNorm2d(c_out), NoisyReLU()
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.conv2 = _conv3x3(c_out, c_out)
        self.shortcut = None if c_in == c_out else nn.Conv2d(c_in, c_out, kernel_size=1, stride=stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        activated = self.relu1(self.bn1(x))
        skip = x if self.shortcut is None else self.shortcut(activated)
        out = self.dropout(self.relu2(self.bn2(self.conv1(activated))))
        return skip + self.conv2(out)


class ResBlock(nn.Module):
    """ResNet post-activation BasicBlock: relu(bn2(conv2(relu(bn1(conv1 x)))) + shortcut(x))."""

    def __init__(self, c_in: int, c_out: int, stride: int, batchnorm: bool):
        super().__init__()
        bias = not batchnorm
        self.conv1, self.bn1, self.relu1 = _conv3x3(c_in, c_out, stride, bias), _norm(c_out, batchnorm), NoisyReLU()
        self.conv2, self.bn2 = _conv3x3(c_out, c_out, 1, bias), _norm(c_out, batchnorm)
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:
            conv = nn.Conv2d(c_in, c_out, kernel_size=1, stride=stride, bias=bias)
            self.shortcut = nn.Sequential(conv, _norm(c_out, batchnorm))
        self.relu2 = NoisyReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu1(self.bn1(self.conv1(x)))
        return self.relu2(self.bn2(self.conv2(out)) + self.shortcut(x))


class StagedNet(nn.Module):
    """stem → stages → head → global average pool → linear; the families differ in their parts."""

    def __init__(self, stem: nn.Module, stages: list[nn.Module], head: nn.Module, features: int, num_classes: int):
        super().__init__()
        self.stem = stem
        self.stages = nn.Sequential(*stages)
        self.head = head
        self.fc = nn.Linear(features, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.head(self.stages(self.stem(x)))
        return self.fc(F.adaptive_avg_pool2d(out, 1).flatten(1))


def _wrn(spec: NetSpec) -> StagedNet:
    blocks_per_stage = (spec.depth - 4) // 6
    channels = [16, 16 * spec.width, 32 * spec.width, 64 * spec.width]
    stages = []
    for stage, stride in enumerate((1, 2, 2)):
        c_in, c_out = channels[stage], channels[stage + 1]
        blocks = [WideBlock(c_in, c_out, stride, spec.dropout)]
        blocks += [WideBlock(c_out, c_out, 1, spec.dropout) for _ in range(blocks_per_stage - 1)]
        stages.append(nn.Sequential(*blocks))
    head = nn.Sequential(nn.BatchNorm2d(channels[3]), NoisyReLU())
    return StagedNet(_conv3x3(3, channels[0]), stages, head, channels[3], spec.num_classes)


def _resnet18(spec: NetSpec) -> StagedNet:
    w, bn = spec.width, spec.batchnorm
    stem = nn.Sequential(_conv3x3(3, w, bias=not bn), _norm(w, bn), NoisyReLU())
    stages, c_in = [], w
    for c_out, stride in ((w, 1), (2 * w, 2), (4 * w, 2), (8 * w, 2)):
        stages.append(nn.Sequential(ResBlock(c_in, c_out, stride, bn), ResBlock(c_out, c_out, 1, bn)))
        c_in = c_out
    return StagedNet(stem, stages, nn.Identity(), 8 * w, spec.num_classes)


def _small_cnn(spec: NetSpec) -> StagedNet:
    w, bn = spec.width, spec.batchnorm
    unit = lambda c_in, c_out: [_conv3x3(c_in, c_out, bias=not bn), _norm(c_out, bn), NoisyReLU()]
    stages = [
        nn.Sequential(*unit(3, w), nn.MaxPool2d(2)),
        nn.Sequential(*unit(w, 2 * w), nn.MaxPool2d(2)),
        nn.Sequential(*unit(2 * w, 4 * w)),
    ]
    return StagedNet(nn.Identity(), stages, nn.Identity(), 4 * w, spec.num_classes)


_BUILDERS = {"wrn": _wrn, "resnet18": _resnet18, "small_cnn": _small_cnn}


def build(spec: NetSpec) -> nn.Module:
    """The network of ``spec``, initialized on the current default device and dtype (draws from the global RNG).

    With BatchNorm (as chapter 2's code): convs He-normal with fan_out, N(0, 2/(k²·c_out)); BN weight 1, bias 0;
    the linear layer's weight PyTorch's default, its bias 0.
    Without BatchNorm (chapter 4's ResNet-18, and the small CNN) — a reconstruction, the paper does not give it:
    convs He-normal with fan_in, N(0, 2/(k²·c_in)), biases 0, which keeps the forward scale without BN; and the last
    conv of every residual branch starts at zero (as in Fixup/SkipInit), so each block starts as its shortcut and the
    depth does not blow up the output. Without that, 8 blocks of He-initialized branches grow the logits by orders
    of magnitude and SGD at a usual learning rate diverges.
    """
    model = _BUILDERS[spec.family](spec)
    conv_mode = "fan_out" if spec.batchnorm else "fan_in"
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode=conv_mode, nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Linear):
            nn.init.zeros_(module.bias)
    if not spec.batchnorm:
        for module in model.modules():
            if isinstance(module, ResBlock):
                nn.init.zeros_(module.conv2.weight)
    return model


def parameter_count(spec: NetSpec) -> int:
    """Number of trainable parameters (BatchNorm running statistics excluded); builds nothing real."""
    with torch.device("meta"):
        model = build(spec)
    return sum(p.numel() for p in model.parameters())


def flops_per_image(spec: NetSpec, *, training: bool = True, image_size: int = 32) -> float:
    """FLOPs per image: 2 × the forward multiply-adds of the convs and the linear layer (BN, ReLU, pooling and adds,
    under 1 % here, are left out), × 3 for a training step (forward + backward), for ``image_size``² inputs."""
    with torch.device("meta"):
        model = build(spec).eval()
    macs = []

    def count(module, inputs, output):
        if isinstance(module, nn.Conv2d):
            per_output = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
        else:
            per_output = module.in_features
        macs.append(output[0].numel() * per_output)

    for module in model.modules():
        if isinstance(module, nn.Conv2d | nn.Linear):
            module.register_forward_hook(count)
    with torch.no_grad():
        model(torch.empty(1, 3, image_size, image_size, device="meta"))
    return 2.0 * sum(macs) * (3 if training else 1)
