"""The catalog's submissions graded for real, once per test session (conftest's variants_course), read by two modules.

One course copy gets the instructor's solution, every mutant of helpers/mistakes.py and the
complete alternative submissions of helpers/alternatives.SETS, one student folder each: all graded by ONE
`nbgrader autograde` run, then one `nbgrader generate_feedback` run for the named mistakes.
"""
import html
from pathlib import Path

import nbformat

import support
from helpers import alternatives, mistakes
from helpers.course import ASSIGNMENT, NOTEBOOK
from helpers.tools.submissions import reference_sources

CORRECT = "correct"


def mutant_student(mistake) -> str:
    """named-<slug> for the most common mistakes (mistakes.NAMED: they get feedback), mutant-<slug> for the others."""
    return f"{'named' if mistake.slug in mistakes.NAMED else 'mutant'}-{mistake.slug}"


def alternative_student(alternative) -> str:
    return f"alt-{alternative.slug}"


def submissions() -> dict:
    """{student id: notebook}: the release with the instructor's code in every solution cell but the varied ones."""
    release = support.release_notebook()
    full = reference_sources()
    varied = {CORRECT: {}}
    varied.update({mutant_student(mistake): {mistake.function: mistake.source()} for mistake in mistakes.MISTAKES})
    varied.update({alternative_student(alt): alt.sources() for alt in alternatives.SETS})
    return {student: support.with_solutions(release, {**full, **sources}) for student, sources in varied.items()}


def grade(course: Path) -> Path:
    """The course with every submission above autograded, and the named mistakes fed back."""
    support.autograde(course, submissions())
    support.nbgrader(course, "generate_feedback", ASSIGNMENT, "--student=named-*")  # ~2 s per student
    return course


def autograded_text(course: Path, student: str) -> str:
    """Every output of the autograded notebook, as text: streams, errors and plain-text displays."""
    notebook = nbformat.read(str(course / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"),
                                     as_version=4)
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts += [output.get("text", ""), output.get("evalue", ""), *output.get("traceback", []),
                      str(output.get("data", {}).get("text/plain", ""))]
    return "\n".join(parts)


def feedback_text(course: Path, student: str) -> str:
    """The student's feedback page with HTML entities decoded, so that messages read as printed."""
    page = course / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html"
    return html.unescape(page.read_text(encoding="utf-8"))
