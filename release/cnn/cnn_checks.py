"""Checks for "Convolutional Neural Networks, step by step".

`check_zero_pad(zero_pad)` and its siblings run your function on the cases stored in
cnn_check_data.json (the seeded examples of the lesson and a few more: non-square inputs,
pad 0, stride > 1, both pooling modes, overlapping windows), compare what it returns with the
stored expected values and say what is wrong and, for common mistakes, why. They need only numpy.

While nbgrader grades a submission, these checks step aside: the hidden part of each check cell
(cnn_record.py) records what your functions return on these cases and on hidden ones, and the
grader judges those records outside the notebook with the judging code below.
"""
import base64
import contextlib
import io
import json
import os
import sys
import traceback
import warnings
from pathlib import Path

import numpy as np

DATA_FILE = Path(__file__).with_name("cnn_check_data.json")
MAX_RECORDED = 1_000_000  # entries: a larger returned array is described, not recorded
TOLERANCE = {"float64": (1e-6, 1e-7), "float32": (1e-4, 1e-5)}  # (rtol, atol) by the inputs' dtype

# The helpers each function may call, with the check that must pass first.
HELPERS = {
    "conv_forward": ("zero_pad", "conv_single_step"),
    "conv_backward": ("zero_pad",),
    "pool_backward": ("create_mask_from_window", "distribute_value"),
}
FORWARD_FUNCTIONS = {"conv_forward", "pool_forward", "conv_forward_vectorized"}  # a backward pass must not call them


class CheckFailed(AssertionError):
    """Raised by a check when the function under test gives a wrong result."""

    def _render_traceback_(self):
        """What IPython shows instead of a traceback: the checks' own frames would only be noise."""
        return [f"\x1b[0;31mCheckFailed\x1b[0m: {self}"]


# --------------------------------------------------------------------------------------------
# The checks you run: one per function, on the stored cases, with what is wrong and why.


def check_zero_pad(zero_pad):
    """Check zero_pad on the stored cases."""
    run_visible("zero_pad_check", "zero_pad", zero_pad)


def check_conv_single_step(conv_single_step):
    """Check conv_single_step on the stored cases."""
    run_visible("conv_single_step_check", "conv_single_step", conv_single_step)


def check_conv_forward(conv_forward):
    """Check conv_forward on the stored cases (it uses your zero_pad and conv_single_step)."""
    run_visible("conv_forward_check", "conv_forward", conv_forward)


def check_pool_forward(pool_forward, mode):
    """Check pool_forward in the given mode ("max" or "average") on the stored cases."""
    run_visible(f"pool_forward_{mode}_check", "pool_forward", pool_forward)


def check_conv_backward(conv_backward):
    """Check conv_backward on the stored cases (it uses your zero_pad)."""
    run_visible("conv_backward_check", "conv_backward", conv_backward)


def check_create_mask_from_window(create_mask_from_window):
    """Check create_mask_from_window on the stored cases."""
    run_visible("create_mask_from_window_check", "create_mask_from_window", create_mask_from_window)


def check_distribute_value(distribute_value):
    """Check distribute_value on the stored cases."""
    run_visible("distribute_value_check", "distribute_value", distribute_value)


def check_pool_backward(pool_backward):
    """Check pool_backward in both modes on the stored cases (it uses your mask and distribute helpers)."""
    run_visible("pool_backward_check", "pool_backward", pool_backward)


