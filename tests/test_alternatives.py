"""Correct code written differently keeps full marks (helpers/alternatives.py).

In process: every alternative, and every complete set of them, passes the released visible
checks and every case the grader judges. For real: the complete sets, which use every variant
once, are graded in the one autograde run of tests/variants.py and get full points, nothing flagged.
"""
import numpy as np
import pytest

import support
import variants
from helpers import alternatives, cases
from helpers.tools import killmatrix
from helpers.course import UNITS, points
from helpers.tools.submissions import reference_sources

ALTERNATIVES = alternatives.ALTERNATIVES + alternatives.SETS
FUNCTIONS = {unit.function for unit in UNITS}
# The forms issue 4 asks to accept, each recognized in some alternative's source: (what, function, text).
FORMS = [
    ("stride tricks", "conv_forward", "sliding_window_view"), ("stride tricks", "pool_forward", "sliding_window_view"),
    ("einsum", "conv_forward", "np.einsum"), ("einsum", "conv_backward", "np.einsum"),
    ("tensordot", "conv_single_step", "np.tensordot"), ("tensordot", "conv_forward", "np.tensordot"),
    ("loops vectorized over channels", "pool_forward", "A[i, h, w, :] ="),
    ("loops vectorized over channels", "pool_backward", "dA_prev[i, rows, cols, :] +="),
    ("other loop order", "conv_forward", "for c in range(n_C):\n        for w in range(n_W):"),
    ("masks of 0/1 ints", "create_mask_from_window", ".astype(int)"),
    ("np.full", "distribute_value", "np.full("),
    ("a size-1 array from conv_single_step", "conv_single_step", "Z = Z + b"),
    ("a conv_forward that copes with it", "conv_forward", ".item()"),
    ("a numpy scalar from conv_single_step", "conv_single_step", "np.sum(a_slice_prev * W) + b.item()"),
    ("no zero_pad in conv_forward", "conv_forward", "np.pad(A_prev"),
    ("float32 kept", "zero_pad", "dtype=X.dtype"), ("float32 kept", "pool_forward", "dtype=A_prev.dtype"),
]
# Variants that keep float32 inputs in float32, with the float32 case that shows it.
FLOAT32 = [(alternatives.zero_pad__slice_assign, "zero_pad_check"),
           (alternatives.conv_forward__channels_np_pad, "conv_forward_check"),
           (alternatives.conv_backward__einsum, "conv_backward_check")]


def by_slug(values):
    return pytest.mark.parametrize("alternative", values, ids=lambda alternative: alternative.slug)


def affected_units(alternative):
    """The check cells of the alternative's functions and of their callers (the others run the instructor's code)."""
    functions = set(alternative.sources())
    functions |= {caller for function in functions for caller in killmatrix.callers(function)}
    return [unit for unit in UNITS if unit.function in functions]


@pytest.fixture(scope="module")
def released():
    return killmatrix.released_checks()


def test_alternative_solutions_is_a_complete_different_set():
    """Does alternative_solutions() give every function, each defined under its own name, none the instructor's?"""
    sources = alternatives.alternative_solutions()
    assert set(sources) == FUNCTIONS
    namespace = killmatrix.submission(sources)
    assert all(namespace[name].__name__ == name for name in FUNCTIONS)
    assert all(sources[name] != reference_sources()[name] for name in FUNCTIONS)


@pytest.mark.parametrize("what, function, text", FORMS, ids=[f"{form[0]}-{form[1]}" for form in FORMS])
def test_catalog_has_the_asked_forms(what, function, text):
    """Is each form the issue lists written out in some alternative of that function?"""
    assert any(text in alt.sources().get(function, "") for alt in ALTERNATIVES), f"no {what} in {function}"


@pytest.mark.parametrize("variant, grade_id", FLOAT32, ids=lambda value: getattr(value, "__name__", value))
def test_float32_stays_float32(variant, grade_id):
    """Do the float32-preserving variants really return float32 on the hidden float32 case?"""
    spec = next(spec for spec in cases.HIDDEN if spec["unit"] == grade_id and spec.get("dtype") == "float32")
    namespace = killmatrix.submission({variant.__name__.split("__")[0]: alternatives.source_of(variant)})
    result = namespace[spec["function"]](*cases.args_of(spec))
    first = result[0] if isinstance(result, tuple) else result
    assert first.dtype == np.float32


@by_slug(ALTERNATIVES)
def test_visible_checks_pass(alternative, released):
    """Do the released visible checks, in plain Python, pass the alternative and the functions calling it?"""
    namespace = killmatrix.submission(alternative.sources())
    for unit in affected_units(alternative):
        visible = killmatrix.run_visible(released, unit, namespace)
        assert visible.outcome == "passed", f"{unit.grade_id}: {visible.message}"


@by_slug(ALTERNATIVES)
def test_graders_cases_pass(alternative):
    """Does the grader's judgement of every visible and hidden case pass the alternative and its callers?"""
    namespace = killmatrix.submission(alternative.sources())
    for unit in affected_units(alternative):
        graded = killmatrix.run_graded(unit, namespace)
        assert not graded.charged, f"{unit.grade_id}: {graded.messages[:1]}"


def test_sets_use_every_variant_once():
    """Do the graded complete submissions use every variant of the catalog, each exactly once?"""
    in_sets = [variant for alternative in alternatives.SETS for variant in alternative.variants]
    catalog = [variant for alternative in alternatives.ALTERNATIVES for variant in alternative.variants]
    assert len(in_sets) == len(set(in_sets)) and set(in_sets) == set(catalog)
    assert alternatives.alternative_solutions() == alternatives.SETS[0].sources()


@pytest.mark.parametrize("alternative", alternatives.SETS, ids=lambda alternative: alternative.slug)
def test_autograde_gives_full_marks(variants_course, alternative):
    """Does real autograde pass every check cell of the complete submission, with full points and nothing flagged?"""
    student = variants.alternative_student(alternative)
    results = support.results(variants_course, student)
    assert {grade_id for grade_id, result in results.items() if not result["passed"] or result["flags"]} == set()
    assert support.scores(variants_course, student) == {unit.grade_id: (float(points(unit)), False)
                                               for unit in UNITS if unit.graded}
