"""Primitive families: each module defines primitives with their VJP, JVP and batching rules
side by side, and two explicit lists of the public names it provides: ``DIFFERENTIABLE`` and
``NONDIFFERENTIABLE``. ``chainrule.numpy`` is assembled from ``NUMPY_FAMILIES``."""

from . import (
    assembly,
    creation,
    differences,
    elementwise,
    polynomial,
    products,
    reductions,
    shape,
    sorting,
    statistics,
    utilities,
)

NUMPY_FAMILIES = [elementwise, reductions, shape, assembly, sorting, products, creation,
                  differences, statistics, polynomial, utilities]

from . import identity_seed  # noqa: E402  (after the families it decorates)

identity_seed.install()