def run_visible(unit, function, fn):
    """Run the visible cases of one check cell; print what was checked; raise CheckFailed on a failure."""
    if not callable(fn):
        raise CheckFailed(f"{function} is not a function (it is {_describe(fn)}); run the cell that defines it")
    if grading():
        return  # the grader runs these cases again, with its stand-in helpers (see cnn_record.run_hidden)
    forward = sorted(set(getattr(getattr(fn, "__code__", None), "co_names", ())) & FORWARD_FUNCTIONS)
    if function in ("conv_backward", "pool_backward") and forward:
        raise CheckFailed(f"{function} calls {' and '.join(forward)}: gradients estimated from the forward pass "
                          "earn nothing; compute them with the chain rule, as section 5 derives them")
    cases, messages = stored_cases(unit)
    failures, notes = [], []
    for case in cases:
        args = tuple(decode(arg) for arg in case["args"])
        record = call(function, fn, args, _documented_helpers(function, fn))
        verdict = judge(function, record, decode(case["expected"]), _tolerance(case), case["mistakes"], messages)
        if case.get("show") and "returned" in record:
            print(_shown(function, decode(record["returned"]), decode(case["expected"]), args, verdict.passed))
        print(("  ok    " if verdict.passed else "  FAIL  ") + case["label"])
        if not verdict.passed:
            print("        " + verdict.detail.replace("\n", "\n  "))
            failures.append((case, verdict))
        if verdict.note and verdict.note not in notes:
            notes.append(verdict.note)
    for note in notes:
        print(f"  Note: {note}")
    if failures:
        blocked = _failing_helpers(function, fn)
        if blocked:
            _print_blocked(function, blocked)
            return
        raise CheckFailed(f"{function}: {len(failures)} of {len(cases)} checks failed: {failures[0][1].summary}")
    print(f"All {len(cases)} checks of {function} passed.")


def _print_blocked(function, blocked):
    names = " and ".join(blocked)
    print(f"\n{function} could not be checked: it calls {names}, which fails its own check. "
          f"Fix {names} first, then run this check again.")


def _failing_helpers(function, fn):
    """Names of the helpers fn calls whose own visible checks fail (so that fn can't be judged)."""
    failing = []
    for helper in HELPERS.get(function, ()):
        helper_fn = getattr(fn, "__globals__", {}).get(helper)
        if helper not in getattr(getattr(fn, "__code__", None), "co_names", ()) or not callable(helper_fn):
            continue
        cases, messages = stored_cases(f"{helper}_check")
        for case in cases:
            record = call(helper, helper_fn, tuple(decode(arg) for arg in case["args"]))
            if not judge(helper, record, decode(case["expected"]), _tolerance(case)).passed:
                failing.append(helper)
                break
    return failing


def _as_documented(helper):
    """The student's conv_single_step returning a float, as its docstring asks, when it returns a size-1 array."""
    def documented(*args):
        value = helper(*args)
        return float(np.ravel(value)[0]) if isinstance(value, np.ndarray) and value.size == 1 else value
    return documented


def _documented_helpers(function, fn):
    """("float_helper", {name: the student's helper in the documented form}) for fn's scalar helpers, or None."""
    namespace = getattr(fn, "__globals__", {})
    helpers = {name: _as_documented(namespace[name]) for name in HELPERS.get(function, ())
               if name == "conv_single_step" and callable(namespace.get(name))}
    return ("float_helper", helpers) if helpers else None


def _shown(function, yours, expected, args, passed):
    """The seeded example's values: yours alone when right, else the expected ones above yours."""
    if passed:
        return show(function, yours, args)
    try:
        shown = show(function, yours, args)
    except Exception:  # a result of the wrong shape or type cannot be shown like the right one
        shown = _describe(yours)
    return f"Expected:\n{show(function, expected, args)}\nYours:\n{shown}"


