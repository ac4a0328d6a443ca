"""The grade is right: every mutant of the instructor's solution is caught where it is, and only there.

In process (fast): the released visible checks, alone, catch every mutant with its own teaching
message, and the grader's hidden cases catch it too (helpers.tools.killmatrix computes both).
For real (one `nbgrader autograde` run for all, see tests/variants.py): each mutant fails the
check cells of its own function and no other, loses those points only, and its message reaches
the autograded notebook and the feedback, which shows nothing of the hidden cases.
"""
import inspect

import pytest

import support
import variants
from helpers import cases, mistakes, reference
from helpers.tools import killmatrix
from helpers.course import UNITS, points

MISTAKES = mistakes.MISTAKES
NAMED = [mistake for mistake in MISTAKES if mistake.slug in mistakes.NAMED]
OWN = {mistake.slug: {unit.grade_id for unit in UNITS if unit.function == mistake.function} for mistake in MISTAKES}
# The mistakes issue 4 lists by name; helpers.mistakes.NAMED maps slugs to these names.
ISSUE_NAMES = {
    "stride ignored", "padding missing", "padding on the wrong axes", "output size off by one",
    "height and width swapped", "bias missing", "bias from the wrong channel", "an activation applied",
    "the cache holding the padded input", "average pooling dividing by the wrong count", "the mode ignored",
    "pooling across channels", "a mask of the minimum", "a strict inequality",
    "\"=\" instead of \"+=\" where windows overlap", "unpadding with [pad:-pad] (empty at pad 0)",
    "dW not accumulated over the batch", "db not accumulated over the batch",
    "pooling backward ignoring the stride", "constant outputs copied from the notebook",
}


def by_slug(values):
    return pytest.mark.parametrize("mistake", values, ids=lambda mistake: mistake.slug)


@pytest.fixture(scope="module")
def matrix():
    """{slug: (row, summary)} of the kill matrix, computed in this process."""
    return {mistake.slug: (row, summary) for mistake, row, summary in killmatrix.matrix(MISTAKES)}


# --------------------------------------------------------------------------------------------
# The catalog

def test_catalog_is_large_and_names_every_listed_mistake():
    """Are there at least 30 mutants, at least 15 of them the issue's named mistakes, covering its whole list?"""
    assert len(MISTAKES) >= 30
    assert len(mistakes.NAMED) >= 15 and set(mistakes.NAMED) <= set(mistakes.MISTAKES_BY_SLUG)
    assert set(mistakes.NAMED.values()) == ISSUE_NAMES


@by_slug(MISTAKES)
def test_edits_apply_exactly_once(mistake):
    """Does each edit of the mutant change one spot of the instructor's code (not its docstring) and compile?"""
    text = inspect.getsource(getattr(reference, mistake.function))
    docstring, code = mistakes.split_docstring(text)
    for old, _ in mistake.edits:
        assert code.count(old) == 1, f"{mistake.slug}: {old!r} occurs {code.count(old)} times"
    assert mistake.source() != text and mistake.source().startswith(docstring)
    assert callable(mistake.build()) and mistake.build().__name__ == mistake.function


# --------------------------------------------------------------------------------------------
# In process: visible checks alone, and the hidden cases

@by_slug(MISTAKES)
def test_visible_checks_catch_it_with_its_message(mistake, matrix):
    """Do the released visible checks alone, in plain Python, fail the mutant with its own explanation?"""
    row, summary = matrix[mistake.slug]
    caught = [row[grade_id].visible for grade_id in OWN[mistake.slug] if row[grade_id].visible.outcome == "caught"]
    assert caught, f"{mistake.slug}: no visible check fails it"
    assert any(f"Likely cause: {mistake.message}" in visible.message for visible in caught), caught[0].message
    assert summary.visible_names_it


@by_slug(MISTAKES)
def test_grader_gives_the_same_message(mistake, matrix):
    """Does the grader explain the mutant's failures with the same mistake as the visible checks do?"""
    row, _ = matrix[mistake.slug]
    named = [slug for grade_id in OWN[mistake.slug] for slug in row[grade_id].graded.mistakes]
    assert mistake.slug in named, f"{mistake.slug}: the grader names {sorted(set(named))}"


@by_slug(MISTAKES)
def test_hidden_cases_catch_it(mistake, matrix):
    """Does at least one hidden case of its own check cells fail the mutant (copied outputs included)?"""
    _, summary = matrix[mistake.slug]
    assert summary.hidden_caught


@by_slug(MISTAKES)
def test_callers_blame_the_helper(mistake, matrix):
    """Do callers' checks pass or say "could not be checked" (never fail), and its own never blame a helper?"""
    row, _ = matrix[mistake.slug]
    for grade_id, cell in row.items():
        if grade_id in OWN[mistake.slug] or cell.visible is None:
            continue
        assert cell.visible.outcome in ("passed", "blocked"), f"{grade_id}: {cell.visible.message}"
        assert not cell.graded.charged, f"{grade_id} is charged for {mistake.slug}"
    assert all(row[grade_id].visible.outcome in ("caught", "passed") for grade_id in OWN[mistake.slug])


