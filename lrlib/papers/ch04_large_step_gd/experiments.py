"""The stored parts of chapter 4, cheapest first: the constructions C1–C5, the digits networks, then CIFAR-10
(the paper's GPU setting, and the CPU-feasible setting stored in its place until a GPU run exists)."""

from . import cifar, digits, theory

PARTS = (*theory.PARTS, *digits.PARTS, *cifar.PARTS)
