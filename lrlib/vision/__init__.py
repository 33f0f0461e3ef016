"""CIFAR-scale training: CNN families, data on the device, resumable runs (chapters 2 and 4).

One model per run, the whole dataset as one tensor on the device, batched on-device transforms and a checkpoint
after every epoch; runs fan out through :func:`lrlib.sweep.sweep` (:class:`train.CnnRun`). Modules:

``data``        :class:`ImageData` (normalized images on the device), :func:`cifar10`, :func:`epoch_order`
                (counter-based per (seed, epoch)), :class:`CropFlip`, chapter 2's :class:`PatchTransform`
``models``      :class:`NetSpec` → :func:`build`: WRN-d-k (the official code of chapter 2), ResNet-18 with or
                without BatchNorm, a small CNN; every ReLU a :class:`NoisyReLU` (activation noise)
``train``       :class:`RunSpec` → :func:`train_run`: SGD (Nesterov, weight decay, step schedules), activation
                noise, amplified or isotropic gradient noise, full-batch GD, a tidy per-epoch table
``checkpoint``  atomic per-epoch checkpoints: a killed run resumes to the uninterrupted result
``hessian``     the top Hessian eigenvalue by power iteration on Hessian-vector products
``bench``       this trainer against the papers' DataLoader pattern and the compute-only bound
                (``python -m lrlib.bench --cnn``)

Precision: fp32 is the default for every stored result; ``RunSpec(precision="bf16", channels_last=True)`` is a
measured option (validate it against fp32 before it stores results), TF32 on CUDA only when asked.
``torch.compile`` was measured on the CPU and is not used: 1.5× on fp32 steps of the small CNN and WRN-16-1 after
10–25 s of compiling, no gain in bf16, and a graph break at every noisy ReLU.
"""

from .data import CIFAR10_MEAN, CIFAR10_STD, CropFlip, ImageData, PatchTransform, Transform, cifar10, epoch_order
from .models import FAMILIES, NetSpec, NoisyReLU, build, flops_per_image, parameter_count, set_activation_noise
from .train import CnnRun, RunSpec, run_cost, train_run

__all__ = [
    "CIFAR10_MEAN",
    "CIFAR10_STD",
    "FAMILIES",
    "CnnRun",
    "CropFlip",
    "ImageData",
    "NetSpec",
    "NoisyReLU",
    "PatchTransform",
    "RunSpec",
    "Transform",
    "build",
    "cifar10",
    "epoch_order",
    "flops_per_image",
    "parameter_count",
    "set_activation_noise",
    "train_run",
    "run_cost",
]
