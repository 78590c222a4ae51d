"""Transforms over the tracing core; each is a few lines over ``chainrule.core``."""

from .custom import checkpoint, custom_jvp, custom_vjp, stop_gradient
from .forward_mode import deriv, jvp, linearize, make_jvp
from .jacobians import (
    hessian,
    hessian_tensor_product,
    hessian_vector_product,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    make_ggnvp,
    make_hvp,
)
from .jit import JitFallbackWarning, jit
from .reverse_mode import (
    elementwise_grad,
    grad,
    grad_and_aux,
    grad_named,
    holomorphic_grad,
    make_vjp,
    multigrad_dict,
    tensor_jacobian_product,
    value_and_grad,
    vector_jacobian_product,
    vjp,
)
from .vmap import vmap

__all__ = [
    "checkpoint", "custom_jvp", "custom_vjp", "deriv", "elementwise_grad", "grad",
    "grad_and_aux", "grad_named", "hessian", "hessian_tensor_product", "hessian_vector_product",
    "holomorphic_grad", "hvp", "jacfwd", "jacobian", "jacrev", "jit", "JitFallbackWarning",
    "jvp", "linearize", "make_ggnvp", "make_hvp", "make_jvp", "make_vjp", "multigrad_dict",
    "stop_gradient",
    "tensor_jacobian_product", "value_and_grad", "vector_jacobian_product", "vjp", "vmap",
]
