"""The sandbox with the real assignment: attacks on `cnn` graded by ONE real `nbgrader autograde` run.

The small-course suite (test_sandbox_attacks.py) covers the attacks one by one; this checks that the
sandbox and the course's own grading (helpers.grading.verify) work together: a sandbox flag fails the
submission's checks and sends it to manual review, a kernel that dies in a check cell costs that
check only, and the instructor's notebook stays out of reach.
"""
import pytest
from nbformat.v4 import new_code_cell

import support
from helpers.course import UNITS
from helpers.grading.sandbox.protection import probe
from helpers.tools.submissions import reference_sources, with_solutions

FULL = {unit.grade_id: unit.points for unit in UNITS if unit.graded}
STUB = "def conv_forward(A_prev, W, b, hparameters):\n    raise NotImplementedError()"
READ_SOURCE = '''
import json
for cell in json.load(open("../../../source/cnn/cnn.ipynb"))["cells"]:
    if cell["metadata"].get("nbgrader", {}).get("grade_id") == "conv_forward":
        exec("".join(cell["source"]))
'''
EXIT_IN_AVERAGE_POOLING = '''

_pool_forward = pool_forward


def pool_forward(A_prev, hparameters, mode="max"):
    if mode == "average":
        import os
        os._exit(1)
    return _pool_forward(A_prev, hparameters, mode)
'''


def notebooks() -> dict:
    """{student: notebook}: correct submissions between attacks, and an honest incomplete one."""
    release = support.release_notebook()
    sources = reference_sources()
    reference = with_solutions(release, sources)
    partial = with_solutions(release, {**sources, "conv_forward": STUB})
    exit_extra = with_solutions(release, sources)
    imports = next(i for i, cell in enumerate(exit_extra.cells)
                   if cell.metadata.get("nbgrader", {}).get("grade_id") == "imports")
    exit_extra.cells.insert(imports + 1, new_code_cell("import os\nos._exit(1)"))
    return {
        "00-reference": reference,
        "01-partial": partial,
        "02-shadow-checks": partial,  # plus a cnn_checks/ package beside the notebook
        "03-reference": reference,
        "04-dies-in-check": with_solutions(release, {**sources, "pool_forward": sources["pool_forward"]
                                                     + EXIT_IN_AVERAGE_POOLING}),
        "05-reference": reference,
        "06-exit-extra-cell": exit_extra,
        "07-reference": reference,
        "08-read-source": with_solutions(release, {**sources, "conv_forward": READ_SOURCE + STUB}),
        "09-reference": reference,
    }


@pytest.fixture(scope="session")
def graded(course_factory):
    missing = probe().missing
    if missing:
        pytest.skip("the sandbox is not available here: " + "; ".join(missing))
    course = course_factory("sandboxed")
    shadow = course / "submitted" / "02-shadow-checks" / "cnn" / "cnn_checks"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("def check_conv_forward(function):\n    pass\n")
    result = support.autograde(course, notebooks(), check=False)
    return course, result


def test_the_batch_finishes(graded):
    """Does one autograde run grade all ten submissions of the real assignment?"""
    course, result = graded
    assert result.returncode == 0, result.stderr[-3000:]
    assert all((course / "autograded" / s / "cnn" / "cnn.ipynb").exists() for s in notebooks())


@pytest.mark.parametrize("student", ["00-reference", "03-reference", "05-reference", "07-reference",
                                     "09-reference", "06-exit-extra-cell"])
def test_correct_submissions_get_full_points(graded, student):
    """Does every correct submission, also one with a cell that kills its kernel, get every point?"""
    assert support.scores(graded[0], student) == {g: (p, False) for g, p in FULL.items()}


def test_reading_the_instructors_notebook_gains_nothing(graded):
    """Does conv_forward taken from source/cnn/cnn.ipynb score what the honest incomplete one does?"""
    course = graded[0]
    assert support.scores(course, "08-read-source") == support.scores(course, "01-partial")
    assert support.scores(course, "01-partial")["conv_forward_check"] == (0, False)


def test_a_package_shadowing_the_checks_is_flagged_for_review(graded):
    """Does a cnn_checks/ package beside the notebook fail every check and send them to manual review?"""
    course = graded[0]
    scores = support.scores(course, "02-shadow-checks")
    assert scores == {g: (0, True) for g in FULL}
    flags = support.results(course, "02-shadow-checks")["zero_pad_check"]["flags"]
    assert any(flag.startswith("cnn_checks in the submission") for flag in flags)


def test_a_kernel_that_dies_in_a_check_costs_that_check(graded):
    """Does a pool_forward that kills the kernel in average mode lose only the average pooling check?"""
    course = graded[0]
    assert support.scores(course, "04-dies-in-check") == {**{g: (p, False) for g, p in FULL.items()},
                                                           "pool_forward_average_check": (0, False)}
    average = support.results(course, "04-dies-in-check")["pool_forward_average_check"]
    assert "KernelDied" in average["cases"][0]["message"]