def show(function, result, args):
    """The seeded example's result, printed as in the lesson's "Expected output" (args: the inputs)."""
    with np.printoptions(precision=8, suppress=False):
        if function == "zero_pad":
            return (f"x.shape = {args[0].shape}\nx_pad.shape = {result.shape}\n"
                    f"x[1, 1] =\n{args[0][1, 1]}\nx_pad[1, 1] =\n{result[1, 1]}")
        if function == "conv_single_step":
            return f"Z = {float(np.ravel(result)[0]):.11f}"
        if function == "conv_forward":
            Z, cache = result
            return (f"Z's mean = {np.mean(Z):.12g}\nZ[3, 2, 1] = {Z[3, 2, 1]}\n"
                    f"cache_conv[0][1][2][3] = {cache[0][1][2][3]}")
        if function == "pool_forward":
            return f"mode = {args[2]}\nA =\n{result[0]}"
        if function == "conv_backward":
            dA, dW, db = result
            return f"dA_mean = {np.mean(dA):.12g}\ndW_mean = {np.mean(dW):.12g}\ndb_mean = {np.mean(db):.12g}"
        if function == "create_mask_from_window":
            return f"x =\n{args[0]}\nmask =\n{np.asarray(result)}"
        if function == "pool_backward":
            return (f"mode = {args[2]}\nmean of dA = {np.mean(args[0]):.12g}\n"
                    f"dA_prev[1, 1] =\n{result[1, 1]}")
        return f"{function}(...) =\n{np.asarray(result)}"


def load_data():
    """The stored visible cases: {"cases": [...], "messages": {slug: text}}."""
    with open(DATA_FILE, encoding="utf-8") as handle:
        return json.load(handle)


def stored_cases(unit):
    """(the stored visible cases of one check cell, {mistake slug: its message})."""
    data = load_data()
    return [case for case in data["cases"] if case["unit"] == unit], data["messages"]


def _tolerance(case):
    return TOLERANCE[case.get("dtype", "float64")]


def grading():
    """True while nbgrader autogrades: the checks then step aside and the hidden blocks record results."""
    return os.environ.get("NBGRADER_EXECUTION") == "autograde"


# --------------------------------------------------------------------------------------------
# Judging one result: right or wrong, and if wrong, what and (for known mistakes) why.


class Verdict:
    """The outcome of one case.

    passed -- bool
    summary -- what went wrong, in words that reveal no input or expected value (or "" if passed)
    detail -- the same with shapes, indices and values, for visible cases and the instructor
    mistake -- slug of the known mistake the result matches, or None
    note -- advice that does not change the verdict (a form that older numpy accepted), or ""
    """

    def __init__(self, passed, summary="", detail="", mistake=None, note=""):
        self.passed, self.summary, self.detail, self.mistake, self.note = passed, summary, detail, mistake, note


def judge(function, record, expected, tolerance, mistakes=None, messages=None):
    """Judge one recorded call.

    record -- {"returned": encoded value} or {"raised": {"type", "message", "where"}}, plus
              "args_changed": [names of inputs the function modified], and "retry" (a record with
              its "forms", see call()) when the first call raised
    expected -- the right result (decoded)
    mistakes -- {slug: the record of that known mistake on the same inputs}, may be None
    messages -- {slug: explanation of the mistake}
    A call that raised but is right in a form the classic exercise allowed passes, with a note.
    """
    verdict = _judge_once(function, record, expected, tolerance, mistakes, messages)
    retry = record.get("retry")
    if verdict.passed or not retry:
        return verdict
    retried = _judge_once(function, retry, expected, tolerance, mistakes, messages)
    note = " Also: ".join(FORM_NOTES[form] for form in retry["forms"])
    if retried.passed:
        return Verdict(True, note=note)
    return Verdict(False, retried.summary, retried.detail, retried.mistake, note)


# Why a call that raised was tried again, and what the student should write instead.
FORM_NOTES = {
    "lenient_bias": "float() of an array, such as the (1, 1, 1) bias b, raises TypeError from numpy 2.4 on "
                    "(numpy 1.25 to 2.3 warn); this check accepted it as older numpy did. Write b.item() or "
                    "float(b[0, 0, 0]) instead: they work on every numpy.",
    "float_helper": "your conv_single_step returns an array, and storing an array in one element of Z raises "
                    "ValueError from numpy 2.4 on (numpy 1.25 to 2.3 warn). With a conv_single_step that returns "
                    "a float, as its docstring asks, this function is right: return e.g. np.sum(s).item() + b.item().",
    "own_helper_form": "this function relies on conv_single_step returning the form yours returns (it indexes "
                       "or converts the result); it is right with that form. The documented form is a float.",
}
ARRAY_RETURNED = ("conv_single_step returns an array of shape {shape}, not the float its docstring asks for; "
                  "storing it in one element of Z raises ValueError from numpy 2.4 on (1.25 to 2.3 warn). "
                  "Return float(...) or np.sum(s).item() + b.item(): they work on every numpy.")


