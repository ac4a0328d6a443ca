"""End to end with real nbgrader: the demo's class graded, fed back and exported, cell by cell."""
import csv

import pytest

import support
from helpers.tools import demo
from helpers.course import ASSIGNMENT, NOTEBOOK, UNITS

FORWARD = [unit.grade_id for unit in UNITS if unit.graded]
BACKWARD = [unit.grade_id for unit in UNITS if not unit.graded]
FULL = {unit.grade_id: unit.points for unit in UNITS if unit.graded}
# What each student must get, check by check (points for graded cells, pass/fail for the optional part).
EXPECTED = {
    "reference": (FULL, {grade_id: True for grade_id in BACKWARD}),
    "correct-alt": (FULL, {grade_id: True for grade_id in BACKWARD}),
    "mistakes": ({**FULL, "conv_forward_check": 0, "pool_forward_average_check": 0},
                 {"conv_backward_check": False, "create_mask_from_window_check": True,
                  "distribute_value_check": True, "pool_backward_check": False}),
    "untouched": ({grade_id: 0 for grade_id in FORWARD}, {grade_id: False for grade_id in BACKWARD}),
}


@pytest.fixture(scope="session")
def graded_class(course_factory):
    """The demo's three students, the instructor's own solution and a file that is not a notebook, graded once."""
    course = course_factory("class")
    submissions = {**demo.submissions(),
                   "reference": support.with_solutions(support.release_notebook(), support.reference_sources()),
                   "not-a-notebook": "this file was saved by a word processor"}
    autograde = support.autograde(course, submissions, check=False)
    feedback = support.nbgrader(course, "generate_feedback", ASSIGNMENT, check=False)
    export = support.nbgrader(course, "export", "--to", str(course / "grades.csv"))
    return course, autograde, feedback, export


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_scores_cell_by_cell(graded_class, student):
    """Does every check cell get exactly the expected score, with nothing flagged for review?"""
    course = graded_class[0]
    forward, backward = EXPECTED[student]
    scores = support.scores(course, student)
    assert {grade_id: score for grade_id, (score, _) in scores.items()} == pytest.approx(forward)
    assert not any(review for _, review in scores.values())
    results = support.results(course, student)
    assert {grade_id: results[grade_id]["passed"] for grade_id in BACKWARD} == backward


def test_mistakes_are_named(graded_class):
    """Does each of the demo's mistakes come back with its teaching message, in its own check only?"""
    results = support.results(graded_class[0], "mistakes")
    named = {case["mistake"] for result in results.values() for case in result["cases"] if case["mistake"]}
    assert named == set(demo.DEMO_MISTAKES)


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_feedback_is_generated(graded_class, student):
    """Is there a feedback page for every graded student, with the checks' verdicts and no hidden code?"""
    page = graded_class[0] / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html"
    html = page.read_text(encoding="utf-8")
    assert "checks passed" in html and "BEGIN HIDDEN TESTS" not in html and "run_hidden(" not in html


def test_a_file_that_is_not_a_notebook_stops_nothing(graded_class):
    """Is an unreadable submission reported by name while every other student is graded?"""
    course, autograde = graded_class[0], graded_class[1]
    assert "not-a-notebook" in autograde.stderr
    assert not (course / "autograded" / "not-a-notebook" / ASSIGNMENT / f"{NOTEBOOK}.ipynb").exists()
    for student in EXPECTED:
        assert (course / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb").exists()


def test_grades_are_exported(graded_class):
    """Does `nbgrader export` write every graded student's total?"""
    with open(graded_class[0] / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(handle)}
    for student, (forward, _) in EXPECTED.items():
        assert rows[student] == sum(forward.values())


def test_demo_table(graded_class, monkeypatch):
    """Does the demo's table show each student's points and optional-part results?"""
    monkeypatch.setattr(demo, "ROOT", graded_class[0])
    table = demo.check_table(["correct-alt", "mistakes", "untouched"]).splitlines()
    assert table[2].split() == ["correct-alt", "10", "10", "40", "20", "20", "pass", "pass", "pass", "pass", "100"]
    assert table[3].split() == ["mistakes", "10", "10", "0", "20", "0", "fail", "pass", "pass", "fail", "40"]
    assert table[4].split() == ["untouched", "0", "0", "0", "0", "0", "fail", "fail", "fail", "fail", "0"]
