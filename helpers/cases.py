"""The inputs every check runs: visible cases (shipped with their expected values) and hidden ones.

A case is a JSON-able spec that cnn_record.make_args turns into the function's arguments:
{"id", "unit", "function", "label", "seed", "arrays": [[name, shape]], "hparameters", "mode",
"pad", "dz", "shape", "dtype", "distinct"}. "legacy" cases draw with np.random.seed(seed) and
np.random.randn in order, as the classic exercise does: they are the lesson's seeded examples.
Hidden cases use seeds and shapes the students never see; the builder writes them into the hidden
block of each check cell and the grader makes the same inputs again from them.
"""
import numpy as np

from helpers import oracle
from helpers.checks import cnn_record
from helpers.course import UNITS_BY_ID


def case(unit, label, **spec):
    """A case spec for a check cell; the case id is unit/label-slug."""
    function = UNITS_BY_ID[unit].function
    slug = "".join(ch if ch.isalnum() else "-" for ch in label.lower()).strip("-")
    while "--" in slug:
        slug = slug.replace("--", "-")
    return {"id": f"{unit}/{slug}", "unit": unit, "function": function, "label": label, **spec}


def _pool(mode, label, **spec):
    return case(f"pool_forward_{mode}_check", label, mode=mode, **spec)


VISIBLE = [
    case("zero_pad_check", "the seeded example: x of shape (4, 3, 3, 2), pad 2", legacy=True, seed=1,
         arrays=[["X", [4, 3, 3, 2]]], pad=2, show=True),
    case("zero_pad_check", "non-square input (2, 3, 5, 1), pad 1", seed=11, arrays=[["X", [2, 3, 5, 1]]], pad=1),
    case("zero_pad_check", "pad 0 leaves the input as it is", seed=12, arrays=[["X", [1, 2, 3, 2]]], pad=0),
    case("conv_single_step_check", "the seeded example: windows of shape (4, 4, 3)", legacy=True, seed=1,
         arrays=[["a_slice_prev", [4, 4, 3]], ["W", [4, 4, 3]], ["b", [1, 1, 1]]], show=True),
    case("conv_single_step_check", "a 2 x 2 window with one channel", seed=13,
         arrays=[["a_slice_prev", [2, 2, 1]], ["W", [2, 2, 1]], ["b", [1, 1, 1]]]),
    case("conv_forward_check", "the seeded example: A_prev (10, 4, 4, 3), f 2, 8 filters, pad 2, stride 2",
         legacy=True, seed=1, arrays=[["A_prev", [10, 4, 4, 3]], ["W", [2, 2, 3, 8]], ["b", [1, 1, 1, 8]]],
         hparameters={"pad": 2, "stride": 2}, show=True),
    case("conv_forward_check", "non-square input (2, 5, 7, 3), f 3, pad 0, stride 1", seed=14,
         arrays=[["A_prev", [2, 5, 7, 3]], ["W", [3, 3, 3, 2]], ["b", [1, 1, 1, 2]]],
         hparameters={"pad": 0, "stride": 1}),
    case("conv_forward_check", "non-square input (1, 6, 4, 2), f 2, pad 1, stride 3", seed=15,
         arrays=[["A_prev", [1, 6, 4, 2]], ["W", [2, 2, 2, 3]], ["b", [1, 1, 1, 3]]],
         hparameters={"pad": 1, "stride": 3}),
    *[spec for mode in ("max", "average") for spec in (
        _pool(mode, f"the seeded example: A_prev (2, 4, 4, 3), f 3, stride 2, {mode} pooling", legacy=True,
              seed=1, arrays=[["A_prev", [2, 4, 4, 3]]], hparameters={"f": 3, "stride": 2}, show=True),
        _pool(mode, f"overlapping windows on a non-square input (2, 3, 5, 2), f 2, stride 1, {mode} pooling",
              seed=16, arrays=[["A_prev", [2, 3, 5, 2]]], hparameters={"f": 2, "stride": 1}),
        _pool(mode, f"non-square input (1, 4, 6, 3), f 2, stride 2, {mode} pooling", seed=17,
              arrays=[["A_prev", [1, 4, 6, 3]]], hparameters={"f": 2, "stride": 2}),
    )],
    case("conv_backward_check", "the seeded example: dZ and cache of the conv_forward example (pad 2, stride 2)",
         legacy=True, seed=1, arrays=[["A_prev", [10, 4, 4, 3]], ["W", [2, 2, 3, 8]], ["b", [1, 1, 1, 8]]],
         hparameters={"pad": 2, "stride": 2}, dZ_from_forward=True, show=True),
    case("conv_backward_check", "pad 0 on a non-square input (2, 4, 5, 2), f 2, stride 1", seed=18,
         arrays=[["A_prev", [2, 4, 5, 2]], ["W", [2, 2, 2, 3]], ["b", [1, 1, 1, 3]], ["dZ", [2, 3, 4, 3]]],
         hparameters={"pad": 0, "stride": 1}),
    case("conv_backward_check", "stride 2 with pad 1 on (1, 5, 5, 1), f 3", seed=19,
         arrays=[["A_prev", [1, 5, 5, 1]], ["W", [3, 3, 1, 2]], ["b", [1, 1, 1, 2]], ["dZ", [1, 3, 3, 2]]],
         hparameters={"pad": 1, "stride": 2}),
    case("create_mask_from_window_check", "the seeded example: x of shape (2, 3)", legacy=True, seed=1,
         arrays=[["x", [2, 3]]], show=True),
    case("create_mask_from_window_check", "a 3 x 3 window", seed=20, arrays=[["x", [3, 3]]]),
    case("distribute_value_check", "the lesson's example: dz = 2, shape (2, 2)", dz=2, shape=[2, 2], seed=0, show=True),
    case("distribute_value_check", "dz = 3.0 over a non-square window (2, 3)", dz=3.0, shape=[2, 3], seed=0),
    *[case("pool_backward_check", f"the seeded example, {mode} pooling: A_prev (5, 5, 3, 2), f 2, stride 1",
           legacy=True, seed=1, arrays=[["A_prev", [5, 5, 3, 2]], ["dA", [5, 4, 2, 2]]],
           hparameters={"stride": 1, "f": 2}, mode=mode, show=True) for mode in ("max", "average")],
    *[case("pool_backward_check", f"stride 2 on a non-square input (1, 4, 6, 2), f 2, {mode} pooling", seed=21,
           distinct=True, arrays=[["A_prev", [1, 4, 6, 2]], ["dA", [1, 2, 3, 2]]],
           hparameters={"stride": 2, "f": 2}, mode=mode) for mode in ("max", "average")],
    *[case("pool_backward_check", f"overlapping windows (1, 5, 5, 1), f 3, stride 2, {mode} pooling", seed=22,
           distinct=True, arrays=[["A_prev", [1, 5, 5, 1]], ["dA", [1, 2, 2, 1]]],
           hparameters={"stride": 2, "f": 3}, mode=mode) for mode in ("max", "average")],
]


