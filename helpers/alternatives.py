"""Correct solutions written differently from the instructor's: the grade must not depend on the style.

Each variant below is a whole function as a student could type it into the solution cell:
vectorized forms (sliding_window_view, einsum, tensordot), other loop orders, loops vectorized
over the channels, masks of 0/1 integers, np.full, a conv_single_step that returns a numpy
scalar or a (1, 1, 1) array, a conv_forward that pads with np.pad instead of calling zero_pad,
and implementations that keep float32 inputs in float32. A variant is named
`<function>__<how>`; its source is handed out renamed to `<function>`. Variants that only work
together (a conv_single_step returning an array and a conv_forward that copes with it) form one
Alternative. The tests check every Alternative in process, and grade for real the complete
submissions of SETS, which use every variant once; all must keep full marks.
Arrays are channels-last: (m, n_H, n_W, n_C).
"""
import inspect
from dataclasses import dataclass

import numpy as np


# --------------------------------------------------------------------------------------------
# zero_pad

def zero_pad__slice_assign(X, pad):
    """Zeros of the padded shape in X's dtype (float32 stays float32), X copied into the middle."""
    m, n_H, n_W, n_C = X.shape
    X_pad = np.zeros((m, n_H + 2 * pad, n_W + 2 * pad, n_C), dtype=X.dtype)
    X_pad[:, pad:pad + n_H, pad:pad + n_W, :] = X
    return X_pad


def zero_pad__pad_list(X, pad):
    """np.pad with a list of (before, after) pairs and its default mode, constant zeros."""
    return np.pad(X, [(0, 0), (pad, pad), (pad, pad), (0, 0)])


# --------------------------------------------------------------------------------------------
# conv_single_step

def conv_single_step__numpy_scalar(a_slice_prev, W, b):
    """Returns a numpy float64 scalar, not a Python float."""
    return np.sum(a_slice_prev * W) + b.item()


def conv_single_step__tensordot(a_slice_prev, W, b):
    """The window's dot product with the filter over all three axes, plus b[0, 0, 0]."""
    return np.tensordot(a_slice_prev, W, axes=3) + b[0, 0, 0]


def conv_single_step__array(a_slice_prev, W, b):
    """Returns the (1, 1, 1) array np.sum(...) + b, as the classic exercise's code does."""
    s = a_slice_prev * W
    Z = np.sum(s)
    Z = Z + b
    return Z


# --------------------------------------------------------------------------------------------
# conv_forward

def conv_forward__item(A_prev, W, b, hparameters):
    """The instructor's loops, storing conv_single_step(...).item(): works when that returns an array."""
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride, pad = hparameters["stride"], hparameters["pad"]
    n_H = int((n_H_prev - f + 2 * pad) / stride) + 1
    n_W = int((n_W_prev - f + 2 * pad) / stride) + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)  # noqa: F821 (the student's zero_pad, defined in the notebook)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    window = A_prev_pad[i, h * stride:h * stride + f, w * stride:w * stride + f, :]
                    Z[i, h, w, c] = conv_single_step(window, W[..., c], b[..., c]).item()  # noqa: F821
    cache = (A_prev, W, b, hparameters)
    return Z, cache


def conv_forward__channels_np_pad(A_prev, W, b, hparameters):
    """np.pad instead of zero_pad; all filters at once with tensordot; float32 inputs give float32."""
    m, n_H_prev, n_W_prev, _ = A_prev.shape
    f, _, _, n_C = W.shape
    stride, pad = hparameters["stride"], hparameters["pad"]
    n_H = (n_H_prev - f + 2 * pad) // stride + 1
    n_W = (n_W_prev - f + 2 * pad) // stride + 1
    A_prev_pad = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    Z = np.zeros((m, n_H, n_W, n_C), dtype=np.result_type(A_prev, W, b))
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                window = A_prev_pad[i, h * stride:h * stride + f, w * stride:w * stride + f, :]
                Z[i, h, w, :] = np.tensordot(window, W, axes=3) + b[0, 0, 0, :]
    return Z, (A_prev, W, b, hparameters)


def conv_forward__sliding_window(A_prev, W, b, hparameters):
    """No loops: every window as a strided view, multiplied with the filters by einsum."""
    from numpy.lib.stride_tricks import sliding_window_view
    f, stride = W.shape[0], hparameters["stride"]
    A_prev_pad = zero_pad(A_prev, hparameters["pad"])  # noqa: F821
    windows = sliding_window_view(A_prev_pad, (f, f), axis=(1, 2))[:, ::stride, ::stride]  # (m, n_H, n_W, C, f, f)
    Z = np.einsum("mhwcij,ijcd->mhwd", windows, W) + b.reshape(1, 1, 1, -1)
    return Z, (A_prev, W, b, hparameters)


