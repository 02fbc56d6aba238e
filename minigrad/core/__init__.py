"""The autodiff core: the Tensor, the Op, the backward walk, and what is built on them.

    tensor.py           Tensor: an array that remembers how it was computed
    op.py               Op: one primitive operation, its forward and its backward
    backward.py         the chain rule, walked: topological order, backward pass, unbroadcast
    grad_mode.py        no_grad and enable_grad: whether ops are recorded
    hooks.py            the handle that register_hook returns
    higher_order.py     grad, hvp, hessian: gradients as values, and derivatives of derivatives
    gradient_check.py   gradcheck, gradgradcheck: derivatives against finite differences
    blame.py            blame: which op's backward is wrong, checked op by op (blame_diagnosis.py: how)
    creation.py         tensor, zeros, ones, randn, manual_seed
    arguments.py        how Python values become arrays: the default dtype, operands, shapes, axes
    errors.py           ShapeError, BadIndexError
"""