def _judge_once(function, record, expected, tolerance, mistakes=None, messages=None):
    """The verdict on one call's record, without its retry."""
    problem = _record_problem(function, record, expected, tolerance)
    if problem is None:
        returned = decode(record["returned"])
        if function == "conv_single_step" and np.ndim(returned) > 0:
            return Verdict(True, note=ARRAY_RETURNED.format(shape=np.shape(returned)))
        return Verdict(True)
    summary, detail = problem
    for slug, mistake_record in (mistakes or {}).items():
        if _same_outcome(function, record, mistake_record, tolerance):
            cause = (messages or {}).get(slug, slug)
            return Verdict(False, f"{summary}. Likely cause: {cause}", f"{detail}\n      Likely cause: {cause}", slug)
    return Verdict(False, summary, detail)


def _record_problem(function, record, expected, tolerance):
    """None if the record shows the right result, else (summary, detail)."""
    if "raised" in record:
        raised = record["raised"]
        summary = f"raised {raised['type']}: {raised['message']}".strip()
        if raised["type"] == "NotImplementedError":
            summary = f"{function} is not implemented yet (raised NotImplementedError)"
        elif raised["type"] == "AttributeError" and "attribute 'float'" in raised["message"]:
            summary += " (np.float is gone since numpy 1.24: write float(...))"
        return summary, summary + (f"\n      at {raised['where']}" if raised.get("where") else "")
    problem = _problem(function, decode(record["returned"]), expected, tolerance)
    if problem is None and record.get("args_changed"):
        changed = f"{function} changed its input ({', '.join(record['args_changed'])}) in place"
        problem = (changed, changed)
    return problem


def _same_outcome(function, record, other, tolerance):
    """Whether two records show the same result: equal values, or the same exception and message."""
    if "raised" in record or "raised" in other:
        raised, other_raised = record.get("raised", {}), other.get("raised", {})
        return (raised.get("type"), raised.get("message")) == (other_raised.get("type"), other_raised.get("message"))
    return _problem(function, decode(record["returned"]), decode(other["returned"]), tolerance) is None


def _problem(function, got, expected, tolerance):
    """None if got is right, else (summary, detail)."""
    if function == "conv_single_step":
        value = _as_scalar(got)
        if value is None:
            return (f"conv_single_step returned {_describe(got)}, not a number",
                    f"conv_single_step returned {_describe(got)}; expected a float")
        return compare_array("Z", np.asarray(value), np.asarray(expected, dtype=np.float64), tolerance)
    parts = _parts(function, got, expected)
    if isinstance(parts, str):
        return (parts, parts)
    for name, part, want in parts:
        if name == "cache":
            problem = _compare_cache(part, want, tolerance)
        else:
            problem = compare_array(name, part, np.asarray(want), tolerance,
                                    as_mask=function == "create_mask_from_window")
        if problem:
            return problem
    return None


