"""Assembly and rearrangement beyond the basic shape primitives (tile, repeat, flip, pad, ...)."""

from __future__ import annotations

DIFFERENTIABLE: list = []
NONDIFFERENTIABLE: list = []
