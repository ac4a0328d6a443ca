"""The main job prints only what a user must act on: no warning for a clean class.

With the system packages present (bubblewrap; cgroups as root), the demo (release, autograde,
feedback, export) and `python -m helpers grade` print no line containing "warning"; nbgrader's
own warning that a locked cell was edited stays, for the cell the student really changed.
"""
import shutil
import subprocess
import sys

import pytest

import support
from helpers.course import ASSIGNMENT, tool_env

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is missing (.ci/system-deps installs it)")


def run(course, *args):
    result = subprocess.run([sys.executable, *args], cwd=course, env=tool_env(), capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


@pytest.fixture(scope="session")
def demo_course(course_factory):
    """A course copy where `python -m helpers demo` ran; (course, what it printed)."""
    course = course_factory("quiet")
    return course, run(course, "-m", "helpers", "demo")


def warning_lines(text):
    return [line for line in text.splitlines() if "warning" in line.lower()]


def test_the_demo_prints_no_warning(demo_course):
    """Does the demo print its table and not one line with "warning" in it?"""
    course, printed = demo_course
    assert "correct-alt" in printed and "total" in printed
    assert warning_lines(printed) == []


def test_the_grade_command_prints_no_warning(demo_course):
    """Does `python -m helpers grade` grade the demo's class again, under new names, without a warning?"""
    course, _ = demo_course
    for student in ("correct-alt", "mistakes", "untouched"):
        shutil.copytree(course / "submitted" / student, course / "submitted" / f"again-{student}")
    printed = run(course, "-m", "helpers", "grade", ASSIGNMENT)
    assert "3 graded" in printed or "graded 3" in printed, printed[-1500:]
    assert warning_lines(printed) == []


def test_an_edited_check_cell_is_still_reported(demo_course):
    """Does nbgrader still warn that a locked cell changed, for the one check cell the student edited?"""
    course, _ = demo_course
    notebook = support.release_notebook(course)
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "zero_pad_check")
    cell.source = cell.source.replace("check_zero_pad(zero_pad)", "pass  # no check")
    support.submit(course, "edited", notebook)
    printed = support.nbgrader(course, "autograde", ASSIGNMENT, "--student=edited")
    warnings = warning_lines(printed.stdout + printed.stderr)
    assert len(warnings) == 1 and "checksum' for cell zero_pad_check has changed" in warnings[0], warnings


def test_a_missing_protection_is_one_short_warning(demo_course, tmp_path):
    """Without bubblewrap, do autograde and the grade command each print one warning of at most 3 lines naming it?"""
    course = shutil.copytree(demo_course[0], tmp_path / "course")
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as config:
        config.write('\nc.SandboxedExecute.bwrap = "no-such-bwrap"\n')
    shutil.copytree(course / "submitted" / "mistakes", course / "submitted" / "unprotected-1")
    autograde = support.nbgrader(course, "autograde", ASSIGNMENT, "--student=unprotected-1")
    shutil.copytree(course / "submitted" / "mistakes", course / "submitted" / "unprotected-2")
    grade = run(course, "-m", "helpers", "grade", ASSIGNMENT, "--student", "unprotected-2")
    for printed in (autograde.stdout + autograde.stderr, grade):
        lines = printed.splitlines()
        warnings = [index for index, line in enumerate(lines) if "warning" in line.lower()]
        assert len(warnings) == 1, printed[-2000:]
        assert "no-such-bwrap" in "\n".join(lines[warnings[0]:warnings[0] + 3])