def compare_array(name, got, expected, tolerance, as_mask=False):
    """None if got matches the expected array, else (summary, detail) saying how it differs."""
    if not isinstance(got, (np.ndarray, np.generic, float, int)) or isinstance(got, bool):
        return (f"{name} is {_describe(got)}, not a numpy array",
                f"{name} is {_describe(got)}; expected a numpy array of shape {_shape_text(expected.shape)}")
    got = np.asarray(got)
    if got.shape != expected.shape:
        return (f"{name} has the wrong shape",
                f"{name} has shape {_shape_text(got.shape)}; expected {_shape_text(expected.shape)}")
    if not (np.issubdtype(got.dtype, np.number) or got.dtype == bool):
        return (f"{name} has dtype {got.dtype}, not numbers", f"{name} has dtype {got.dtype}")
    if as_mask:
        if not np.all((got == 0) | (got == 1)):
            return (f"{name} holds values other than True/False (or 1/0)",
                    f"{name} = {np.array2string(got, precision=8)}; expected {expected.tolist()}")
        got, expected = got.astype(bool), expected.astype(bool)
        wrong = got != expected
    else:
        rtol, atol = tolerance
        wrong = ~np.isclose(got.astype(np.float64), expected, rtol=rtol, atol=atol)
    if not wrong.any():
        return None
    first = tuple(int(k) for k in np.argwhere(wrong)[0])
    where = "" if got.ndim == 0 else f"[{', '.join(map(str, first))}]"
    return (f"{name} has wrong values",
            f"{name}{where} = {got[first].item()!r}, expected {expected[first].item()!r} "
            f"({int(wrong.sum())} of {wrong.size} entries differ)")


def _shape_text(shape):
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _describe(value):
    """A short description of a returned value: its type, shape and dtype."""
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {_shape_text(value.shape)} and dtype {value.dtype}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} items"
    if isinstance(value, Opaque):
        return f"an object of type {value.type_name}"
    return f"{type(value).__name__} {value!r}"


def _as_scalar(value):
    """conv_single_step may return a float, a numpy scalar or any size-1 array."""
    if isinstance(value, (float, int, np.generic)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, np.ndarray) and value.size == 1 and np.issubdtype(value.dtype, np.number):
        return float(value.reshape(-1)[0])
    return None


def _parts(function, value, expected):
    """Pairs (name, got part, expected part) that make up a function's result, or an error string."""
    names = {"conv_forward": ("Z", "cache"), "pool_forward": ("A", "cache"),
             "conv_backward": ("dA_prev", "dW", "db")}.get(function)
    if names is None:
        return [(function + "(...)", value, expected)]
    if not isinstance(value, (tuple, list)) or len(value) != len(names):
        return f"{function} should return a tuple ({', '.join(names)}), but returned {_describe(value)}"
    return list(zip(names, value, expected))


def _compare_cache(got, expected, tolerance):
    """None if the cache matches (arrays compared by value, hparameters by equality), else a message pair."""
    if not isinstance(got, (tuple, list)) or len(got) != len(expected):
        return ("cache is not the tuple the lesson specifies",
                f"cache is {_describe(got)}; expected a tuple of {len(expected)} items")
    labels = ("A_prev", "W", "b", "hparameters") if len(expected) == 4 else ("A_prev", "hparameters")
    for label, part, want in zip(labels, got, expected):
        if isinstance(want, dict):
            if part != want:
                return (f"cache's {label} is not the hparameters passed in", f"cache's {label} = {part!r}; expected {want!r}")
            continue
        problem = compare_array(f"cache's {label}", part, want, tolerance)
        if problem:
            if label == "A_prev" and isinstance(part, np.ndarray) and part.shape != want.shape:
                return ("cache holds the padded input instead of the original A_prev", problem[1])
            return problem
    return None


# --------------------------------------------------------------------------------------------
# Calling your function: what it returned or raised, stderr shown as ordinary output,
# forms that numpy before 2.4 accepted tried again.


def call(function, fn, args, other_helpers=None):
    """Run fn(*args) and return a record: what it returned or raised, and which inputs it changed.

    numpy 2.4 made two forms the classic exercise led students to raise: float() of a size-1 array
    (the bias) and storing a size-1 array in one element (a conv_single_step that returns one).
    Numpy 1.25 to 2.3 only warn; here they raise on every numpy, and a call that raises is tried
    again: with other_helpers = (form, {name: helper}) in place of fn's helpers, then with a bias
    whose float() accepts a size-1 array ("lenient_bias"), then with both. The first retry that
    returns is kept as record["retry"], with its form(s); judge() passes it, with a note.
    """
    pristine = deep_copy(args)
    record = _call_once(function, fn, args)
    if "raised" not in record:
        return record
    form, helpers = other_helpers or (None, {})
    retries = [([form], helpers, False)] if helpers else []
    if function in BIAS_AT:
        retries.append((["lenient_bias"], {}, True))
        if helpers:
            retries.append(([form, "lenient_bias"], helpers, True))
    for forms, helpers, lenient in retries:
        retry_args = deep_copy(pristine)
        with swapped(fn, helpers):
            retry = _call_once(function, fn, _lenient(function, retry_args) if lenient else retry_args)
        if "raised" not in retry:
            return dict(record, retry=dict(retry, forms=forms))
    return record


