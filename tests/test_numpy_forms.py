"""The same points on every numpy for the forms numpy 2.4 made raise (tests/numpy_forms.py has the rows).

Every row is graded by one real autograde under the pinned numpy; the visible checks of every
row run under the pinned numpy and under numpy 1.26 and must give the same verdicts and notes.
"""
import json
import subprocess
import sys

import pytest

import numpy_forms
import support
from helpers.course import RELEASE_DIR, ROOT

ROWS = numpy_forms.ROWS


def row_sources():
    reference = support.reference_sources()
    return {row: numpy_forms.sources(row, reference) for row in ROWS}


def student(row):
    return "np-" + row.replace("/", "--")


@pytest.fixture(scope="session")
def forms_class(course_factory):
    course = course_factory("numpy-forms")
    release, right = support.release_notebook(), support.reference_sources()
    support.autograde(course, {student(row): support.with_solutions(release, {**right, **code})
                               for row, code in row_sources().items()})
    return course


@pytest.mark.parametrize("row", ROWS)
def test_the_grader_gives_each_form_its_points(forms_class, row):
    """Does each function get the points the policy gives it under the pinned numpy?"""
    scores = support.scores(forms_class, student(row))
    step_points, conv_points = ROWS[row][2:]
    assert scores["conv_single_step_check"][0] == step_points
    assert scores["conv_forward_check"][0] == conv_points
    assert scores["zero_pad_check"][0] == 10


def test_the_notes_say_what_works_on_every_numpy(forms_class):
    """Do the forms that pass thanks to older numpy's leniency get a note naming what works everywhere?"""
    results = support.results(forms_class, student("float-of-b/assign"))
    assert any("b.item()" in note for note in results["conv_single_step_check"]["notes"])
    results = support.results(forms_class, student("array-111/index"))
    assert any("relies on conv_single_step" in note for note in results["conv_forward_check"]["notes"])
    results = support.results(forms_class, student("float/assign"))
    assert not results["conv_single_step_check"]["notes"] and not results["conv_forward_check"]["notes"]


def visible_verdicts(python):
    result = subprocess.run([str(python), str(ROOT / "tests" / "numpy_forms.py"), str(RELEASE_DIR)],
                            input=json.dumps(row_sources()), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_the_visible_checks_agree_on_numpy_1_26(numpy1_python):
    """Do the visible checks give every row the same verdicts and notes under numpy 1.26 as under the pin?"""
    version = subprocess.run([str(numpy1_python), "-c", "import numpy; print(numpy.__version__)"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert version.startswith("1.26"), version
    pinned, old = visible_verdicts(sys.executable), visible_verdicts(numpy1_python)
    assert pinned == old
    for row, (_, _, step_points, conv_points) in ROWS.items():
        assert pinned[row]["conv_single_step"][0] == ("pass" if step_points else "fail"), row
        expected_conv = "blocked" if not step_points else ("pass" if conv_points else "fail")
        assert pinned[row]["conv_forward"][0] == expected_conv, row
