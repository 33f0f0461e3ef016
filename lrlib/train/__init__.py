"""The ensemble trainer: many small models, one batched computation, one tidy table.

Public API
----------
``train(model, data, members, *, loss, steps, checkpoints, measure, ...) -> Result``
    Trains every member (one row of ``members``) of an :mod:`lrlib.models` family with SGD and returns
    ``Result.table``: one row per member per checkpoint, the member's hyperparameters as columns.
``Data(x, y, x_test=None, y_test=None)``
    Training (and optional test) set, resident on the device during training. ``y`` holds ±1 for the binary
    losses and class indices for ``cross_entropy``.
``grid(**axes) -> DataFrame``
    Every combination of the given values (scalars are broadcast): a member table.
``LOSSES``
    ``hinge``          relu(1 − y·f)/α             (ch. 5; α = the member's ``alpha``, 1 by default)
    ``squared_margin`` (y·f − 1)²                  (ch. 1; no ½ in front)
    ``logistic``       log(1 + exp(−y·f))
    ``cross_entropy``  −log softmax(f)_y           (ch. 3)
    The batch loss is the mean over the batch; the gradient adds ``weight_decay·w`` (as ``torch.optim.SGD``).

Member columns (one row per member; anything else is carried into the table untouched)
    ``lr`` (required)            learning rate η ≥ 0
    ``batch_size`` (required)    B, 1 ≤ B ≤ N; members are grouped by B (and by loss, sampling, data) automatically
    ``seed`` (required)          the member's own stream: initialization and minibatches (and noise)
    ``init_seed``                initialization only (default: ``seed``), e.g. same init, different batch order
    ``momentum``                 μ in [0, 1), PyTorch convention: v ← μv + g, w ← w − ηv (default 0)
    ``weight_decay``             L2 coefficient λ ≥ 0 added to the gradient as λ·w (default 0)
    ``lr_anneal_step``, ``lr_anneal_factor``      η ← factor·η from that step on (default: never; factor 0.1)
    ``grad_noise``               σ: isotropic Gaussian noise added to the gradient, g + σ·ξ, ξ ~ N(0, I)
    ``grad_noise_anneal_step``, ``grad_noise_anneal_factor``       σ ← factor·σ from that step (default 0)
    ``preact_noise``             σ: Gaussian noise added to every hidden pre-activation, per unit and example
    ``preact_noise_anneal_step``, ``preact_noise_anneal_factor``   σ ← factor·σ from that step (default 0)
    ``alpha``                    output scale α > 0 of centred models, and the 1/α of the hinge loss (default 1)
    ``init_scale``               multiplies the model's initial weights (default 1)
    ``loss``                     overrides ``train(loss=...)`` for this member
    ``steps``                    this member's maximum number of steps (default: ``train(steps=...)``)
    ``sampling``                 ``"step"`` (default: a fresh subset of B distinct points each step), ``"epoch"``
                                 (reshuffle each epoch, N // B steps per epoch) or ``"replacement"``
    ``data``                     key into ``data`` when ``data`` is a dict of several ``Data``

Stopping is an outcome, recorded per member in ``stop_step`` and ``stop_reason``:
``"max_steps"``; ``"fitted"`` (every training point has margin ≥ ``fit_margin``, checked every ``check_every``
steps; margin y·f for one output, f_y − max_{c≠y} f_c for several); ``"diverged"`` (the batch loss became
non-finite). Stopped members are frozen, measured once more (the row with ``final=True``) and dropped from the
batch. A non-finite output always counts as an error.

Table columns: the member's columns, ``member`` (its row in ``members``), ``step``, ``final``, ``stop_step``,
``stop_reason``, ``train_loss``, ``train_error``, ``train_accuracy``, ``train_min_margin``, ``train_unfitted``,
(``test_loss``, ``test_error``, ``test_accuracy`` with a test set), ``weight_norm``, ``weight_change``
(‖w − w0‖), ``rel_weight_change`` (‖w − w0‖/‖w0‖), per-tensor ``norm.<name>`` and ``rel_change.<name>``, and one
column per user measurement.

Example (chapter 1: ReLU² patch net, squared margin loss, batch 1, float64)
--------------------------------------------------------------------------
>>> import torch
>>> from lrlib.models import PatchReLU2
>>> from lrlib.train import Data, grid, train
>>> g = torch.Generator().manual_seed(0)
>>> y = torch.tensor([1.0, -1.0] * 8, dtype=torch.float64)                    # [16]
>>> x = 0.02 * torch.randn(16, 3, 64, generator=g, dtype=torch.float64)       # [16, patches=3, d=64]
>>> x[:, 0, 0] = y                                                            # a strong feature y·u on patch 1
>>> model = PatchReLU2(dim=64, width=8, patches=3, sigma0=0.01)
>>> members = grid(lr=[1.0, 2.5], seed=[0, 1, 2], batch_size=1)                # 6 members
>>> def strong_alignment(params, ctx):                                        # one number per member: [K]
...     return params["w"][:, 0, :, 0].amax(-1)                               # max_r <w_{+1,r}, u>
>>> result = train(model, Data(x, y), members, loss="squared_margin", steps=200, checkpoints=100,
...                measure={"strong_alignment": strong_alignment}, dtype=torch.float64, progress=False)
>>> result.table[["lr", "seed", "step", "train_loss", "strong_alignment"]].shape
(18, 5)

A measurement ``fn(params, ctx)`` gets the members' current parameters (``[k, ...]`` tensors: the k members
still training, in the order of ``ctx.members``) and a :class:`Checkpoint` ``ctx`` (``step``, ``members``,
``params0``, ``model``, ``data``, ``train_output``/``test_output`` = f on the train/test set, and
``output(x)`` for any other inputs); it returns a ``[k]`` tensor or a dict of them (several columns).
Set ``keep_params=True`` for the final parameters (``Result.params``, in member order) and
``record_batch_loss=True`` for every step's batch loss (``Result.batch_loss``, [members, steps]).

Full signature::

    train(model, data, members, *, loss=None, steps=None, checkpoints=None, measure=None, fit_margin=None,
          check_every=100, dtype=torch.float32, device=None, record_batch_loss=False, keep_params=False,
          cuda_graphs=False, progress=True, desc="train") -> Result

Sweeps over many members, stored and resumable, with an optional process pool: :mod:`lrlib.sweep`.

How it runs (for the curious; :mod:`lrlib.train.group`): each batched program keeps parameters, momentum
buffers and hyperparameters as ``[K, ...]`` tensors on the device and runs steps with no host synchronisation;
it syncs only at checkpoints, fit checks and members' last steps. Plain SGD (no momentum, no gradient noise)
applies the update inside the backward pass (one ``baddbmm_`` per layer, gradients never stored).
Minibatches and noise come from counter-based hashes of (seed, step, stream) (:mod:`lrlib.train.rng`), so a
member's minibatches and noise do not depend on its packing or device.
A diverged member stops updating at the step its loss became non-finite; its parameters may hold NaN after
that step, and its rows report the non-finite state (errors count as errors).

What reproduces, exactly (each statement is a test of that name in ``tests/``):

- **The same call twice gives the same numbers, bit for bit,** on one machine with the same thread count.
- **In float64, a diverging member leaves the others of the same call bit-identical** to a call without it: it
  stops updating, and its rows are never mixed into the others' arithmetic. In float32 adding any member, diverging
  or not, can change how the batched products are blocked, so the others agree to rounding (about 1e-6), as below.
- **Packing changes results only by summation order.** A member trained alone, or in a differently composed
  batched program (a sweep whose chunks change when its grid grows), matches itself to rounding: about 1e-12
  relative in float64 and up to about 1e-5 in float32 after a few hundred steps, not bit for bit.
- **Other machines agree to summation order too** (another CPU, BLAS or thread count). Where the dynamics are
  chaotic, at the edge of stability, such rounding differences grow into different runs: one cell of chapter 5's
  phase grid may then fit on one machine and diverge on another. The book's claims therefore rest on seed
  statistics and on tolerances that allow one grid step at the edge, never on one run reproducing bit for bit.
"""

from .data import Data
from .losses import LOSSES
from .members import grid
from .trainer import Checkpoint, Result, train

__all__ = ["train", "Data", "grid", "LOSSES", "Result", "Checkpoint"]
