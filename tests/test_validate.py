"""Validate agrees with the grade: what `nbgrader validate` reports is what the autograde charges.

"Agree" means, for every submission below (validated on the student's own copy of the release,
autograded in the course):
1. every check cell Validate lists as failed is a graded cell in which the autograde found a
   failing visible case: Validate never warns of a loss the grade does not have;
2. every graded cell with a failing visible case is listed by Validate, except a function whose
   helper fails its own check: its visible check then prints that it "could not be checked" and
   asks to fix the helper first, and Validate lists the helper only, while the autograde judges
   the function with the instructor's helper standing in (and charges it if it is wrong itself);
3. Validate says nothing of the optional part (0 points): it never lists those cells, so a
   submission whose only problems are there passes Validate, while the autograde still reports
   them (they cost nothing).
Hidden cases are not part of the agreement: Validate cannot run them, the autograde charges them.
"""
import pytest

import student_runs
import support
from helpers import mistakes
from helpers.course import ASSIGNMENT, UNITS
from helpers.tools.submissions import reference_sources, with_solutions

GRADED = {unit.grade_id for unit in UNITS if unit.graded}
OPTIONAL = {unit.grade_id for unit in UNITS if not unit.graded}
FORWARD = {unit.function for unit in UNITS if unit.graded}
# student -> the catalog's mistakes in their code (the rest is the instructor's solution)
WRONG = {
    "val-correct": (),
    "val-pad": ("pad_every_axis",),
    "val-pool-average": ("pool_mode_ignored",),
    "val-conv-backward": ("dW_not_accumulated",),
    "val-helper-and-caller": ("bias_missing", "conv_stride_ignored"),  # conv_forward calls conv_single_step
}
BLOCKED = {"val-helper-and-caller": {"conv_forward_check": "conv_single_step"}}  # cell -> the failing helper


def submissions(release):
    correct = reference_sources()
    made = {}
    for student, slugs in WRONG.items():
        wrong = {mistakes.MISTAKES_BY_SLUG[slug].function: mistakes.MISTAKES_BY_SLUG[slug].source() for slug in slugs}
        made[student] = with_solutions(release, {**correct, **wrong})
    made["val-forward-only"] = with_solutions(release, {name: correct[name] for name in FORWARD})
    made["val-untouched"] = release
    return made


STUDENTS = [*WRONG, "val-forward-only", "val-untouched"]


@pytest.fixture(scope="session")
def validated(students_course, tmp_path_factory):
    """Every student autograded in one run and validated in one run; the blocked one also run as its student."""
    course = students_course
    made = submissions(support.release_notebook(course))
    with student_runs.like_a_student():
        support.autograde(course, made, "--student=val-*")
    copies = tmp_path_factory.mktemp("validate-copies")
    paths = {student: student_runs.student_copy(copies / student, course / "release" / ASSIGNMENT, notebook)
             for student, notebook in made.items()}
    reports = student_runs.validate(paths.values())
    own_run = student_runs.run_as_student(paths["val-helper-and-caller"])
    return course, {student: reports[path] for student, path in paths.items()}, own_run


def visible_failures(course, student):
    """The check cells in which the autograde found a failing visible case."""
    return {grade_id for grade_id, result in support.results(course, student).items()
            if any(case["visible"] and not case["passed"] for case in result["cases"])}


@pytest.mark.parametrize("student", STUDENTS)
def test_validate_lists_only_cells_the_grade_charges(validated, student):
    """Is every cell Validate lists a graded cell with a failing visible case (no false alarm)?"""
    course, reports, _ = validated
    assert student_runs.check_ids(reports[student]) <= visible_failures(course, student) & GRADED


@pytest.mark.parametrize("student", STUDENTS)
def test_validate_lists_every_charged_cell_but_those_blocked_by_a_helper(validated, student):
    """Does Validate list every graded cell with a failing visible case, except one whose helper fails?"""
    course, reports, _ = validated
    missing = (visible_failures(course, student) & GRADED) - student_runs.check_ids(reports[student])
    assert missing == set(BLOCKED.get(student, {}))


@pytest.mark.parametrize("student", STUDENTS)
def test_validate_never_mentions_the_optional_part(validated, student):
    """Does Validate stay silent about the optional cells, failing or not?"""
    assert student_runs.check_ids(validated[1][student]) & OPTIONAL == set()


@pytest.mark.parametrize("student", ["val-correct", "val-forward-only", "val-conv-backward"])
def test_problems_only_in_the_optional_part_pass_validate_and_keep_full_marks(validated, student):
    """Does a submission whose only problems are in the optional part pass Validate and get every point?"""
    course, reports, _ = validated
    assert reports[student].startswith("Success! Your notebook passes all the tests."), reports[student]
    scores = support.scores(course, student)
    assert {grade_id: score for grade_id, (score, _) in scores.items()} == pytest.approx(
        {unit.grade_id: unit.points for unit in UNITS if unit.graded})


def test_optional_problems_are_still_reported_by_the_autograde(validated):
    """Does the autograde still report the optional part's failures (at no cost)?"""
    course = validated[0]
    assert visible_failures(course, "val-conv-backward") == {"conv_backward_check"}
    assert visible_failures(course, "val-forward-only") == OPTIONAL


def test_a_blocked_check_tells_the_student_to_fix_the_helper_first(validated):
    """In the student's own run, does the check of a function whose helper fails say which helper to fix?"""
    cells = {student_runs.grade_id(cell): cell for cell in validated[2].cells}
    for grade_id, helper in BLOCKED["val-helper-and-caller"].items():
        printed = "".join(out.get("text", "") for out in cells[grade_id].outputs)
        assert "could not be checked" in printed and f"Fix {helper} first" in printed
        assert not [out for out in cells[grade_id].outputs if out.output_type == "error"]
