"""Model families whose parameters carry a leading ensemble axis K: one tensor holds K independent models.

Every family is an :class:`EnsembleModel`. Its parameters are a dict of tensors shaped ``[K, ...]``; member ``k``
is ``{name: p[k] for name, p in params.items()}``. Inputs are either one batch per member, ``x [K, B, *input_shape]``
(training), or one shared set, ``x [N, *input_shape]`` (evaluation; broadcast to every member without copies).
The output ``F(w, x)`` is ``[K, B]`` for a single output (binary tasks, labels ±1) and ``[K, B, C]`` for C classes.

==========================  ========================================================================================
family                      what it is (chapter)
==========================  ========================================================================================
``PatchReLU2``              two-layer ReLU² net over input patches with a fixed ±1/m readout (ch. 1):
                            f = F₊₁ − F₋₁, F_j = (1/m) Σ_r Σ_p relu(⟨w_{j,r}, x⁽ᵖ⁾⟩)²; parameter ``w`` [K, 2, m, d]
                            (``w[:, 0]`` are the +1 neurons, ``w[:, 1]`` the −1 neurons)
``MLP``                     fully connected nets, any depth; ReLU, GELU or ReLU²; with or without biases; standard
                            (PyTorch ``nn.Linear``) or scaled (N(0,1) weights, 1/√fan_in in the forward) layers
``two_layer(d, h, C)``      the one-hidden-layer ReLU net of ch. 3 (784-800-10), ``nn.Linear`` initialization
``alpha_mlp(d, L, h, ...)`` the α-scaled deep MLP of ch. 5: L hidden layers of width h, 1/√fan_in layers, 1/h or
                            1/√h readout, activation normalised to E φ(z)² = 1, output α·(F(w) − F(w0))
``Linear``                  perceptron f = w·x/√d, logistic (one output) or softmax (C outputs) regression
``FunctionalModel``         any small ``nn.Module`` (e.g. a CNN) through ``torch.func`` (``functional_call``, with
                            ``vmap`` or a loop over members) and autograd: slower, general
==========================  ========================================================================================

Hand-written backward passes (``PatchReLU2``, ``MLP``, ``Linear``) are tested against autograd on the same
``forward`` (:meth:`EnsembleModel.autograd_backward`) and against plain per-model PyTorch training.

Initialization is per member, from the member's own seed on a CPU generator, so a member starts from the same
weights whatever it is packed with and on whatever device it runs.

Example
-------
>>> import torch
>>> from lrlib.models import PatchReLU2
>>> model = PatchReLU2(dim=64, width=8, patches=3, sigma0=0.01)
>>> params = model.init(seeds=[0, 1, 2], dtype=torch.float64)   # {"w": [3, 2, 8, 64]}
>>> x = torch.randn(16, 3, 64, dtype=torch.float64)              # 16 points, shared by the 3 members
>>> model.forward(params, x).shape
torch.Size([3, 16])

Models with ``centered=True`` (``alpha_mlp``; ``Linear(centered=True)`` for the ch. 5 perceptron) are trained on
f = α·(F(w, x) − F(w0, x)); ``forward`` returns the raw F(w, x) and the trainer subtracts F(w0, x), which it
computes once per data point, and multiplies by the member's ``alpha``.
"""

from .base import EnsembleModel, Params
from .functional import FunctionalModel
from .linear import Linear
from .mlp import MLP, alpha_mlp, two_layer
from .patch import PatchReLU2

__all__ = ["EnsembleModel", "Params", "PatchReLU2", "MLP", "two_layer", "alpha_mlp", "Linear", "FunctionalModel"]