def conv_forward__loop_order(A_prev, W, b, hparameters):
    """Filters in the outer loop, examples in the inner one; zero_pad and conv_single_step called."""
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    f, n_C = W.shape[0], W.shape[3]
    stride, pad = hparameters["stride"], hparameters["pad"]
    n_H = 1 + (n_H_prev + 2 * pad - f) // stride
    n_W = 1 + (n_W_prev + 2 * pad - f) // stride
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)  # noqa: F821
    for c in range(n_C):
        for w in range(n_W):
            for h in range(n_H):
                for i in range(m):
                    window = A_prev_pad[i, h * stride:h * stride + f, w * stride:w * stride + f, :]
                    Z[i, h, w, c] = conv_single_step(window, W[:, :, :, c], b[:, :, :, c])  # noqa: F821
    return Z, (A_prev, W, b, hparameters)


# --------------------------------------------------------------------------------------------
# pool_forward

def pool_forward__channels(A_prev, hparameters, mode="max"):
    """All channels of a window at once (max or mean over axes 0 and 1); float32 stays float32."""
    m, n_H_prev, n_W_prev, n_C = A_prev.shape
    f, stride = hparameters["f"], hparameters["stride"]
    n_H, n_W = (n_H_prev - f) // stride + 1, (n_W_prev - f) // stride + 1
    A = np.zeros((m, n_H, n_W, n_C), dtype=A_prev.dtype)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                window = A_prev[i, h * stride:h * stride + f, w * stride:w * stride + f, :]
                A[i, h, w, :] = window.max(axis=(0, 1)) if mode == "max" else window.mean(axis=(0, 1))
    return A, (A_prev, hparameters)


def pool_forward__sliding_window(A_prev, hparameters, mode="max"):
    """No loops: the windows as a strided view, reduced over their last two axes."""
    from numpy.lib.stride_tricks import sliding_window_view
    f, stride = hparameters["f"], hparameters["stride"]
    windows = sliding_window_view(A_prev, (f, f), axis=(1, 2))[:, ::stride, ::stride]  # (m, n_H, n_W, C, f, f)
    reduce = {"max": np.max, "average": np.mean}[mode]
    return reduce(windows, axis=(4, 5)), (A_prev, hparameters)


