"""Commands and switches: help, bad input, the documented switch that makes the backward part count."""
import subprocess
import sys

import pytest

from helpers import course

from helpers.tools import build
from helpers.__main__ import COMMANDS, main


def run(*args):
    return subprocess.run([sys.executable, "-m", "helpers", *args], capture_output=True, text=True,
                          cwd=course.ROOT, timeout=120)


def test_help_lists_every_command(capsys):
    """Does `python -m helpers --help` list every command?"""
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in COMMANDS)


def test_unknown_command_is_refused(capsys):
    """Is an unknown command refused with exit 2 and the list of commands?"""
    assert main(["frobnicate"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["build", "demo", "reset"])
def test_command_help(command):
    """Does each of the project's commands answer --help without doing anything?"""
    result = run(command, "--help")
    assert result.returncode == 0 and "usage:" in result.stdout


def test_backward_switch_makes_the_optional_part_count(monkeypatch):
    """With CNN_BACKWARD_COUNTS=1, are the backward checks graded cells with their points (130 in all)?"""
    monkeypatch.setattr(course, "BACKWARD_COUNTS", True)
    notebook = build.build_notebook()
    meta = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"] for c in notebook.cells
            if c.metadata.get("nbgrader", {}).get("grade_id", "").endswith("_check")}
    for unit in course.UNITS:
        assert meta[unit.grade_id]["grade"] and meta[unit.grade_id]["points"] == unit.points
    assert course.total_points() == 130


def test_backward_switch_reads_the_environment():
    """Is the switch read from the CNN_BACKWARD_COUNTS environment variable?"""
    code = "from helpers import course; print(course.BACKWARD_COUNTS, course.total_points())"
    for value, expected in (("1", "True 130"), ("0", "False 100")):
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=course.ROOT,
                                env={"CNN_BACKWARD_COUNTS": value, "PATH": ""})
        assert result.stdout.strip() == expected
