"""Replaying captured steps as CUDA graphs: one launch for ``length`` SGD steps instead of ~50 per step.

On a GPU, tiny per-member models make each step a few microseconds of work behind tens of microseconds of
Python and kernel-launch overhead; a CUDA graph removes that overhead. The step counter lives on the device and
the graph advances it, so the replayed steps draw the same minibatches and noise as eager steps.
Opt-in (``train(..., cuda_graphs=True)``): measure with ``python -m lrlib.bench`` before relying on it.
"""

from __future__ import annotations

import contextlib
import warnings

import torch

from . import rng


class StepGraphs:
    """Capture ``length`` steps of a :class:`~lrlib.train.group.Group` and replay them.

    ``capture=False`` runs the same device-counter program eagerly instead of capturing it; the tests use it to
    check, without a GPU, that the captured program equals the eager one.
    """

    def __init__(self, group, length: int = 16, capture: bool = True):
        self.group, self.length, self.capture = group, int(length), capture
        self.graph = None
        self.t = None

    def reset(self) -> None:
        """Forget the graph (after the group dropped members, its tensors are new)."""
        self.graph = None

    def _body(self) -> None:
        g = self.group
        steps = self.t + self.offsets  # [length], on the device
        idx = rng.batch_indices(g.h["seed"], steps, g.data.n, g.B, g.sampling, capturable=True)  # [K, L, B]
        for s in range(self.length):
            g.step(self.t, idx[:, s])
            self.t.add_(1)

    def _state(self) -> list[torch.Tensor]:
        g = self.group
        tensors = list(g.params.values()) + list((g.buffers or {}).values())
        return tensors + [g.running, g.stop_step, g.reason, self.t]

    def _capture(self) -> None:
        g = self.group
        self.t = torch.zeros((), dtype=torch.int64, device=g.device)
        self.offsets = torch.arange(self.length, device=g.device)
        if not self.capture:
            self.graph = "eager"
            return
        state = self._state()
        saved = [s.clone() for s in state]
        side = torch.cuda.Stream(device=g.device)
        side.wait_stream(torch.cuda.current_stream(g.device))
        debug = torch.cuda.get_sync_debug_mode()
        torch.cuda.set_sync_debug_mode("error")  # a hidden host sync raises here, before any capture began
        try:
            with torch.cuda.stream(side):  # warm-up: allocator pools, cuBLAS workspaces
                self._body()
        finally:
            torch.cuda.set_sync_debug_mode(debug)
        torch.cuda.current_stream(g.device).wait_stream(side)
        for s, v in zip(state, saved):  # undo the warm-up's steps
            s.copy_(v)
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph):
                self._body()
        except Exception:
            # a failed capture can leave the capture stream current: later eager work must not run on it
            torch.cuda.set_stream(torch.cuda.default_stream(g.device))
            raise
        self.graph = graph

    def run(self, t0: int, t1: int) -> int:
        """Replay whole graphs from step t0 while they fit before t1; return the first step not run."""
        n = (t1 - t0) // self.length
        if n == 0:
            return t0
        with _on(self.group.device):  # graphs capture and replay on the current CUDA device
            if self.graph is None:
                try:
                    self._capture()
                except Exception as err:  # e.g. an operation that cannot be captured: run eagerly
                    warnings.warn(
                        f"CUDA graph capture failed, training eagerly instead: {err}", RuntimeWarning, stacklevel=2
                    )
                    self.graph = "failed"
            if self.graph == "failed":
                return t0
            self.t.fill_(t0)
            for _ in range(n):
                if self.graph == "eager":
                    self._body()
                else:
                    self.graph.replay()
        return t0 + n * self.length


def _on(device: torch.device):
    """``torch.cuda.device(device)`` on CUDA; nothing elsewhere (the tests run the eager program on the CPU)."""
    return torch.cuda.device(device) if device.type == "cuda" else contextlib.nullcontext()