def pool_forward__loop_order(A_prev, hparameters, mode="max"):
    """Channels in the outer loop, the mode tested once per channel, np.average for the mean."""
    m, n_H_prev, n_W_prev, n_C = A_prev.shape
    f, stride = hparameters["f"], hparameters["stride"]
    A = np.zeros((m, 1 + (n_H_prev - f) // stride, 1 + (n_W_prev - f) // stride, n_C))
    for c in range(n_C):
        reduce = np.max if mode == "max" else np.average
        for i in range(m):
            for h in range(A.shape[1]):
                for w in range(A.shape[2]):
                    A[i, h, w, c] = reduce(A_prev[i, h * stride:h * stride + f, w * stride:w * stride + f, c])
    return A, (A_prev, hparameters)


# --------------------------------------------------------------------------------------------
# conv_backward

def conv_backward__einsum(dZ, cache):
    """Loops over output positions only, the batch and the channels by einsum; np.pad; float32 kept."""
    A_prev, W, b, hparameters = cache
    f = W.shape[0]
    stride, pad = hparameters["stride"], hparameters["pad"]
    m, n_H, n_W, n_C = dZ.shape
    A_prev_pad = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    dA_prev_pad = np.zeros_like(A_prev_pad)
    dW = np.zeros_like(W)
    for h in range(n_H):
        for w in range(n_W):
            rows, cols = slice(h * stride, h * stride + f), slice(w * stride, w * stride + f)
            dA_prev_pad[:, rows, cols, :] += np.einsum("ijkc,mc->mijk", W, dZ[:, h, w, :])
            dW += np.einsum("mijk,mc->ijkc", A_prev_pad[:, rows, cols, :], dZ[:, h, w, :])
    db = dZ.sum(axis=(0, 1, 2)).reshape(b.shape)
    dA_prev = dA_prev_pad[:, pad:pad + A_prev.shape[1], pad:pad + A_prev.shape[2], :]
    return dA_prev, dW, db


def conv_backward__loop_order(dZ, cache):
    """Examples, then filters, then positions; unpadded with an explicit end index; zero_pad called."""
    (A_prev, W, b, hparameters) = cache
    f = W.shape[0]
    stride, pad = hparameters["stride"], hparameters["pad"]
    m, n_H, n_W, n_C = dZ.shape
    A_prev_pad = zero_pad(A_prev, pad)  # noqa: F821
    dA_prev_pad = zero_pad(np.zeros(A_prev.shape), pad)  # noqa: F821
    dW, db = np.zeros(W.shape), np.zeros(b.shape)
    for i in range(m):
        for c in range(n_C):
            for h in range(n_H):
                for w in range(n_W):
                    vs, hs = h * stride, w * stride
                    g = dZ[i, h, w, c]
                    dA_prev_pad[i, vs:vs + f, hs:hs + f, :] += W[:, :, :, c] * g
                    dW[:, :, :, c] += A_prev_pad[i, vs:vs + f, hs:hs + f, :] * g
                    db[:, :, :, c] += g
    end_H, end_W = dA_prev_pad.shape[1] - pad, dA_prev_pad.shape[2] - pad
    return dA_prev_pad[:, pad:end_H, pad:end_W, :], dW, db


# --------------------------------------------------------------------------------------------
# create_mask_from_window, distribute_value

def create_mask_from_window__ints(x):
    """A mask of 0/1 integers instead of booleans."""
    return (x == np.max(x)).astype(int)


def create_mask_from_window__greater_equal(x):
    """x >= its maximum: true exactly where x equals it."""
    return x >= x.max()


def distribute_value__full(dz, shape):
    """np.full with the share of each entry."""
    n_H, n_W = shape
    return np.full((n_H, n_W), dz / (n_H * n_W))


def distribute_value__prod(dz, shape):
    """The share computed with np.prod of the shape."""
    return np.ones(shape) * (dz / np.prod(shape))


# --------------------------------------------------------------------------------------------
# pool_backward

def pool_backward__channels(dA, cache, mode="max"):
    """All channels of a window at once: a (f, f, n_C) mask, or dA / (f * f) broadcast over the window."""
    A_prev, hparameters = cache
    f, stride = hparameters["f"], hparameters["stride"]
    m, n_H, n_W, n_C = dA.shape
    dA_prev = np.zeros_like(A_prev)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                rows, cols = slice(h * stride, h * stride + f), slice(w * stride, w * stride + f)
                if mode == "max":
                    window = A_prev[i, rows, cols, :]
                    mask = window == window.max(axis=(0, 1), keepdims=True)
                    dA_prev[i, rows, cols, :] += mask * dA[i, h, w, :]
                else:
                    dA_prev[i, rows, cols, :] += dA[i, h, w, :] / (f * f)
    return dA_prev


def pool_backward__loop_order(dA, cache, mode="max"):
    """Channels outermost, the mode tested once per window; the helpers called."""
    (A_prev, hparameters) = cache
    f, stride = hparameters["f"], hparameters["stride"]
    dA_prev = np.zeros(A_prev.shape)
    for c in range(dA.shape[3]):
        for i in range(dA.shape[0]):
            for w in range(dA.shape[2]):
                for h in range(dA.shape[1]):
                    vs, hs = h * stride, w * stride
                    if mode == "average":
                        share = distribute_value(dA[i, h, w, c], (f, f))  # noqa: F821
                    else:
                        share = create_mask_from_window(A_prev[i, vs:vs + f, hs:hs + f, c]) * dA[i, h, w, c]  # noqa: F821
                    dA_prev[i, vs:vs + f, hs:hs + f, c] = dA_prev[i, vs:vs + f, hs:hs + f, c] + share
    return dA_prev


# --------------------------------------------------------------------------------------------
# The catalog

def source_of(variant) -> str:
    """A variant's source, renamed to the function it implements (zero_pad__slice_assign -> zero_pad)."""
    name = variant.__name__
    function = name.split("__")[0]
    return inspect.getsource(variant).replace(f"def {name}(", f"def {function}(", 1)


@dataclass(frozen=True)
class Alternative:
    """One or more variants that go into a submission together, replacing the instructor's functions."""

    slug: str
    variants: tuple

    def sources(self) -> dict:
        """{function name: source} of the variants."""
        return {variant.__name__.split("__")[0]: source_of(variant) for variant in self.variants}


def _one(variant):
    return Alternative(variant.__name__, (variant,))


ALTERNATIVES = (
    _one(zero_pad__slice_assign),
    _one(zero_pad__pad_list),
    _one(conv_single_step__numpy_scalar),
    _one(conv_single_step__tensordot),
    Alternative("conv_single_step__array+conv_forward__item", (conv_single_step__array, conv_forward__item)),
    _one(conv_forward__channels_np_pad),
    _one(conv_forward__sliding_window),
    _one(conv_forward__loop_order),
    _one(pool_forward__channels),
    _one(pool_forward__sliding_window),
    _one(pool_forward__loop_order),
    _one(conv_backward__einsum),
    _one(conv_backward__loop_order),
    _one(create_mask_from_window__ints),
    _one(create_mask_from_window__greater_equal),
    _one(distribute_value__full),
    _one(distribute_value__prod),
    _one(pool_backward__channels),
    _one(pool_backward__loop_order),
)
ALTERNATIVES_BY_SLUG = {alternative.slug: alternative for alternative in ALTERNATIVES}

# Complete submissions, written differently from the instructor's, that use every variant above once:
# the tests grade each for real (one student folder each). The first is the demo's.
SETS = (
    Alternative("set-1", (zero_pad__slice_assign, conv_single_step__array, conv_forward__item, pool_forward__channels,
                          conv_backward__einsum, create_mask_from_window__ints, distribute_value__full,
                          pool_backward__loop_order)),
    Alternative("set-2", (zero_pad__pad_list, conv_single_step__numpy_scalar, conv_forward__channels_np_pad,
                          pool_forward__sliding_window, conv_backward__loop_order,
                          create_mask_from_window__greater_equal, distribute_value__prod, pool_backward__channels)),
    Alternative("set-3", (conv_single_step__tensordot, conv_forward__sliding_window, pool_forward__loop_order)),
    Alternative("set-4", (conv_forward__loop_order,)),
)


def alternative_solutions() -> dict:
    """{function name: source} for every function: a correct submission written differently from the instructor's."""
    return SETS[0].sources()
