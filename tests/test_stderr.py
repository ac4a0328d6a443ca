"""Warnings never cost points: a student's function that writes to stderr keeps its marks.

nbgrader scores a check cell 0 when anything reaches its stderr stream, in autograde and in
`nbgrader validate` alike. Each graded function of the `err-noisy` submission writes to stderr in
another way while it is checked (warnings.warn, a numpy RuntimeWarning, a numpy DeprecationWarning
and print(file=sys.stderr), os.write to fd 2, logging.warning); every function of `err-logged` logs
through a logging.basicConfig handler made in an earlier cell, which holds ipykernel's stderr
stream object itself. `err-noisy-wrong` writes the same way from two wrong functions.
"""
import nbformat
import pytest

import student_runs
import support
from helpers import mistakes
from helpers.course import ASSIGNMENT, NOTEBOOK, UNITS
from helpers.tools.submissions import reference_sources, with_solutions

GRADED = {unit.grade_id: unit.points for unit in UNITS if unit.graded}
# What each function writes to stderr while it runs (inserted at the top of its body).
NOISE = {
    "zero_pad": ['import warnings', 'warnings.warn("zero_pad says: a UserWarning")'],
    "conv_single_step": ['_ = np.float64(1.0) / np.float64(0.0)  # RuntimeWarning: divide by zero'],
    "conv_forward": ['import sys', '_ = np.row_stack([[0.0], [0.0]])  # DeprecationWarning',
                     'print("conv_forward says: on sys.stderr", file=sys.stderr)'],
    "pool_forward": ['import logging, os', 'if mode != "max":', '    logging.warning("pool_forward says: logging.warning")',
                     # once, more than a pipe holds: ipykernel reads the rest of it after the function returned
                     'elif "told_fd_2" not in globals():', '    globals()["told_fd_2"] = True',
                     '    os.write(2, b"pool_forward says: on file descriptor 2" + b"." * 80_000 + b"\\n")'],
}
LOGGED = {function: ['import logging', f'logging.getLogger("student").warning("{function} says: logged")']
          for function in ("zero_pad", "conv_single_step", "conv_forward", "pool_forward")}
BASIC_CONFIG = 'import logging\nlogging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")'
WRONG = ("pad_every_axis", "pool_mode_ignored")  # zero_pad and pool_forward (average) are wrong
WRONG_CELLS = {"zero_pad_check", "pool_forward_average_check"}
# What the student must see in each check cell's output (stdout), by student.
SEEN = {
    "zero_pad_check": "zero_pad says: a UserWarning",
    "conv_single_step_check": "RuntimeWarning: divide by zero",
    "conv_forward_check": "conv_forward says: on sys.stderr",
    "pool_forward_max_check": "pool_forward says: on file descriptor 2",
    "pool_forward_average_check": "pool_forward says: logging.warning",
}


def noisy(source, lines):
    """A function's source with lines run first in its body (just after `### BEGIN SOLUTION`)."""
    head, marker, tail = source.partition("### BEGIN SOLUTION\n")
    assert marker, "the reference source has no solution marker"
    indent = " " * (len(head) - len(head.rstrip(" ")))
    return head + marker + "".join(f"{indent}{line}\n" for line in lines) + tail


def submissions(release):
    sources = reference_sources()
    wrong = {mistakes.MISTAKES_BY_SLUG[slug].function: mistakes.MISTAKES_BY_SLUG[slug].source() for slug in WRONG}
    logged = with_solutions(release, {name: noisy(sources[name], lines) for name, lines in LOGGED.items()})
    first_solution = next(i for i, cell in enumerate(logged.cells) if cell.metadata.get("nbgrader", {}).get("solution"))
    logged.cells.insert(first_solution, nbformat.v4.new_code_cell(BASIC_CONFIG))
    return {
        "err-noisy": with_solutions(release, {name: noisy(sources[name], lines) for name, lines in NOISE.items()}),
        "err-logged": logged,
        "err-noisy-wrong": with_solutions(release, {name: noisy({**sources, **wrong}[name], lines)
                                               for name, lines in NOISE.items()}),
    }


@pytest.fixture(scope="session")
def noisy_class(students_course, tmp_path_factory):
    """The three students graded in one autograde run, validated in one validate run, `err-noisy` run by its student."""
    course = students_course
    students = submissions(support.release_notebook(course))
    with student_runs.like_a_student():  # kernels capture fd 2 as they do for students
        support.autograde(course, students, "--student=err-*")
    copies = tmp_path_factory.mktemp("stderr-copies")
    paths = {student: student_runs.student_copy(copies / student, course / "release" / ASSIGNMENT, notebook)
             for student, notebook in students.items()}
    reports = student_runs.validate(paths.values())
    return course, {student: reports[path] for student, path in paths.items()}, student_runs.run_as_student(paths["err-noisy"])


@pytest.mark.parametrize("student", ["err-noisy", "err-logged"])
def test_warnings_keep_full_marks_in_autograde(noisy_class, student):
    """Does a correct submission that writes to stderr in every check get every point?"""
    scores = support.scores(noisy_class[0], student)
    assert {grade_id: score for grade_id, (score, _) in scores.items()} == pytest.approx(GRADED)


def test_wrong_functions_lose_their_points_whatever_they_write(noisy_class):
    """Does a wrong function lose its points, and only its own, also when it writes to stderr?"""
    scores = support.scores(noisy_class[0], "err-noisy-wrong")
    expected = {grade_id: 0 if grade_id in WRONG_CELLS else points for grade_id, points in GRADED.items()}
    assert {grade_id: score for grade_id, (score, _) in scores.items()} == pytest.approx(expected)


@pytest.mark.parametrize("student", ["err-noisy", "err-logged"])
def test_warnings_pass_validate(noisy_class, student):
    """Does `nbgrader validate` pass a correct submission that writes to stderr in every check?"""
    report = noisy_class[1][student]
    assert report.startswith("Success! Your notebook passes all the tests."), report


def test_validate_fails_the_wrong_functions_whatever_they_write(noisy_class):
    """Does `nbgrader validate` list exactly the wrong functions' check cells of a noisy submission?"""
    report = noisy_class[1]["err-noisy-wrong"]
    assert report.startswith("VALIDATION FAILED ON 2 CELL(S)!"), report
    assert student_runs.check_ids(report) == WRONG_CELLS


def test_warnings_stay_visible_as_ordinary_output(noisy_class):
    """In the student's own run, is each warning shown in its check cell, on stdout, with no stderr output?"""
    cells = {student_runs.grade_id(cell): cell for cell in noisy_class[2].cells}
    for grade_id, text in SEEN.items():
        streams = [out for out in cells[grade_id].outputs if out.output_type == "stream"]
        assert [out.name for out in streams if out.name != "stdout"] == [], grade_id
        assert text in "".join(out.text for out in streams), grade_id


def test_warnings_reach_the_autograded_notebook(noisy_class):
    """Does the instructor's autograded notebook show what each noisy function wrote, in its check cell?"""
    path = noisy_class[0] / "autograded" / "err-noisy" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    cells = {student_runs.grade_id(cell): cell for cell in nbformat.read(str(path), as_version=4).cells}
    for grade_id, text in SEEN.items():
        assert text in "".join(out.get("text", "") for out in cells[grade_id].outputs), grade_id