NDIM_DEPRECATION = "Conversion of an array with ndim > 0"  # numpy 1.25 to 2.3 warn where 2.4 raises


def _call_once(function, fn, args):
    originals = deep_copy(args)
    try:
        with stderr_as_stdout(), warnings.catch_warnings():
            warnings.filterwarnings("error", message=NDIM_DEPRECATION, category=DeprecationWarning)
            returned = fn(*args)
    except Exception as error:  # the student's error is the result being checked
        return {"raised": {"type": type(error).__name__, "message": str(error)[:500], "where": _own_line(fn, error)}}
    return {"returned": encode(returned), "args_changed": _changed(args, originals, ARGUMENT_NAMES[function])}


ARGUMENT_NAMES = {
    "zero_pad": ("X", "pad"),
    "conv_single_step": ("a_slice_prev", "W", "b"),
    "conv_forward": ("A_prev", "W", "b", "hparameters"),
    "pool_forward": ("A_prev", "hparameters", "mode"),
    "conv_backward": ("dZ", "cache"),
    "create_mask_from_window": ("x",),
    "distribute_value": ("dz", "shape"),
    "pool_backward": ("dA", "cache", "mode"),
}


def _own_line(fn, error):
    """"line N: code" of the last line of fn's own code that the error passed through ("" if none).

    The error may come from inside numpy or a helper; the line to fix is in the function checked.
    """
    own_file = getattr(getattr(fn, "__code__", None), "co_filename", None)
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename == own_file]
    return f"line {frames[-1].lineno}: {frames[-1].line}" if frames else ""


