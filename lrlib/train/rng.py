"""Per-member random streams, drawn on the device: counter-based, so packing never changes a member's draws.

Every random number a member uses is a hash of (its seed, the step, a stream id, an element counter).
A member's minibatches and noise therefore depend only on its own seed, never on which or how many members it is
trained with, nor on the device (integer arithmetic is exact everywhere). The hash is MurmurHash3's 32-bit
finaliser, computed exactly in int64 (products split so nothing overflows).
"""

from __future__ import annotations

import math

import torch

MASK32 = 0xFFFFFFFF
GOLDEN = 0x9E3779B1
# stream ids
BATCH, EPOCH, PREACT, GRAD = 1, 2, 100, 1000
SAMPLING = ("step", "epoch", "replacement")


def _mul32_(h: torch.Tensor, c: int, tmp: torch.Tensor) -> torch.Tensor:
    """In place: h ← h·c mod 2³² for h in [0, 2³²), without int64 overflow (products split in 16-bit halves)."""
    lo, hi = c & 0xFFFF, c >> 16
    torch.mul(h, hi, out=tmp)
    tmp.bitwise_and_(0xFFFF).mul_(65536)
    return h.mul_(lo).add_(tmp).bitwise_and_(MASK32)


def _xorshift_(h: torch.Tensor, k: int, tmp: torch.Tensor) -> torch.Tensor:
    torch.bitwise_right_shift(h, k, out=tmp)
    return h.bitwise_xor_(tmp)


def fmix32_(h: torch.Tensor) -> torch.Tensor:
    """In place: MurmurHash3's finaliser, a bijection of [0, 2³²) with full avalanche (in-place operations,
    since allocating big integer temporaries costs more than the arithmetic on a CPU)."""
    tmp = torch.empty_like(h)
    _xorshift_(h, 16, tmp)
    _mul32_(h, 0x85EBCA6B, tmp)
    _xorshift_(h, 13, tmp)
    _mul32_(h, 0xC2B2AE35, tmp)
    return _xorshift_(h, 16, tmp)


def fmix32(h: torch.Tensor) -> torch.Tensor:
    """:func:`fmix32_` on a copy."""
    return fmix32_(h.clone())


def _fmix32_int(h: int) -> int:
    """:func:`fmix32` of a Python integer (no device tensor, so nothing is copied to the device)."""
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & MASK32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & MASK32
    return h ^ (h >> 16)


def _steps(steps: torch.Tensor | int, device) -> torch.Tensor:
    if isinstance(steps, torch.Tensor):
        return steps.to(torch.int64).reshape(-1)
    return torch.full((1,), int(steps), dtype=torch.int64, device=device)  # a fill, not a host copy


def stream_keys(seeds: torch.Tensor, steps: torch.Tensor | int, stream: int) -> torch.Tensor:
    """A 32-bit key per member and step: [K, S] (``steps`` [S]) or [K, 1] (``steps`` an int)."""
    steps = _steps(steps, seeds.device)
    h = fmix32(seeds.view(-1, 1) ^ _fmix32_int(stream))
    return fmix32(h ^ fmix32((steps.view(1, -1) + 1) & MASK32))


def counter_hash(keys: torch.Tensor, n: int) -> torch.Tensor:
    """n hashed values per key: [*keys.shape, n], each a uniform 32-bit integer."""
    weyl = _mul32_(
        torch.arange(n, dtype=torch.int64, device=keys.device),
        GOLDEN,
        torch.empty(n, dtype=torch.int64, device=keys.device),
    )
    return fmix32_((keys.unsqueeze(-1) + weyl).bitwise_and_(MASK32))


def uniform(keys: torch.Tensor, n: int, dtype: torch.dtype) -> torch.Tensor:
    """Uniform numbers in (0, 1) with 24 random bits: [*keys.shape, n]."""
    return ((counter_hash(keys, n) >> 8).to(dtype) + 0.5) * 2.0**-24


