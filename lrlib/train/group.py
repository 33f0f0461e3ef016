"""One batched program: the members that share a data set, batch size, loss and sampling mode.

State lives on the device as ``[K, ...]`` tensors. Steps run without host synchronisation; the host looks at
the state only at sync points (checkpoints, fit checks, members' last steps), where stopped members are
measured one last time and, once enough have stopped, dropped from the batch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import torch

from ..models.base import EnsembleModel, per_member
from . import losses, rng
from .data import Data
from .graphs import StepGraphs
from .measure import Checkpoint, data_metrics, outputs, user_metrics, weight_metrics
from .members import hyper_tensors

RUNNING, MAX_STEPS, FITTED, DIVERGED = 0, 1, 2, 3
REASONS = {MAX_STEPS: "max_steps", FITTED: "fitted", DIVERGED: "diverged"}
#: random numbers drawn at once for the minibatches of several steps
INDEX_BUDGET = 1 << 21
#: drop stopped members once this fraction of the batch has stopped
DROP_FRACTION = 0.25


class Group:
    """Train the members ``table`` (normalised member rows, index = member id) of one batched program."""

    def __init__(
        self,
        model: EnsembleModel,
        data: Data,
        table: pd.DataFrame,
        *,
        loss: str,
        batch_size: int,
        sampling: str,
        dtype: torch.dtype,
        device: torch.device,
        fit_margin: float | None,
        measure: Mapping[str, Callable],
        record_batch_loss: bool,
        keep_params: bool,
        cuda_graphs: bool = False,
    ):
        self.model, self.data, self.table, self.loss = model, data, table, loss
        self.B, self.sampling, self.dtype, self.device = batch_size, sampling, dtype, device
        self.fit_margin, self.measure, self.record_batch_loss = fit_margin, measure, record_batch_loss
        self.keep_params = keep_params
        self.ids = table.index.to_numpy()  # member ids of the current slots
        self.h = hyper_tensors(table, dtype, device)  # [K] each
        self.params = model.init(
            table["init_seed"].tolist(), dtype=dtype, device=device, init_scale=table["init_scale"].to_numpy(np.float64)
        )
        self.params0 = {n: p.clone() for n, p in self.params.items()}
        self.momentum = bool((table["momentum"] > 0).any())
        self.grad_noise = bool((table["grad_noise"] > 0).any())
        self.weight_decay = bool((table["weight_decay"] > 0).any())
        self.preact_noise = bool((table["preact_noise"] > 0).any())
        self.lr_anneal = bool(table["lr_anneal_step"].notna().any())
        self.fused = not (self.momentum or self.grad_noise)  # update inside the backward pass
        self.buffers = None if self.fused else {n: torch.zeros_like(p) for n, p in self.params.items()}
        self.scale_output = model.centered or bool((table["alpha"] != 1).any())
        self.f0_train = self.f0_test = None
        if model.centered:  # F(w0, x) once per data point
            self.f0_train = outputs(model, self.params0, data.x)
            self.f0_test = outputs(model, self.params0, data.x_test) if data.has_test else None
        K = len(table)
        self.running = torch.ones(K, dtype=torch.bool, device=device)
        self.stop_step = torch.full((K,), -1, dtype=torch.int64, device=device)
        self.reason = torch.zeros(K, dtype=torch.int8, device=device)
        self.running_host = np.ones(K, dtype=bool)
        self.stops: dict[int, tuple[int, str]] = {}  # member id -> (stop step, reason)
        self.rows: list[pd.DataFrame] = []
        self.final_params: dict[int, dict[str, torch.Tensor]] = {}
        self.batch_loss: dict[int, np.ndarray] = {}
        self.steps_host = table["steps"].to_numpy(np.int64)
        self.graphs = StepGraphs(self) if cuda_graphs and device.type == "cuda" and not record_batch_loss else None

    # ---- one SGD step -----------------------------------------------------------------------------------
    def _factor(self, t: int | torch.Tensor, step_col: str, factor_col: str) -> torch.Tensor:
        """[K]: 1 before the member's step ``step_col``, its ``factor_col`` from then on."""
        return torch.where(self.h[step_col] <= t, self.h[factor_col], 1.0)

    def step(self, t: int | torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        """SGD step t for every member on its batch ``idx`` [K, B]; returns the batch loss [K].

        ``t`` is an int, or a 0-dim device tensor when the step is captured in a CUDA graph; the state
        (parameters, buffers, running, stop step, reason) is updated in place."""
        model, h, p = self.model, self.h, self.params
        x, y = self.data.x[idx], self.data.y[idx]  # [K, B, ...], [K, B]
        noise = None
        if self.preact_noise:
            sigma = h["preact_noise"] * self._factor(t, "preact_noise_anneal_step", "preact_noise_anneal_factor")
            seeds = h["seed"]

            def noise(layer: int, z: torch.Tensor) -> torch.Tensor:
                xi = rng.normal(seeds, t, rng.PREACT + layer, z[0].numel(), z.dtype).view_as(z)
                return per_member(sigma, z) * xi

        F, cache = model.forward_train(p, x, noise)
        if self.scale_output:
            if self.f0_train is not None:
                F = F - (
                    torch.gather(self.f0_train, 1, idx)
                    if F.dim() == 2
                    else torch.gather(self.f0_train, 1, idx.unsqueeze(-1).expand(-1, -1, F.shape[-1]))
                )
            alpha = per_member(h["alpha"], F)
            loss, dF = losses.mean_and_grad(self.loss, alpha * F, y, h["alpha"])
            dF = dF * alpha
        else:
            loss, dF = losses.mean_and_grad(self.loss, F, y, h["alpha"])
        recorded = torch.where(self.running, loss, math.nan) if self.record_batch_loss else None
        bad = torch.isnan(loss - loss).logical_and_(self.running)  # non-finite: diverged now
        # where, not masked_fill_: CUDA's masked_fill_ with a tensor t (the captured step counter) calls .item()
        self.stop_step.copy_(torch.where(bad, t, self.stop_step))
        self.reason.masked_fill_(bad, DIVERGED)
        self.running.logical_and_(~bad)
        lr = h["lr"] * self.running
        if self.lr_anneal:
            lr = lr * self._factor(t, "lr_anneal_step", "lr_anneal_factor")
        wd = h["weight_decay"] if self.weight_decay else None
        if self.fused:
            model.backward_apply(p, cache, dF, lr, wd)
            return recorded
        # momentum, or gradient noise: v ← μ·v + ∇L + wd·w + σ·ξ, then w ← w − lr·v (torch.optim.SGD's order)
        model.accumulate(p, cache, dF, self.buffers, h["momentum"])
        if self.grad_noise:
            grad_sigma = h["grad_noise"] * self._factor(t, "grad_noise_anneal_step", "grad_noise_anneal_factor")
        for i, (name, w) in enumerate(p.items()):
            buf = self.buffers[name]
            if wd is not None:
                buf.addcmul_(w, per_member(wd, w))
            if self.grad_noise:
                xi = rng.normal(h["seed"], t, rng.GRAD + i, w[0].numel(), w.dtype).view_as(w)
                buf.addcmul_(xi, per_member(grad_sigma, w))
            w.addcmul_(buf, per_member(-lr, w))
        return recorded

    def run_steps(self, t0: int, t1: int) -> None:
        """Steps t0..t1−1: replayed CUDA graphs if enabled, else eager steps with minibatch indices drawn for
        several steps at once."""
        if self.graphs is not None:
            t0 = self.graphs.run(t0, t1)
        K, N = len(self.ids), self.data.n
        chunk = min(256, max(1, INDEX_BUDGET // max(1, K * rng.draws_per_step(N, self.B, self.sampling))))
        for c0 in range(t0, t1, chunk):
            c1 = min(t1, c0 + chunk)
            steps = torch.arange(c0, c1, device=self.device)
            idx = rng.batch_indices(self.h["seed"], steps, N, self.B, self.sampling)  # [K, S, B]
            recorded = [self.step(t, idx[:, s]) for s, t in enumerate(range(c0, c1))]
            if self.record_batch_loss:
                block = torch.stack(recorded, 1).cpu().numpy()
                for slot, member in enumerate(self.ids):
                    self.batch_loss.setdefault(member, []).append((c0, block[slot]))

    # ---- sync points ------------------------------------------------------------------------------------
    def sync(self, t: int, check: bool, checkpoint: bool) -> None:
        """At step t: stop members at their last step or fitted, measure stopped ones (final rows) and, at a
        checkpoint, the running ones; drop stopped members once enough have stopped."""
        running = self.running.cpu().numpy()
        stop_step = self.stop_step.cpu().numpy()
        reason = self.reason.cpu().numpy()
        at_max = running & (self.steps_host <= t)
        running = running & ~at_max
        stop_step[at_max], reason[at_max] = t, MAX_STEPS
        newly = self.running_host & ~running  # stopped since the last sync
        want = newly | (running if (check or checkpoint) else np.zeros_like(running))
        slots = np.flatnonzero(want)
        if len(slots):
            sel = torch.as_tensor(slots, device=self.device)
            f_train = self._f(sel, self.data.x, self.f0_train)
            fitted = np.zeros_like(running)
            if check and self.fit_margin is not None:
                m = losses.margins(self.loss, f_train, self.data.y.unsqueeze(0).expand(len(slots), -1))
                ok = (m >= self.fit_margin).all(1).cpu().numpy() & running[slots]
                fitted[slots[ok]] = True
                running &= ~fitted
                stop_step[fitted], reason[fitted] = t, FITTED
            final = newly | fitted
            pos = {s: i for i, s in enumerate(slots)}
            final_slots = np.flatnonzero(final)
            if len(final_slots):
                self._rows(final_slots, f_train[[pos[s] for s in final_slots]], stop_step[final_slots], t, True)
                for s in final_slots:
                    self.stops[int(self.ids[s])] = (int(stop_step[s]), REASONS[int(reason[s])])
                if self.keep_params:  # one copy per tensor, not per member
                    sel_final = torch.as_tensor(final_slots, device=self.device)
                    host = {n: p[sel_final].cpu() for n, p in self.params.items()}
                    for i, s in enumerate(final_slots):
                        self.final_params[int(self.ids[s])] = {n: v[i] for n, v in host.items()}
            if checkpoint and running.any():
                keep = np.flatnonzero(running)
                self._rows(keep, f_train[[pos[s] for s in keep]], np.full(len(keep), t), t, False)
        self.running_host = running
        self.running.copy_(torch.as_tensor(running))  # in place: a captured graph holds these
        self.stop_step.copy_(torch.as_tensor(stop_step))
        self.reason.copy_(torch.as_tensor(reason))
        stopped = (~running).sum()
        if stopped and (stopped >= DROP_FRACTION * len(running) or not running.any()):
            self._keep(np.flatnonzero(running))

    def _f(self, sel: torch.Tensor, x: torch.Tensor, f0: torch.Tensor | None) -> torch.Tensor:
        """f = α·(F(w) − F(w0)) of the selected slots on a whole set x."""
        f = outputs(self.model, {n: p[sel] for n, p in self.params.items()}, x)
        if f0 is not None:
            f = f - f0[sel]
        if self.scale_output:
            f = f * self.h["alpha"][sel].view(-1, *([1] * (f.dim() - 1)))
        return f

    def _rows(self, slots: np.ndarray, f_train: torch.Tensor, steps: np.ndarray, t: int, final: bool) -> None:
        sel = torch.as_tensor(slots, device=self.device)
        params = {n: p[sel] for n, p in self.params.items()}
        params0 = {n: p[sel] for n, p in self.params0.items()}
        alpha = self.h["alpha"][sel]
        cols = data_metrics("train", self.loss, f_train, self.data.y, alpha, self.fit_margin)
        f_test = None
        if self.data.has_test:
            f_test = self._f(sel, self.data.x_test, self.f0_test)
            cols.update(data_metrics("test", self.loss, f_test, self.data.y_test, alpha, None))
        cols.update(weight_metrics(params, params0))
        out = {"member": self.ids[slots], "step": steps.astype(np.int64), "final": np.full(len(slots), final)}
        out.update({k: v.detach().to("cpu", torch.float64).numpy() for k, v in cols.items()})
        if self.measure:
            members = self.table.loc[self.ids[slots]].reset_index(names="member")
            ctx = Checkpoint(
                step=t,
                final=final,
                members=members,
                params=params,
                params0=params0,
                model=self.model,
                data=self.data,
                alpha=alpha,
                train_output=f_train,
                test_output=f_test,
            )
            out.update(user_metrics(self.measure, params, ctx))
        self.rows.append(pd.DataFrame(out))

    def _keep(self, slots: np.ndarray) -> None:
        """Drop every slot not in ``slots`` from the batch."""
        sel = torch.as_tensor(slots, dtype=torch.int64, device=self.device)
        take = lambda d: None if d is None else {n: v[sel] for n, v in d.items()}  # noqa: E731
        self.params, self.params0, self.buffers, self.h = (
            take(self.params),
            take(self.params0),
            take(self.buffers),
            take(self.h),
        )
        self.f0_train = None if self.f0_train is None else self.f0_train[sel]
        self.f0_test = None if self.f0_test is None else self.f0_test[sel]
        self.running, self.stop_step, self.reason = self.running[sel], self.stop_step[sel], self.reason[sel]
        self.ids, self.running_host, self.steps_host = self.ids[slots], self.running_host[slots], self.steps_host[slots]
        if self.graphs is not None:
            self.graphs.reset()  # the captured tensors are gone

    # ---- the whole run ----------------------------------------------------------------------------------
    def run(self, checkpoints: set[int] | int, check_every: int, on_progress: Callable[[int], None]) -> None:
        """Train until every member has stopped; ``on_progress(n)`` reports n more member-steps done."""
        t, done = 0, 0
        while True:
            is_ckpt = (t % checkpoints == 0) if isinstance(checkpoints, int) else (t in checkpoints)
            self.sync(t, check=self.fit_margin is not None and t % check_every == 0, checkpoint=is_ckpt)
            progress = sum(int(self.table.at[m, "steps"]) for m in self.stops) + t * int(self.running_host.sum())
            on_progress(progress - done)
            done = progress
            if not self.running_host.any():
                break
            nxt = [int(self.steps_host[self.running_host].min())]
            nxt.append(
                (t // checkpoints + 1) * checkpoints
                if isinstance(checkpoints, int)
                else min([c for c in checkpoints if c > t], default=nxt[0])
            )
            if self.fit_margin is not None:
                nxt.append((t // check_every + 1) * check_every)
            t_next = min(nxt)
            self.run_steps(t, t_next)
            t = t_next
