"""The catalog of students' real mistakes, each a small edit of the instructor's solution.

Every mistake is applied to the source of helpers/reference.py, so it is exactly the code a
student with that bug would write. The checks run the mistakes on the same inputs as the
student's function: a wrong result that equals a mistake's result is explained by the mistake's
message. The tests put every mistake into a real submission and prove that its own check cell,
and only that one, fails (and that the visible checks alone catch it).
"""
import functools
import inspect
import linecache
from dataclasses import dataclass

import numpy as np

from helpers import oracle, reference
from helpers.course import HELPERS


@dataclass(frozen=True)
class Mistake:
    """A named bug: `edits` are (old, new) text replacements in the function's reference source."""

    slug: str
    function: str
    message: str
    edits: tuple

    def source(self) -> str:
        """The buggy function's source code (the docstring, which states the right formulas, left as it is)."""
        head, body = split_docstring(inspect.getsource(getattr(reference, self.function)))
        for old, new in self.edits:
            if old not in body:
                raise ValueError(f"mistake {self.slug}: {old!r} is not in the code of reference.{self.function}")
            body = body.replace(old, new)
        return head + body

    def build(self):
        """The buggy function, calling the instructor's helpers (the oracle's) like the stand-ins do."""
        helpers = {name for names in HELPERS.values() for name in names}
        namespace = {"np": np, **{name: getattr(oracle, name) for name in helpers}}
        source, filename = self.source(), f"<mistake {self.slug}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # lines in tracebacks
        exec(compile(source, filename, "exec"), namespace)
        return namespace[self.function]


def split_docstring(source: str):
    """(signature and docstring, code) of a function's source."""
    opening = source.index('"""')
    closing = source.index('"""', opening + 3) + 3
    return source[:closing], source[closing:]



_CONV_STRIDE = (("vert_start = h * stride", "vert_start = h"), ("horiz_start = w * stride", "horiz_start = w"))
_CONV_SIZE = ("n_H = (n_H_prev - f + 2 * pad) // stride + 1", "n_W = (n_W_prev - f + 2 * pad) // stride + 1")
_POOL_SIZE = ("n_H = (n_H_prev - f) // stride + 1", "n_W = (n_W_prev - f) // stride + 1")
_PAD_AXES = "((0, 0), (pad, pad), (pad, pad), (0, 0))"
_COPIED = ("the result does not change with the inputs: it is the seeded example's expected output copied "
           "from the notebook; compute it from the arguments")