def normal(seeds: torch.Tensor, step: torch.Tensor | int, stream: int, n: int, dtype: torch.dtype) -> torch.Tensor:
    """Standard normal numbers, n per member for this step: [K, n] (Box–Muller on hashed uniforms)."""
    pairs = (n + 1) // 2
    u = uniform(stream_keys(seeds, step, stream)[:, 0], 2 * pairs, dtype)  # [K, 2·pairs]
    radius = torch.sqrt(-2.0 * torch.log(u[:, :pairs]))
    angle = (2 * math.pi) * u[:, pairs:]
    return torch.cat([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1)[:, :n]


def _floyd_ok(n: int, batch_size: int) -> bool:
    return batch_size <= 64 and batch_size * batch_size <= 16 * n


def draws_per_step(n: int, batch_size: int, sampling: str) -> int:
    """How many numbers :func:`batch_indices` keeps per member and step (sizes how many steps are drawn at once):
    B for Floyd's algorithm and draws with replacement, N for the key-sorting paths."""
    if sampling == "replacement" or (sampling == "step" and _floyd_ok(n, batch_size)):
        return 16 * batch_size  # the hashes and their temporaries
    return n


def batch_indices(
    seeds: torch.Tensor, steps: torch.Tensor, n: int, batch_size: int, sampling: str, capturable: bool = False
) -> torch.Tensor:
    """Minibatch indices [K, S, B] for member seeds [K] at steps [S] (int64, on the seeds' device).

    ``"step"``: each step a fresh uniformly random subset of B distinct points, sorted. Small batches
    (B ≤ 64 and B² ≤ 16·N) use Floyd's algorithm (B draws, O(B²) work); larger ones take the B smallest of N
    hashed keys (O(N) work). The choice depends only on N and B, never on the device or the packing;
    ``"epoch"``: each epoch a fresh permutation, cut into N // B batches (a partial last batch is dropped);
    ``"replacement"``: B independent uniform draws.
    ``capturable``: avoid operations that synchronise with the host (for CUDA graph capture).
    """
    steps = _steps(steps, seeds.device)
    n, batch_size = int(n), int(batch_size)
    arange = torch.arange(n, dtype=torch.int64, device=seeds.device)
    if sampling == "replacement":
        h = counter_hash(stream_keys(seeds, steps, BATCH), batch_size)  # [K, S, B]
        return (h * n) >> 32
    if sampling == "step" and _floyd_ok(n, batch_size):
        return _floyd(seeds, steps, n, batch_size)
    if sampling == "step":
        keys = counter_hash(stream_keys(seeds, steps, BATCH), n).mul_(2**31).add_(arange)  # unique [K, S, N]
        return torch.topk(keys, batch_size, dim=-1, largest=False, sorted=False).indices.sort(-1).values
    if sampling == "epoch":
        per_epoch = n // batch_size
        epochs, position = steps // per_epoch, steps % per_epoch
        if epochs.numel() > 1 and not capturable:  # one permutation per distinct epoch; per step when captured
            unique, inverse = torch.unique(epochs, return_inverse=True)
        else:
            unique, inverse = epochs, torch.arange(epochs.numel(), device=seeds.device)
        keys = counter_hash(stream_keys(seeds, unique, EPOCH), n).mul_(2**31).add_(arange)  # [K, U, N]
        perms = torch.argsort(keys, dim=-1)[:, inverse]  # [K, S, N]
        cols = position.view(-1, 1) * batch_size + torch.arange(batch_size, device=seeds.device)  # [S, B]
        return torch.gather(perms, 2, cols.unsqueeze(0).expand(perms.shape[0], -1, -1))
    raise ValueError(f"sampling must be one of {', '.join(map(repr, SAMPLING))}, got {sampling!r}")


def _floyd(seeds: torch.Tensor, steps: torch.Tensor, n: int, b: int) -> torch.Tensor:
    """Floyd's algorithm, vectorised over members and steps: a uniform B-subset of range(n), sorted: [K, S, B].

    For j = n−b, ..., n−1: draw r uniform in [0, j]; take r, or j if r was already taken. Integers in [0, j]
    come from 32-bit hashes as ⌊h·(j+1)/2³²⌋ (bias below (j+1)/2³²)."""
    h = counter_hash(stream_keys(seeds, steps, BATCH), b)  # [K, S, B]
    picks = torch.empty_like(h)
    for i, j in enumerate(range(n - b, n)):
        r = (h[..., i] * (j + 1)) >> 32  # uniform in [0, j]
        if i:
            taken = (picks[..., :i] == r.unsqueeze(-1)).any(-1)
            r = torch.where(taken, j, r)
        picks[..., i] = r
    return picks.sort(-1).values
