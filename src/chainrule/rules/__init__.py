"""Primitive families: each module defines primitives with their VJP, JVP and batching rules
side by side. Importing this package registers them all in ``chainrule.core.registry``."""

from . import elementwise, reductions, shape, products  # noqa: F401
