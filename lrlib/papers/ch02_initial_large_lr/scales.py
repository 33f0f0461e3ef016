"""Both scales of chapter 2 side by side: the synthetic experiment and the CIFAR-10 settings."""

from dataclasses import dataclass

from . import patch
from .synthetic import SyntheticScale

TITLE = "Chapter 2: the regularization effect of an initial large learning rate"


@dataclass(frozen=True)
class Scale:
    synthetic: SyntheticScale  # parts `map` and `synthetic`
    cifar: patch.CifarSetting  # parts `patch` and `figure1`: the GPU setting; `-cpu` parts: patch.CPU


_SYNTHETIC = dict(d=200, n_train=500, p_margin=0.05, width=128, batch_size=16, weight_decay=1e-4, lr_large=2.0,
                  lr_ratio=10.0)  # fmt: skip

SCALES = {
    # smoke: half the steps, the map's corners, one seed per map cell, three at the pinned point
    "smoke": Scale(
        SyntheticScale(**_SYNTHETIC, n_test=500, steps=2000, anneal_step=1000, checkpoint_every=100, q_margin=0.5,
                       grad_noise=0.0, preact_noise=0.5, seeds=3, map_q_margins=(0.3, 0.5),
                       map_grad_noises=(0.0, 0.04), map_seeds=1),
        patch.SMOKE,
    ),
    "paper": Scale(
        SyntheticScale(**_SYNTHETIC, n_test=2000, steps=4000, anneal_step=2000, checkpoint_every=100, q_margin=0.5,
                       grad_noise=0.0, preact_noise=0.5, seeds=10, map_q_margins=(0.2, 0.3, 0.5, 0.7, 1.0),
                       map_grad_noises=(0.0, 0.01, 0.02, 0.04), map_seeds=2),
        patch.GPU,
    ),
}  # fmt: skip
