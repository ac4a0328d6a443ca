"""The grader's side of the check cells of "Convolutional Neural Networks, step by step".

Only the hidden part of each check cell imports this module; the checks you call are in
cnn_checks.py, beside it. While nbgrader autogrades a submission, run_hidden calls the function
under test on the cell's visible cases and on hidden ones made again from their seeds
(make_args), with the instructor's versions of its helpers standing in for the student's, and
records each result as a display output of type MIME; the grader judges the records outside the
notebook, with the judging code of cnn_checks.py. Needs only numpy and cnn_checks.py.

record_all is the recording alone, for tools that judge functions outside a notebook: a
function's records on any arguments, with stand-ins of its choice for the helpers it calls.
"""
import numpy as np

from cnn_checks import call, decode, deep_copy, grading, stderr_as_stdout, stored_cases, swapped

MIME = "application/vnd.cnn-check+json"  # the type of the display outputs that carry the records


def run_hidden(unit, function, fn, specs, stand_ins=None):
    """Record fn's results on the visible and the hidden cases; the grader judges them.

    stand_ins -- {helper name: the instructor's version}, swapped into fn's globals for the
    duration of the calls, so that a wrong helper is charged in its own check only. They return
    the documented form (a float); a call that raises is tried again with them in the form of
    the student's own helpers ("own_helper_form"), and passes if right in either.
    """
    visible = [(case["id"], tuple(decode(arg) for arg in case["args"])) for case in stored_cases(unit)[0]]
    cases = visible + [(spec["id"], make_args(spec)) for spec in specs]
    records = zip([case_id for case_id, _ in cases], record_all(function, fn, [args for _, args in cases], stand_ins))
    if not grading():
        print(f"{len(specs)} hidden cases ran; the grader judges them.")
        return
    for case_id, record in records:  # after every call: nothing fn's code clears or sends can follow them
        emit(unit, case_id, record)


def record_all(function, fn, arg_lists, stand_ins=None):
    """fn's records (cnn_checks.call) on each of arg_lists, as the grader runs a function.

    stand_ins -- {helper name: a version to call instead of fn's own}, e.g. the instructor's:
    swapped into fn's globals for the duration, in the documented form first and, if a call
    raises, in the form of the student's own helpers ("own_helper_form").
    """
    stand_ins = stand_ins or {}
    namespace = getattr(fn, "__globals__", {})
    own_form = {name: _like(namespace.get(name), helper) for name, helper in stand_ins.items()}
    with swapped(fn, stand_ins):
        return [call(function, fn, args, ("own_helper_form", own_form) if own_form else None) for args in arg_lists]


def _like(theirs, stand_in):
    """The stand-in helper, returning its number in the form the student's own helper returns it.

    conv_single_step may rightly return a float, a numpy scalar or a size-1 array, and a
    conv_forward may rely on which (e.g. `conv_single_step(...)[0, 0, 0]` or `.item()`): the
    stand-in then gives the right value in the student's form, so that it stands in for a correct
    version of the student's own helper. The form is learnt from the student's helper on the
    first call only.
    """
    forms = []

    def standing_in(*args):
        value = stand_in(*args)
        if not callable(theirs) or np.ndim(value) != 0:
            return value
        if not forms:
            try:
                with stderr_as_stdout():
                    forms.append(theirs(*deep_copy(args)))
            except Exception:  # their helper is broken: the plain right value
                forms.append(None)
        form = forms[0]
        if isinstance(form, np.ndarray) and form.size == 1:
            return np.full(form.shape, value, dtype=np.float64)
        return type(form)(value) if isinstance(form, np.generic) else value
    return standing_in


def emit(unit, case_id, record):
    """Record one result for the grader, as a display output of the check cell."""
    from IPython.display import display
    data = dict(record, unit=unit, case=case_id)
    display({MIME: data, "text/plain": f"[{unit}: result of case {case_id} recorded for the grader]"}, raw=True)


def make_args(spec, arrays=None):
    """The positional arguments of the function named in spec, made from its seed.

    spec: {"function", "seed", "arrays": [[name, shape], ...], "dtype", "distinct": bool,
    "hparameters", "mode", "pad", "dz", "shape"}. Arrays are drawn in order from
    np.random.default_rng(seed); with "distinct", values are spread at least 0.01 apart so that
    every pooling window has a unique maximum. `arrays` ({name: array}) replaces the drawing.
    """
    arrays = _draw(spec) if arrays is None else arrays
    function = spec["function"]
    hparameters = spec.get("hparameters")
    if function == "zero_pad":
        return (arrays["X"], spec["pad"])
    if function == "conv_single_step":
        return (arrays["a_slice_prev"], arrays["W"], arrays["b"])
    if function == "conv_forward":
        return (arrays["A_prev"], arrays["W"], arrays["b"], dict(hparameters))
    if function == "pool_forward":
        return (arrays["A_prev"], dict(hparameters), spec["mode"])
    if function == "conv_backward":
        return (arrays["dZ"], (arrays["A_prev"], arrays["W"], arrays["b"], dict(hparameters)))
    if function == "create_mask_from_window":
        return (arrays["x"],)
    if function == "distribute_value":
        return (spec["dz"], tuple(spec["shape"]))
    if function == "pool_backward":
        return (arrays["dA"], (arrays["A_prev"], dict(hparameters)), spec["mode"])
    raise ValueError(f"make_args: unknown function {function!r} in case {spec.get('id')!r}")


def _draw(spec):
    """{name: array} drawn in order from np.random.default_rng(spec["seed"])."""
    rng = np.random.default_rng(spec["seed"])
    dtype = np.dtype(spec.get("dtype", "float64"))
    arrays = {}
    for name, shape in spec.get("arrays", []):
        if spec.get("distinct") and name in ("A_prev", "x"):
            values = rng.permutation(int(np.prod(shape))) * 0.01 - 0.005 * np.prod(shape)
            arrays[name] = values.reshape(shape).astype(dtype)
        else:
            arrays[name] = rng.standard_normal(shape).astype(dtype)
    return arrays