def test_killmatrix_prints_every_mutant(capsys):
    """Does `python -m helpers killmatrix --function pool_forward` print its mutants and the catch counts?"""
    assert killmatrix.main(["--function", "pool_forward"]) == 0
    out = capsys.readouterr().out
    own = [mistake.slug for mistake in MISTAKES if mistake.function == "pool_forward"]
    assert all(slug in out for slug in own)
    assert "conv_stride_ignored" not in out
    caught = next(line for line in out.splitlines() if line.startswith("mutants caught"))
    assert caught.split()[-2:] == [f"{len(own)}/{len(own)}"] * 2  # by the visible checks, by the hidden cases


def test_killmatrix_help(capsys):
    """Does `killmatrix --help` explain itself and exit 0?"""
    with pytest.raises(SystemExit) as exit_info:
        killmatrix.main(["--help"])
    assert exit_info.value.code == 0
    assert "python -m helpers killmatrix --function" in capsys.readouterr().out


# --------------------------------------------------------------------------------------------
# For real: one nbgrader autograde run

def failed_cells(course, student):
    return {grade_id for grade_id, result in support.results(course, student).items() if not result["passed"]}


def test_correct_solution_gets_full_marks(variants_course):
    """Does the instructor's own solution pass every check cell with full points?"""
    assert failed_cells(variants_course, variants.CORRECT) == set()
    assert support.scores(variants_course, variants.CORRECT) == {unit.grade_id: (float(points(unit)), False)
                                                         for unit in UNITS if unit.graded}


@by_slug(MISTAKES)
def test_mutant_fails_its_own_cells_only(variants_course, matrix, mistake):
    """Does autograde fail exactly the check cells the kill matrix predicts, all of the mutant's own function?"""
    row, _ = matrix[mistake.slug]
    results = support.results(variants_course, variants.mutant_student(mistake))
    failed = {grade_id for grade_id, result in results.items() if not result["passed"]}
    predicted = {grade_id for grade_id, cell in row.items() if cell.graded and cell.graded.charged}
    assert failed == predicted
    assert failed and failed <= OWN[mistake.slug]
    assert not any(result["flags"] for result in results.values())


@by_slug(MISTAKES)
def test_mutant_loses_its_own_points_only(variants_course, mistake):
    """Does the gradebook give full points everywhere but the failed cells, with nothing left for manual review?"""
    student = variants.mutant_student(mistake)
    failed = failed_cells(variants_course, student)
    assert support.scores(variants_course, student) == {
        unit.grade_id: (0.0 if unit.grade_id in failed else float(points(unit)), False)
        for unit in UNITS if unit.graded}


@by_slug(MISTAKES)
def test_message_reaches_the_autograded_notebook(variants_course, mistake):
    """Does the mutant's "Likely cause: ..." appear in its autograded notebook?"""
    explanation = f"Likely cause: {mistake.message}"
    assert explanation in variants.autograded_text(variants_course, variants.mutant_student(mistake))


@by_slug(NAMED)
def test_message_reaches_the_feedback(variants_course, mistake):
    """Does a named mistake's "Likely cause: ..." appear in the feedback the student gets?"""
    explanation = f"Likely cause: {mistake.message}"
    assert explanation in variants.feedback_text(variants_course, variants.mutant_student(mistake))


@by_slug(NAMED)
def test_feedback_shows_no_hidden_inputs_or_values(variants_course, mistake):
    """Does the feedback leave out the hidden code, the hidden cases' inputs and their values?"""
    student = variants.mutant_student(mistake)
    text = variants.feedback_text(variants_course, student)
    for secret in ("BEGIN HIDDEN TESTS", "run_hidden(", "_reference_", "'seed': "):
        assert secret not in text
    assert not [spec["id"] for spec in cases.HIDDEN if spec["id"] in text]
    checked = [case for result in support.results(variants_course, student).values() for case in result["cases"]]
    failing = [case for case in checked if not case["visible"] and not case["passed"]]
    assert failing, "the mutant fails no hidden case: nothing to look for"
    # the first line of a hidden failure's detail, e.g. "Z[0, 1, 2, 0] = 0.1, expected 0.3 (...)", unless the
    # student may read it anyway: in its message (an exception's text) or a visible case's detail (same shapes)
    shown = [case["message"] for case in failing] + [case["detail"] for case in checked if case["visible"]]
    secret = [line for line in {case["detail"].split("\n")[0] for case in failing}
              if not any(line in other for other in shown)]
    assert all(line in variants.autograded_text(variants_course, student) for line in secret)  # the instructor sees them
    assert not [line for line in secret if line in text]