MISTAKES = (
    # zero_pad
    Mistake("pad_every_axis", "zero_pad",
            "np.pad(X, pad) pads every axis, the batch and channel axes too; pad only height and width "
            "(axes 1 and 2) with ((0, 0), (pad, pad), (pad, pad), (0, 0))",
            ((_PAD_AXES, "pad"),)),
    Mistake("pad_wrong_axes", "zero_pad",
            "the zeros went on the batch and height axes; arrays are (m, n_H, n_W, n_C), so pad axes 1 and 2",
            ((_PAD_AXES, "((pad, pad), (pad, pad), (0, 0), (0, 0))"),)),
    Mistake("pad_one_side", "zero_pad",
            "zeros were added on one side only; pad adds `pad` rows and columns on EACH side",
            ((_PAD_AXES, "((0, 0), (0, 2 * pad), (0, 2 * pad), (0, 0))"),)),
    # conv_single_step
    Mistake("bias_missing", "conv_single_step", "the bias b is not added to the sum",
            (("Z = float(np.sum(s) + b.item())", "Z = float(np.sum(s))"),)),
    Mistake("mean_not_sum", "conv_single_step",
            "the window was averaged (np.mean) instead of summed (np.sum)",
            (("Z = float(np.sum(s) + b.item())", "Z = float(np.mean(s) + b.item())"),)),
    Mistake("single_step_copied_output", "conv_single_step", _COPIED,
            (("Z = float(np.sum(s) + b.item())", "Z = -6.99908945068"),)),
    # conv_forward
    Mistake("conv_stride_ignored", "conv_forward",
            "the stride is ignored: a window starts at row h * stride and column w * stride, not at h and w",
            _CONV_STRIDE),
    Mistake("conv_padding_missing", "conv_forward",
            "the input is not padded: pad it with zero_pad(A_prev, pad) and count 2 * pad in the output size",
            ((_CONV_SIZE[0], "n_H = (n_H_prev - f) // stride + 1"), (_CONV_SIZE[1], "n_W = (n_W_prev - f) // stride + 1"),
             ("A_prev_pad = zero_pad(A_prev, pad)", "A_prev_pad = A_prev"))),
    Mistake("conv_size_off_by_one", "conv_forward",
            "the output size is off by one: n_H = (n_H_prev - f + 2 * pad) // stride + 1 (the + 1 counts the first window)",
            ((_CONV_SIZE[0], _CONV_SIZE[0][:-4]), (_CONV_SIZE[1], _CONV_SIZE[1][:-4]))),
    Mistake("conv_height_width_swapped", "conv_forward",
            "height and width are swapped: the first spatial axis is the height (rows, vert_start), the second the width",
            (("a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]",
              "a_prev_pad[horiz_start:horiz_end, vert_start:vert_end, :]"),)),
    Mistake("conv_bias_wrong_channel", "conv_forward",
            "every output channel used the bias of channel 0: filter c needs b[:, :, :, c]",
            (("b[:, :, :, c])", "b[:, :, :, 0])"),)),
    Mistake("conv_filter_wrong_channel", "conv_forward",
            "every output channel used filter 0: output channel c needs W[:, :, :, c]",
            (("W[:, :, :, c], b", "W[:, :, :, 0], b"),)),
    Mistake("conv_activation_applied", "conv_forward",
            "an activation (ReLU) was applied: conv_forward returns Z before any activation",
            (("Z[i, h, w, c] = conv_single_step(a_slice_prev, W[:, :, :, c], b[:, :, :, c])",
              "Z[i, h, w, c] = max(0.0, conv_single_step(a_slice_prev, W[:, :, :, c], b[:, :, :, c]))"),)),
    Mistake("conv_cache_padded", "conv_forward",
            "the cache holds the padded input: it must hold the original A_prev, as conv_backward pads it again",
            (("cache = (A_prev, W, b, hparameters)", "cache = (A_prev_pad, W, b, hparameters)"),)),
    # pool_forward
    Mistake("pool_mode_ignored", "pool_forward",
            "the mode is ignored: with mode=\"average\" the window's mean is wanted, not its maximum",
            (("A[i, h, w, c] = np.mean(a_prev_slice)", "A[i, h, w, c] = np.max(a_prev_slice)"),)),
    Mistake("pool_average_wrong_count", "pool_forward",
            "the average divides by the wrong count: a window holds f * f values",
            (("A[i, h, w, c] = np.mean(a_prev_slice)", "A[i, h, w, c] = np.sum(a_prev_slice) / f"),)),
    Mistake("pool_across_channels", "pool_forward",
            "the pooling mixes channels: each channel is pooled on its own, A_prev[i, rows, cols, c]",
            (("a_prev_slice = A_prev[i, vert_start:vert_end, horiz_start:horiz_end, c]",
              "a_prev_slice = A_prev[i, vert_start:vert_end, horiz_start:horiz_end, :]"),)),
    Mistake("pool_stride_ignored", "pool_forward",
            "the stride is ignored: a window starts at row h * stride and column w * stride, not at h and w",
            _CONV_STRIDE),
    Mistake("pool_size_off_by_one", "pool_forward",
            "the output size is off by one: n_H = (n_H_prev - f) // stride + 1",
            ((_POOL_SIZE[0], _POOL_SIZE[0][:-4]), (_POOL_SIZE[1], _POOL_SIZE[1][:-4]))),
    Mistake("pool_size_padded", "pool_forward",
            "the output size counts padding: pooling has no padding, n_H = (n_H_prev - f) // stride + 1",
            ((_POOL_SIZE[0], "n_H = (n_H_prev - f + 2) // stride + 1"), (_POOL_SIZE[1], "n_W = (n_W_prev - f + 2) // stride + 1"))),
    # conv_backward
    Mistake("unpad_negative_slice", "conv_backward",
            "unpadding with [pad:-pad] gives an empty slice when pad is 0; use [pad:pad + n_H_prev] (and n_W_prev)",
            (("da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]", "da_prev_pad[pad:-pad, pad:-pad, :]"),)),
    Mistake("conv_backward_overwrite", "conv_backward",
            "\"=\" instead of \"+=\" where windows overlap: each window adds its share to dA_prev",
            (("da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] +=",
              "da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] ="),)),
    Mistake("dW_not_accumulated", "conv_backward",
            "dW is not accumulated over the windows and the batch: use dW[:, :, :, c] += ...",
            (("dW[:, :, :, c] +=", "dW[:, :, :, c] ="),)),
    Mistake("db_not_accumulated", "conv_backward",
            "db is not accumulated over the windows and the batch: use db[:, :, :, c] += ...",
            (("db[:, :, :, c] +=", "db[:, :, :, c] ="),)),
    Mistake("conv_backward_stride_ignored", "conv_backward",
            "the stride is ignored: a window starts at row h * stride and column w * stride, not at h and w",
            _CONV_STRIDE),
    # create_mask_from_window
    Mistake("mask_of_minimum", "create_mask_from_window",
            "the mask marks the minimum: it must be True where x holds its maximum",
            (("mask = x == np.max(x)", "mask = x == np.min(x)"),)),
    Mistake("mask_strict_inequality", "create_mask_from_window",
            "a strict inequality (x > max) is never true: compare with == np.max(x)",
            (("mask = x == np.max(x)", "mask = x > np.max(x)"),)),
    Mistake("mask_copied_output", "create_mask_from_window", _COPIED,
            (("mask = x == np.max(x)", "mask = np.array([[True, False, False], [False, False, False]])"),)),
    # distribute_value
    Mistake("distribute_not_divided", "distribute_value",
            "dz was copied into every entry: each entry gets dz / (n_H * n_W)",
            (("average = dz / (n_H * n_W)", "average = dz"),)),
    Mistake("distribute_wrong_count", "distribute_value",
            "dz was divided by n_H + n_W: a window of shape (n_H, n_W) has n_H * n_W entries",
            (("average = dz / (n_H * n_W)", "average = dz / (n_H + n_W)"),)),
    Mistake("distribute_copied_output", "distribute_value", _COPIED,
            (("a = np.ones(shape) * average", "a = np.array([[0.5, 0.5], [0.5, 0.5]])"),)),
    # pool_backward
    Mistake("pool_backward_stride_ignored", "pool_backward",
            "the stride is ignored: windows are where the forward pass took them, at h * stride and w * stride",
            _CONV_STRIDE),
    Mistake("pool_backward_overwrite", "pool_backward",
            "\"=\" instead of \"+=\" where windows overlap: each window adds its gradient into dA_prev",
            (("dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += mask",
              "dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] = mask"),
             ("dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += distribute",
              "dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] = distribute"))),
    Mistake("pool_backward_mode_ignored", "pool_backward",
            "the mode is ignored: with mode=\"average\" the gradient is spread with distribute_value",
            (("if mode == \"max\":\n                        a_prev_slice", "if True:\n                        a_prev_slice"),)),
    Mistake("pool_backward_window_size", "pool_backward",
            "the window size is wrong: the forward pass used f x f windows (hparameters[\"f\"]), not stride x stride",
            (("vert_end = vert_start + f", "vert_end = vert_start + stride"),
             ("horiz_end = horiz_start + f", "horiz_end = horiz_start + stride"),
             ("distribute_value(da, (f, f))", "distribute_value(da, (stride, stride))"))),
    Mistake("pool_backward_mask_not_scaled", "pool_backward",
            "the mask was added as it is: the maximum's position receives the gradient, mask * dA[i, h, w, c]",
            (("+= mask * dA[i, h, w, c]", "+= mask"),)),
)
MISTAKES_BY_SLUG = {mistake.slug: mistake for mistake in MISTAKES}