def deep_copy(value):
    """value with its arrays, tuples, lists and dicts copied: what a call may change stays as it was."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (tuple, list)):
        return type(value)(deep_copy(item) for item in value)
    if isinstance(value, dict):
        return {key: deep_copy(item) for key, item in value.items()}
    return value


def _changed(args, originals, names):
    changed = []
    for name, arg, original in zip(names, args, originals):
        if isinstance(original, np.ndarray):
            if not (isinstance(arg, np.ndarray) and arg.shape == original.shape and np.array_equal(arg, original)):
                changed.append(name)
        elif isinstance(original, (tuple, list)):
            changed += _changed(arg, original, [f"{name}[{k}]" for k in range(len(original))])
        elif arg != original:
            changed.append(name)
    return changed


class LenientArray(np.ndarray):
    """An array whose float() accepts any size-1 array, as numpy did before 2.4."""

    def __float__(self):
        return float(np.asarray(self).reshape(-1)[0]) if self.size == 1 else float(np.asarray(self))


BIAS_AT = {"conv_single_step": (2,), "conv_forward": (2,), "conv_backward": (1, 2)}  # where b is in the arguments


def _lenient(function, args):
    """args with the bias b as a LenientArray."""
    *outer, inner = BIAS_AT[function]
    args = list(args)
    holder = args
    for index in outer:  # conv_backward: b is inside the cache tuple
        holder[index] = list(holder[index])
        holder = holder[index]
    holder[inner] = np.asarray(holder[inner]).view(LenientArray)
    if outer:
        args[outer[0]] = tuple(args[outer[0]])
    return tuple(args)


@contextlib.contextmanager
def swapped(fn, helpers):
    """fn's global helpers replaced by {name: helper} for the duration (e.g. stand-ins for the student's)."""
    namespace = getattr(fn, "__globals__", {})
    saved = {name: namespace[name] for name in helpers if name in namespace}
    namespace.update(helpers)
    try:
        yield
    finally:
        for name in helpers:
            namespace.pop(name, None)
        namespace.update(saved)


_REDIRECTING = []  # holds one item while stderr_as_stdout is in effect


@contextlib.contextmanager
def stderr_as_stdout():
    """Show what is written to stderr (warnings, logging) as ordinary output.

    nbgrader scores a check cell 0 when anything reaches its stderr stream, even if every check
    passed; warnings are not mistakes, so they are shown, not charged. Three ways lead there:
    sys.stderr (warnings, print(file=sys.stderr)), ipykernel's stderr stream object held from
    before (a logging handler made by logging.basicConfig), and file descriptor 2 (os.write,
    C code), which ipykernel reads in a thread and may send after this block: so fd 2 goes to fd 1.
    Nested uses (a stand-in helper calls the student's own) change nothing and cost nothing.
    """
    if _REDIRECTING:
        yield
        return
    stream = sys.stderr
    renamable = type(stream).__name__ == "OutStream" and getattr(stream, "name", None) == "stderr"
    stream.flush()
    if renamable:  # ipykernel's stream object: its name is the stream's name in the notebook
        stream.name = "stdout"
    saved_fd = _point_fd(2, 1)
    _REDIRECTING.append(True)
    try:
        with contextlib.redirect_stderr(sys.stdout):
            yield
    finally:
        if saved_fd is not None:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
        stream.flush()
        if renamable:
            stream.name = "stderr"
        _REDIRECTING.pop()


def _point_fd(fd, target):
    """Make fd write where target writes; return a copy of the old fd (None if that is not possible)."""
    try:
        saved = os.dup(fd)
    except OSError:
        return None
    try:
        os.dup2(target, fd)
    except OSError:
        os.close(saved)
        return None
    return saved


# --------------------------------------------------------------------------------------------
# Values <-> JSON: how arguments, results and expected values are stored and recorded.


def encode(value):
    """A JSON-able description of value (arrays, numbers, tuples, lists, dicts, strings)."""
    if isinstance(value, (bool, str)) or value is None:
        return value
    if isinstance(value, np.ndarray) and value.size > MAX_RECORDED:
        return {"other": "ndarray", "repr": f"an array of shape {value.shape}, too large to record"}
    if isinstance(value, (np.ndarray, np.generic)) and np.asarray(value).dtype != object:
        # before float: np.float64 is a float whose repr, np.float64(...), float() can't read back
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(value), allow_pickle=False)
        kind = "array" if isinstance(value, np.ndarray) else "scalar"
        return {kind: base64.b64encode(buffer.getvalue()).decode("ascii")}
    if isinstance(value, int):
        return {"int": str(value)}
    if isinstance(value, float):
        return {"float": repr(value)}
    if isinstance(value, (tuple, list)):
        return {type(value).__name__: [encode(item) for item in value]}
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {"dict": {key: encode(item) for key, item in value.items()}}
    return {"other": type(value).__name__, "repr": repr(value)[:300]}


class Opaque:
    """Stands for a value that could not be recorded (e.g. an object of an unexpected type)."""

    def __init__(self, type_name, text):
        self.type_name, self.text = type_name, text

    def __repr__(self):
        return self.text


def decode(data):
    """The value described by encode()."""
    if not isinstance(data, dict):
        return data
    (kind, body), = [(k, v) for k, v in data.items() if k != "repr"] or [("other", "?")]
    if kind == "int":
        return int(body)
    if kind == "float":
        return float(body)
    if kind in ("array", "scalar"):
        array = np.load(io.BytesIO(base64.b64decode(body)), allow_pickle=False)
        return array if kind == "array" else array[()]
    if kind == "tuple":
        return tuple(decode(item) for item in body)
    if kind == "list":
        return [decode(item) for item in body]
    if kind == "dict":
        return {key: decode(item) for key, item in body.items()}
    return Opaque(str(body), data.get("repr", "?"))
