"""Both scales of every part of chapter 4, side by side (each area defines its own dataclass with units)."""

from dataclasses import dataclass

from . import cifar, digits, theory

TITLE = "Chapter 4: gradient descent with large step sizes"


@dataclass(frozen=True)
class Scale:
    theory: theory.TheoryScale  # C1–C5: grids of initializations and step sizes [reconstructed]
    digits: digits.DigitsScale  # MLP on scikit-learn digits, SGD and GD arms [reconstructed]
    cifar: cifar.CifarScale  # part `cifar`: the paper's setting (a GPU); part `cifar-cpu`: cifar.CPU


SCALES = {name: Scale(theory.SCALES[name], digits.SCALES[name], cifar.SCALES[name]) for name in ("smoke", "paper")}
