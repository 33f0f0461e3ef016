"""The stored parts of chapter 2, cheapest first: the synthetic map and pinned point, then CIFAR-10 (the paper's
GPU setting, and the CPU-feasible setting stored in its place until a GPU run exists)."""

from . import patch, synthetic

PARTS = (*synthetic.PARTS, *patch.PARTS)
