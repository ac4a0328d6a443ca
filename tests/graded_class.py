"""A class of six, graded once per test session (conftest's class_grading), for the class report and the browser tests.

`grade(course)` names the students in the course's gradebook, grades all six submissions in ONE
`nbgrader autograde` run and writes their feedback with ONE `nbgrader generate_feedback` run.
"""
from nbgrader.api import Gradebook

import support
from helpers import mistakes
from helpers.course import ASSIGNMENT, NOTEBOOK
from helpers.tools.submissions import reference_sources

# student id -> the named mistakes (helpers.mistakes) in their code; the rest is the instructor's solution
MISTAKES = {
    "s2-mistakes": ("conv_stride_ignored", "pool_mode_ignored", "distribute_not_divided"),
    "s3-mistakes": ("conv_stride_ignored", "pad_one_side", "mask_of_minimum"),
}
NAMES = {  # student id -> (first name, last name) in the gradebook
    "s1-correct": ("Grace", "Hopper"), "s2-mistakes": ("Alan", "Turing"), "s3-mistakes": ("Ada", "Lovelace"),
    "s4-untouched": ("Edsger", "Dijkstra"), "s6-forger": ("Eve", "Mallet"),  # s5-crash has no name
}
# the report's order: by last name, a student without a name by id among the last names
BY_NAME = ["s4-untouched", "s1-correct", "s3-mistakes", "s6-forger", "s5-crash", "s2-mistakes"]
CRASH = "s5-crash"  # its kernel dies (no autograded notebook, unless the sandbox restarts the kernel)
FORGER = "s6-forger"  # its zero_pad records a fake result for another check cell: flagged
FORGED_RECORD = '''

_honest_zero_pad = zero_pad


def zero_pad(X, pad):
    from IPython.display import display
    display({"application/vnd.cnn-check+json": {"unit": "conv_forward_check", "case": "forged", "returned": None},
             "text/plain": "forged"}, raw=True)
    return _honest_zero_pad(X, pad)
'''

# Who passes each check, from the class's design: s2 and s3 carry MISTAKES, s4 is
# untouched, s5's kernel dies, s6 is flagged on zero_pad (a right result does not pass when flagged).
# A helper's mistake is charged in its own check only (the instructor's helper stands in elsewhere).
ALL_RIGHT = {"s1-correct", "s2-mistakes", "s3-mistakes", FORGER}
PASSED = {
    "zero_pad_check": {"s1-correct", "s2-mistakes"},
    "conv_single_step_check": ALL_RIGHT,
    "conv_forward_check": {"s1-correct", FORGER},
    "pool_forward_max_check": ALL_RIGHT,
    "pool_forward_average_check": {"s1-correct", "s3-mistakes", FORGER},
    "conv_backward_check": ALL_RIGHT,
    "create_mask_from_window_check": {"s1-correct", "s2-mistakes", FORGER},
    "distribute_value_check": {"s1-correct", "s3-mistakes", FORGER},
    "pool_backward_check": ALL_RIGHT,
}
TOTALS = {"s1-correct": 100, "s2-mistakes": 40, "s3-mistakes": 50, "s4-untouched": 0, CRASH: 0, FORGER: 90}


def submissions():
    """{student id: notebook} of the six students, made from the release."""
    release = support.release_notebook()
    correct = reference_sources()
    made = {"s1-correct": support.with_solutions(release, correct), "s4-untouched": release,
            CRASH: support.with_solutions(release, {"zero_pad": "import os\nos._exit(1)\n"}),
            FORGER: support.with_solutions(release, {**correct, "zero_pad": correct["zero_pad"] + FORGED_RECORD})}
    for student, slugs in MISTAKES.items():
        wrong = {mistakes.MISTAKES_BY_SLUG[slug].function: mistakes.MISTAKES_BY_SLUG[slug].source() for slug in slugs}
        made[student] = support.with_solutions(release, {**correct, **wrong})
    return made


def grade(course):
    """(course, the CompletedProcess of its autograde run): the class submitted, graded and fed back."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student, (first, last) in NAMES.items():
            gradebook.update_or_create_student(student, first_name=first, last_name=last)
    for student, notebook in submissions().items():
        support.submit(course, student, notebook)
    graded = support.nbgrader(course, "autograde", ASSIGNMENT, check=False)
    support.nbgrader(course, "generate_feedback", ASSIGNMENT)
    return course, graded


def autograded(course):
    """The students who have an autograded notebook."""
    return [student for student in TOTALS if (course / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb").exists()]


def feedback_page(course, student):
    return course / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html"