def _conv(label, seed, m, h, w, c_prev, f, c, pad, stride, **extra):
    n_h, n_w = (h - f + 2 * pad) // stride + 1, (w - f + 2 * pad) // stride + 1
    arrays = [["A_prev", [m, h, w, c_prev]], ["W", [f, f, c_prev, c]], ["b", [1, 1, 1, c]]]
    return label, seed, arrays, {"pad": pad, "stride": stride}, [m, n_h, n_w, c], extra


_CONV_SHAPES = [
    _conv("non-square input, pad 0, stride 1, f 3", 4101, 2, 5, 7, 3, 3, 2, 0, 1),
    _conv("non-square input, pad 1, stride 2, f 2", 4102, 3, 6, 5, 2, 2, 4, 1, 2),
    _conv("pad 3, stride 3, f 5, one channel in and out", 4103, 1, 7, 6, 1, 5, 1, 3, 3),
    _conv("f 1, pad 0, stride 2, batch of 1", 4104, 1, 5, 4, 3, 1, 3, 0, 2),
    _conv("f 2, pad 1, stride 1, several channels", 4105, 2, 3, 4, 4, 2, 5, 1, 1),
    _conv("float32 input, pad 1, stride 2", 4106, 2, 5, 6, 2, 3, 2, 1, 2, dtype="float32"),
]