# The mistakes most common in real submissions, by slug: the tests prove that each one
# costs the points of its own check cell only and that its message reaches the student.
NAMED = {
    "conv_stride_ignored": "stride ignored", "pool_stride_ignored": "stride ignored",
    "conv_backward_stride_ignored": "stride ignored",
    "conv_padding_missing": "padding missing",
    "pad_every_axis": "padding on the wrong axes", "pad_wrong_axes": "padding on the wrong axes",
    "conv_size_off_by_one": "output size off by one", "pool_size_off_by_one": "output size off by one",
    "conv_height_width_swapped": "height and width swapped",
    "bias_missing": "bias missing", "conv_bias_wrong_channel": "bias from the wrong channel",
    "conv_activation_applied": "an activation applied",
    "conv_cache_padded": "the cache holding the padded input",
    "pool_average_wrong_count": "average pooling dividing by the wrong count",
    "pool_mode_ignored": "the mode ignored", "pool_backward_mode_ignored": "the mode ignored",
    "pool_across_channels": "pooling across channels",
    "mask_of_minimum": "a mask of the minimum", "mask_strict_inequality": "a strict inequality",
    "conv_backward_overwrite": "\"=\" instead of \"+=\" where windows overlap",
    "pool_backward_overwrite": "\"=\" instead of \"+=\" where windows overlap",
    "unpad_negative_slice": "unpadding with [pad:-pad] (empty at pad 0)",
    "dW_not_accumulated": "dW not accumulated over the batch", "db_not_accumulated": "db not accumulated over the batch",
    "pool_backward_stride_ignored": "pooling backward ignoring the stride",
    "single_step_copied_output": "constant outputs copied from the notebook",
    "mask_copied_output": "constant outputs copied from the notebook",
    "distribute_copied_output": "constant outputs copied from the notebook",
}
MESSAGES = {mistake.slug: mistake.message for mistake in MISTAKES}


def for_function(function: str):
    """The mistakes of one function."""
    return [mistake for mistake in MISTAKES if mistake.function == function]


@functools.lru_cache(maxsize=None)
def built(slug: str):
    """The buggy function of a mistake, compiled once."""
    return MISTAKES_BY_SLUG[slug].build()
