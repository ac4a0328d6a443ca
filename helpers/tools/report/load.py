"""The class's results, read from the gradebook and the autograded notebooks, and what they add up to."""
import glob
import os
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from helpers.course import UNITS, Unit
from helpers.grading.verify import SANDBOX_KEY, results_of
from helpers.mistakes import MISTAKES_BY_SLUG

INTERRUPTED = "KeyboardInterrupt"  # how a check cell stopped at Execute.timeout shows in its case messages


class ReportError(Exception):
    """The report cannot be made as asked; the message says what and where."""


@dataclass


class Student:
    """One student's results for the assignment.

    scores -- {grade_id: score} of the graded check cells, from the gradebook
    checks -- {grade_id: the cell's cnn_checks metadata}, from the autograded notebook(s)
    events, unprotected -- the sandbox's notes in the autograded notebook: kernels lost and
        restarted, protections that were missing (helpers.grading.sandbox.execute)
    problems -- why the grading needs a look, empty if it went through cleanly
    """

    student_id: str
    first_name: str = ""
    last_name: str = ""
    status: str = "graded"  # graded | grading failed | not autograded | no submission
    score: float | None = None
    max_score: float | None = None
    scores: dict = field(default_factory=dict)
    checks: dict = field(default_factory=dict)
    events: list = field(default_factory=list)
    unprotected: list = field(default_factory=list)
    problems: list = field(default_factory=list)

    @property
    def name(self) -> str:
        names = ", ".join(part for part in (self.last_name, self.first_name) if part)
        return names or self.student_id

    @property
    def submitted(self) -> bool:
        return self.status != "no submission"

    def sort_key(self):
        """By last name, then first name; a student without a name by id among the last names."""
        return ((self.last_name or self.student_id).lower(), self.first_name.lower(), self.student_id.lower())

    def passed(self, unit: Unit, max_scores: dict) -> bool | None:
        """Did the student pass this check? None when nothing tells (no grade and no notebook)."""
        if unit.grade_id in self.scores and self.scores[unit.grade_id] is not None:
            return self.scores[unit.grade_id] >= max_scores[unit.grade_id]
        if unit.grade_id in self.checks:
            return bool(self.checks[unit.grade_id]["passed"])
        return None

    def mistakes(self) -> dict:
        """{mistake slug: [grade ids of the check cells where it showed]}."""
        found = defaultdict(list)
        for grade_id, result in self.checks.items():
            for case in result.get("cases", []):
                if case.get("mistake") and grade_id not in found[case["mistake"]]:
                    found[case["mistake"]].append(grade_id)
        return dict(found)


@dataclass


class ClassResults:
    """Everything the report shows: the students, in name order, and the graded cells' maximum scores."""

    course_id: str
    assignment: str
    db_url: str
    students: list
    max_scores: dict  # {grade_id: max score} of the graded cells, from the gradebook

    @property
    def submitted(self) -> list:
        return [student for student in self.students if student.submitted]

    @property
    def scored(self) -> list:
        return [student for student in self.submitted if student.score is not None]

    @property
    def unprotected(self) -> list:
        """The sandbox protections that were missing while any of the notebooks was graded."""
        return sorted({missing for student in self.students for missing in student.unprotected})


def course_directory(course_root: Path):
    """nbgrader's CourseDirectory of the course, configured as nbgrader commands started there see it."""
    from nbgrader.apps.baseapp import NbGrader

    if not (course_root / "nbgrader_config.py").is_file():
        raise ReportError(f"{course_root} is not an nbgrader course: it has no nbgrader_config.py")
    previous, search_path = os.getcwd(), list(sys.path)
    os.chdir(course_root)  # nbgrader also reads the nbgrader_config.py of the working directory
    try:
        app = NbGrader()
        app.initialize(["--log-level=ERROR"], root=str(course_root))
    finally:
        os.chdir(previous)
        sys.path[:] = search_path  # the course's config puts its folder first; the report needs none of it
    return app.coursedir


