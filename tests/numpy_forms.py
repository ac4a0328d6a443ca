"""The forms of conv_single_step and conv_forward that real students write around numpy 2.4's changes.

Each row: a student's conv_single_step form, the way their conv_forward uses it, and the points
each function must earn. `python tests/numpy_forms.py RELEASE_DIR` runs the visible checks of
every row with whatever numpy the running Python has and prints {row: {function: [verdict, notes]}}
as JSON, so that two environments (the pinned numpy and numpy 1.26) can be compared.
"""
import contextlib
import io
import json
import sys

STEP_LINE = "Z = float(np.sum(s) + b.item())"
CALL = "conv_single_step(a_slice_prev, W[:, :, :, c], b[:, :, :, c])"
STORE_LINE = f"Z[i, h, w, c] = {CALL}"

STEP_FORMS = {  # what conv_single_step returns
    "array-111": "Z = np.sum(s) + b",
    "array-1": "Z = np.sum(s) + b.ravel()",
    "array-0d": "Z = np.squeeze(np.sum(s) + b)",
    "numpy-scalar": "Z = np.sum(s) + b.item()",
    "float": STEP_LINE,
    "float-of-b": "Z = np.sum(s)\n    Z = Z + float(b)",  # the classic exercise's hint: "cast b to a float()"
    "np-float": "Z = np.float(np.sum(s) + b.item())",  # np.float is gone since numpy 1.24
}
CALLER_FORMS = {  # how conv_forward stores it
    "assign": STORE_LINE,
    "index": f"Z[i, h, w, c] = {CALL}[0, 0, 0]",
    "float": f"Z[i, h, w, c] = float({CALL})",
    "item": f"Z[i, h, w, c] = {CALL}.item()",
    "inline-float-of-b": "Z[i, h, w, c] = np.sum(a_slice_prev * W[:, :, :, c]) + float(b[:, :, :, c])",
}
# row -> (step form, caller form, points of conv_single_step, points of conv_forward)
ROWS = {
    "array-111/assign": ("array-111", "assign", 10, 40),
    "array-1/assign": ("array-1", "assign", 10, 40),
    "array-0d/assign": ("array-0d", "assign", 10, 40),
    "numpy-scalar/assign": ("numpy-scalar", "assign", 10, 40),
    "float/assign": ("float", "assign", 10, 40),
    "float-of-b/assign": ("float-of-b", "assign", 10, 40),
    "np-float/assign": ("np-float", "assign", 0, 40),
    "array-111/index": ("array-111", "index", 10, 40),
    "float/index": ("float", "index", 10, 0),
    "array-111/float": ("array-111", "float", 10, 40),
    "array-111/item": ("array-111", "item", 10, 40),
    "numpy-scalar/item": ("numpy-scalar", "item", 10, 40),
    "float/item": ("float", "item", 10, 0),
    "float/inline-float-of-b": ("float", "inline-float-of-b", 10, 40),
}


def sources(row, reference_sources):
    """{function: source} of the row's zero_pad (right), conv_single_step and conv_forward (edited)."""
    step, caller = ROWS[row][:2]
    return {"zero_pad": reference_sources["zero_pad"],
            "conv_single_step": reference_sources["conv_single_step"].replace(STEP_LINE, STEP_FORMS[step]),
            "conv_forward": reference_sources["conv_forward"].replace(STORE_LINE, CALLER_FORMS[caller])}


def visible_verdicts(code_by_row, checks):
    """{row: {function: [verdict, notes]}}, verdict "pass", "fail" or "blocked" by the visible checks."""
    out = {}
    for row, code in code_by_row.items():
        namespace = {"np": checks.np}
        for source in code.values():
            exec(source, namespace)
        out[row] = {}
        for function in ("conv_single_step", "conv_forward"):
            printed = io.StringIO()
            verdict = "pass"
            with contextlib.redirect_stdout(printed):
                try:
                    getattr(checks, f"check_{function}")(namespace[function])
                except checks.CheckFailed:
                    verdict = "fail"
            text = printed.getvalue()
            if "could not be checked" in text:
                verdict = "blocked"
            notes = [line.strip() for line in text.splitlines() if line.strip().startswith("Note:")]
            out[row][function] = [verdict, notes]
    return out


if __name__ == "__main__":
    sys.path.insert(0, sys.argv[1])
    import cnn_checks
    print(json.dumps(visible_verdicts(json.load(sys.stdin), cnn_checks)))
