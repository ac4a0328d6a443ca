"""Independent vectorized versions of the layers, used to compute every expected value.

They share no code with helpers/reference.py (the loop solutions students see after the deadline):
forward passes use sliding windows, and the backward passes are numerical gradients (central
differences) of these forward passes. Arrays are channels-last.

What they compute is stored in the checks' data and the notebook, so every sum is taken in an
order fixed here (math.fsum, or element-wise adds in a fixed loop), never by BLAS, einsum or a
SIMD reduction, whose order depends on the CPU: the stored bits are the same on every machine.
"""
import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def zero_pad(X, pad):
    """X (m, n_H, n_W, n_C) -> (m, n_H + 2 pad, n_W + 2 pad, n_C) with a border of zeros."""
    m, n_H, n_W, n_C = X.shape
    out = np.zeros((m, n_H + 2 * pad, n_W + 2 * pad, n_C), dtype=np.result_type(X, np.float64))
    out[:, pad:pad + n_H, pad:pad + n_W, :] = X
    return out


def conv_single_step(a_slice_prev, W, b):
    """(f, f, n_C_prev) window, (f, f, n_C_prev) filter, (1, 1, 1) bias -> float."""
    return math.fsum([*np.ravel(a_slice_prev * W).tolist(), float(np.ravel(b)[0])])


def windows(A, f, stride):
    """A (m, n_H_prev, n_W_prev, n_C) -> view (m, n_H, n_W, n_C, f, f) of every f x f window."""
    view = sliding_window_view(A, (f, f), axis=(1, 2))
    return view[:, ::stride, ::stride]


def conv_forward(A_prev, W, b, hparameters):
    """A_prev (m, n_H_prev, n_W_prev, n_C_prev), W (f, f, n_C_prev, n_C), b (1, 1, 1, n_C) -> Z, cache."""
    f, _, n_C_prev, n_C = W.shape
    patches = windows(zero_pad(A_prev, hparameters["pad"]), f, hparameters["stride"])  # (m, n_H, n_W, n_C_prev, f, f)
    Z = np.zeros(patches.shape[:3] + (n_C,))
    for i in range(f):  # one product per window entry and channel, added in this fixed order
        for j in range(f):
            for c in range(n_C_prev):
                Z += patches[:, :, :, c, i, j, None] * W[i, j, c]
    return Z + np.reshape(b, (1, 1, 1, -1)), (A_prev, W, b, hparameters)


def pool_forward(A_prev, hparameters, mode="max"):
    """A_prev (m, n_H_prev, n_W_prev, n_C) -> A (m, n_H, n_W, n_C), cache."""
    f = hparameters["f"]
    patches = windows(A_prev, f, hparameters["stride"])  # (m, n_H, n_W, n_C, f, f)
    if mode == "max":
        return patches.max(axis=(4, 5)), (A_prev, hparameters)
    total = np.zeros(patches.shape[:4])
    for i in range(f):  # fixed order
        for j in range(f):
            total += patches[..., i, j]
    return total / (f * f), (A_prev, hparameters)


def create_mask_from_window(x):
    """x (f, f) -> boolean (f, f), True at the maximum."""
    return x == x.max()


def distribute_value(dz, shape):
    """A number dz and (n_H, n_W) -> (n_H, n_W) array filled with dz / (n_H n_W)."""
    return np.full(shape, dz / np.prod(shape), dtype=np.float64)


def numerical_gradient(forward, x, upstream, h):
    """Central-difference gradient of sum(forward() * upstream) with respect to the array x (same shape as x).

    forward() recomputes the layer's output from x, which is changed in place and restored.
    Differences are taken on the outputs before the weighted sum, so rounding stays far below
    the checks' tolerance; the layers are linear (conv) or piecewise linear (pooling, away from ties).
    """
    grad = np.zeros(x.shape)
    flat_x, flat_grad = x.reshape(-1), grad.reshape(-1)
    for k in range(flat_x.size):
        saved = flat_x[k]
        flat_x[k] = saved + h
        up = forward()
        flat_x[k] = saved - h
        down = forward()
        flat_x[k] = saved
        flat_grad[k] = math.fsum(np.ravel((up - down) * upstream).tolist()) / (2 * h)
    return grad


def conv_backward(dZ, cache):
    """dZ (m, n_H, n_W, n_C), cache (A_prev, W, b, hparameters) -> dA_prev, dW, db by central differences."""
    A_prev, W, b = (np.array(array, dtype=np.float64) for array in cache[:3])
    hparameters = cache[3]

    def forward():
        return conv_forward(A_prev, W, b, hparameters)[0]

    # Z is linear in each entry of A_prev, W and b: any step is exact, and a large one keeps rounding small
    return tuple(numerical_gradient(forward, x, dZ, h=1.0) for x in (A_prev, W, b))


def pool_backward(dA, cache, mode="max"):
    """dA (m, n_H, n_W, n_C), cache (A_prev, hparameters) -> dA_prev by central differences."""
    A_prev = np.array(cache[0], dtype=np.float64)

    def forward():
        return pool_forward(A_prev, cache[1], mode)[0]

    return numerical_gradient(forward, A_prev, dA, h=1e-4)  # smaller than the gaps between window values