def open_gradebook(db_url: str) -> Gradebook:
    """The gradebook at db_url; a missing SQLite file is an error (nbgrader would create an empty one)."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and not (url.database and os.path.isfile(url.database)):
        raise ReportError(f"no gradebook at {url.database}: grade the class first "
                          "(`make demo`, or `nbgrader generate_assignment` then `nbgrader autograde`)")
    try:
        return Gradebook(db_url)
    except SQLAlchemyError as error:
        raise ReportError(f"cannot open the gradebook at {url.render_as_string(hide_password=True)}: "
                          f"{error.__class__.__name__}: {str(error).splitlines()[0]}") from None


def read_autograded(path: Path) -> tuple:
    """({grade_id: cnn_checks metadata} of an autograded notebook's check cells, the sandbox's metadata or {})."""
    notebook = nbformat.read(str(path), as_version=4)
    return results_of(notebook), notebook.metadata.get(SANDBOX_KEY, {})


def grading_problems(student: Student, needs_manual: list) -> list:
    """What about this student's grading needs the instructor's eyes, in words."""
    problems = [f"sandbox: {event}" for event in student.events]
    if needs_manual:
        problems.append(f"needs manual grading (formgrader): {', '.join(needs_manual)}")
    flags = defaultdict(dict)  # flag -> {grade_id: function}; the sandbox's flags are in every check cell
    for grade_id, result in student.checks.items():
        for flag in result.get("flags", []):
            flags[flag][grade_id] = result["function"]
        if any(INTERRUPTED in case.get("message", "") for case in result.get("cases", [])):
            problems.append(f"the check of {result['function']} was interrupted: it ran past the time limit")
    for flag, cells in flags.items():
        where = "every check" if len(cells) == len(student.checks) > 1 else ", ".join(dict.fromkeys(cells.values()))
        problems.append(f"flagged: {flag} ({where})")
    return problems


def read_submission(student: Student, submission, folder: Path, notebooks: list) -> None:
    """Fill in a graded student's scores (gradebook), check results (autograded notebooks in folder), problems."""
    student.status, student.score, student.max_score = "graded", submission.score, submission.max_score
    needs_manual = []
    for notebook in submission.notebooks:
        for grade in notebook.grades:
            student.scores[grade.name] = grade.score
            if grade.needs_manual_grade:
                needs_manual.append(grade.name)
    missing = [name for name in notebooks if not (folder / f"{name}.ipynb").is_file()]
    for name in notebooks:
        if name not in missing:
            checks, sandbox = read_autograded(folder / f"{name}.ipynb")
            student.checks.update(checks)
            student.events += sandbox.get("events", [])
            student.unprotected += sandbox.get("missing", [])
    student.problems = grading_problems(student, needs_manual)
    if missing:
        student.status = "grading failed"
        student.problems.insert(0, "no autograded notebook: autograde failed on this submission "
                                   "(e.g. the kernel died); see nbgrader's log")


def load_class(course_root: Path, assignment: str) -> ClassResults:
    """Read the gradebook and the autograded notebooks of one assignment."""
    coursedir = course_directory(course_root)
    with open_gradebook(coursedir.db_url) as gradebook:
        try:
            entry = gradebook.find_assignment(assignment)
        except MissingEntry:
            known = ", ".join(sorted(a.name for a in gradebook.assignments)) or "none"
            raise ReportError(f"assignment {assignment!r} is not in the gradebook {coursedir.db_url} "
                              f"(assignments there: {known})") from None
        notebooks = [notebook.name for notebook in entry.notebooks]
        max_scores = {cell.name: cell.max_score for notebook in entry.notebooks for cell in notebook.grade_cells}
        students = {}
        for record in gradebook.students:
            student = Student(record.id, record.first_name or "", record.last_name or "", status="no submission")
            students[record.id] = student
            try:
                submission = gradebook.find_submission(assignment, record.id)
            except MissingEntry:
                continue
            folder = Path(coursedir.format_path(coursedir.autograded_directory, record.id, assignment))
            read_submission(student, submission, folder, notebooks)
    for folder in glob.glob(coursedir.format_path(coursedir.submitted_directory, "*", assignment)):
        student_id = Path(folder).relative_to(Path(coursedir.root, coursedir.submitted_directory)).parts[0]
        if student_id not in students or not students[student_id].submitted:
            student = students.setdefault(student_id, Student(student_id))
            student.status = "not autograded"
            student.problems = ["submitted but not autograded yet: run `nbgrader autograde`"]
    return ClassResults(coursedir.course_id, assignment, coursedir.db_url,
                        sorted(students.values(), key=Student.sort_key), max_scores)


def pass_rates(results: ClassResults) -> list:
    """[(unit, students who passed, students who submitted)] for every check, in the lesson's order."""
    rows = []
    for unit in UNITS:
        verdicts = [student.passed(unit, results.max_scores) for student in results.submitted]
        rows.append((unit, sum(verdict is True for verdict in verdicts), len(verdicts)))
    return rows


def mistake_counts(results: ClassResults) -> list:
    """[(slug, students who made it, grade ids where it showed)], the most common first."""
    students, cells = defaultdict(list), defaultdict(set)
    for student in results.submitted:
        for slug, grade_ids in student.mistakes().items():
            students[slug].append(student.student_id)
            cells[slug].update(grade_ids)
    order = sorted(students, key=lambda slug: (-len(students[slug]), slug))
    return [(slug, students[slug], sorted(cells[slug])) for slug in order]


def mistake_message(slug: str) -> str:
    mistake = MISTAKES_BY_SLUG.get(slug)
    return mistake.message if mistake else "(not in helpers.mistakes: the catalog changed since grading)"


def mistake_function(slug: str) -> str:
    mistake = MISTAKES_BY_SLUG.get(slug)
    return mistake.function if mistake else "?"