HIDDEN = [
    case("zero_pad_check", "non-square input, pad 1", seed=4001, arrays=[["X", [3, 2, 5, 2]]], pad=1),
    case("zero_pad_check", "pad 0", seed=4002, arrays=[["X", [2, 4, 3, 1]]], pad=0),
    case("zero_pad_check", "pad 3, one example, one channel", seed=4003, arrays=[["X", [1, 3, 2, 1]]], pad=3),
    case("zero_pad_check", "float32 input, pad 2", seed=4004, arrays=[["X", [2, 3, 3, 3]]], pad=2, dtype="float32"),
    case("conv_single_step_check", "f 3 window with 2 channels", seed=4011,
         arrays=[["a_slice_prev", [3, 3, 2]], ["W", [3, 3, 2]], ["b", [1, 1, 1]]]),
    case("conv_single_step_check", "f 1 window with 5 channels", seed=4012,
         arrays=[["a_slice_prev", [1, 1, 5]], ["W", [1, 1, 5]], ["b", [1, 1, 1]]]),
    case("conv_single_step_check", "f 5 window with 1 channel", seed=4013,
         arrays=[["a_slice_prev", [5, 5, 1]], ["W", [5, 5, 1]], ["b", [1, 1, 1]]]),
    *[case("conv_forward_check", label, seed=seed, arrays=arrays, hparameters=hp, **extra)
      for label, seed, arrays, hp, _, extra in _CONV_SHAPES],
    *[_pool(mode, f"{label}, {mode} pooling", seed=seed + (mode == "average"), arrays=[["A_prev", shape]],
            hparameters=hp)
      for mode in ("max", "average") for label, seed, shape, hp in (
          ("non-square input, f 2, stride 2 (windows side by side)", 4201, [2, 4, 6, 3], {"f": 2, "stride": 2}),
          ("non-square input, f 3, stride 1 (overlapping windows)", 4203, [1, 5, 4, 2], {"f": 3, "stride": 1}),
          ("f 3, stride 3, a border left over", 4205, [2, 7, 8, 1], {"f": 3, "stride": 3}),
          ("f 1, stride 2, batch of 3", 4207, [3, 4, 5, 2], {"f": 1, "stride": 2}),
          ("f 5, stride 1, one window per row", 4209, [1, 5, 6, 4], {"f": 5, "stride": 1}),
      )],
    *[case("conv_backward_check", label, seed=seed + 100,
           arrays=[*arrays, ["dZ", out_shape]], hparameters=hp, **extra)
      for label, seed, arrays, hp, out_shape, extra in _CONV_SHAPES],
    case("create_mask_from_window_check", "a 3 x 3 window of distinct values", seed=4301, arrays=[["x", [3, 3]]],
         distinct=True),
    case("create_mask_from_window_check", "a 2 x 4 window", seed=4302, arrays=[["x", [2, 4]]], distinct=True),
    case("create_mask_from_window_check", "a 1 x 1 window", seed=4303, arrays=[["x", [1, 1]]]),
    case("distribute_value_check", "dz = -1.5 over (3, 3)", dz=-1.5, shape=[3, 3], seed=0),
    case("distribute_value_check", "dz = 0.7 over a non-square (1, 4)", dz=0.7, shape=[1, 4], seed=0),
    case("distribute_value_check", "dz = 5 over (4, 2)", dz=5, shape=[4, 2], seed=0),
    *[case("pool_backward_check", f"{label}, {mode} pooling", seed=seed, distinct=True,
           arrays=[["A_prev", shape], ["dA", out]], hparameters=hp, mode=mode)
      for mode in ("max", "average") for label, seed, shape, out, hp in (
          ("non-square input, f 2, stride 2", 4401, [2, 4, 6, 2], [2, 2, 3, 2], {"f": 2, "stride": 2}),
          ("overlapping windows, f 3, stride 1", 4402, [1, 5, 4, 3], [1, 3, 2, 3], {"f": 3, "stride": 1}),
          ("overlapping windows, f 3, stride 2, non-square", 4403, [2, 5, 7, 1], [2, 2, 3, 1], {"f": 3, "stride": 2}),
          ("f 2, stride 3, gaps between windows", 4404, [1, 8, 5, 2], [1, 3, 2, 2], {"f": 2, "stride": 3}),
      )],
]


_IDS = [spec["id"] for spec in VISIBLE + HIDDEN]
assert len(set(_IDS)) == len(_IDS), "case ids must be unique"


def visible(unit):
    """The visible cases of a check cell."""
    return [spec for spec in VISIBLE if spec["unit"] == unit]


def hidden(unit):
    """The hidden cases of a check cell."""
    return [spec for spec in HIDDEN if spec["unit"] == unit]


def args_of(spec):
    """The arguments of a case: the classic np.random.seed draws for the seeded examples, make_args otherwise."""
    if not spec.get("legacy"):
        return cnn_record.make_args(spec)
    np.random.seed(spec["seed"])
    drawn = {name: np.random.randn(*shape) for name, shape in spec["arrays"]}
    if spec.get("dZ_from_forward"):  # the classic conv_backward example differentiates its own output
        drawn["dZ"] = oracle.conv_forward(drawn["A_prev"], drawn["W"], drawn["b"], spec["hparameters"])[0]
    return cnn_record.make_args(spec, drawn)
