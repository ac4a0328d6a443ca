"""The gradebook side of grading a class.

- Which kind of database the course uses (SQLite file, or a server such as PostgreSQL), whether it
  answers, and what it already holds (the assignment's notebooks and cells, who has been graded),
  read without writing anything.
- For SQLite: a snapshot the workers grade against, and the move of one student's autograde
  results from a worker's private gradebook into the course's (`export_record`/`import_record`).
  The columns moved are the ones autograde writes (nbgrader's own preprocessors and the course's,
  which write through the same Gradebook API): the submission's timestamp, each notebook's late
  penalty, each grade's auto_score and needs_manual_grade, each comment's auto_comment.
  Instructor-owned columns (manual scores and comments, extra credit, flags) are never touched.
"""
import contextlib
import os
import sqlite3
import warnings

import sqlalchemy
from nbgrader.api import (Assignment, BaseCell, Comment, Grade, Gradebook, MissingEntry, Notebook, SubmittedAssignment,
                          SubmittedNotebook)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SAWarning
from sqlalchemy.orm import Session

from .coursedir import CourseError

CONNECT_TIMEOUT = 10  # seconds to wait for a database server before saying it does not answer

# table -> columns autograde writes (see the module docstring)
RECORD_COLUMNS = {
    "submission": ("timestamp",),
    "notebook": ("late_submission_penalty",),
    "grade": ("auto_score", "needs_manual_grade"),
    "comment": ("auto_comment",),
}
MODELS = {"notebook": SubmittedNotebook, "grade": Grade, "comment": Comment}  # updated in bulk by import_record


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def describe(url: str) -> str:
    """The URL as it may be printed: without its password."""
    return make_url(url).render_as_string(hide_password=True)


@contextlib.contextmanager
def read_only(url: str):
    """A session on the gradebook at url that must already exist; nothing is created or written.

    Raises CourseError when the file is missing, the server does not answer, or the database
    holds no nbgrader tables.
    """
    if is_sqlite(url):
        path = make_url(url).database
        if not path or not os.path.isfile(path):
            raise CourseError(f"no gradebook at {path}: run `nbgrader generate_assignment` first")
        engine = sqlalchemy.create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    else:
        try:
            engine = sqlalchemy.create_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT})
        except ImportError as error:
            raise CourseError(f"the gradebook URL {describe(url)} needs a database driver that is not installed "
                              f"({error}); for PostgreSQL with this project's psycopg2, write "
                              "postgresql+psycopg2://...") from None
    try:
        try:
            tables = sqlalchemy.inspect(engine).get_table_names()
        except sqlalchemy.exc.OperationalError as error:
            reason = str(error.orig).strip().splitlines()[0]
            raise CourseError(f"the gradebook at {describe(url)} does not answer: {reason}") from None
        if "assignment" not in tables:
            raise CourseError(f"the gradebook at {describe(url)} holds no nbgrader tables: "
                              "run `nbgrader generate_assignment` with this db_url first")
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def answers(url: str) -> bool:
    """Whether the gradebook at url can be read now."""
    try:
        with read_only(url):
            return True
    except CourseError:
        return False


def assignment_cells(session: Session, assignment: str) -> dict[str, set[str]]:
    """notebook name -> the grade_ids of its nbgrader cells, for an assignment in the gradebook."""
    found = session.query(Assignment).filter(Assignment.name == assignment).one_or_none()
    if found is None:
        known = ", ".join(sorted(name for (name,) in session.query(Assignment.name))) or "none"
        raise CourseError(f"unknown assignment {assignment!r}: the gradebook has {known} "
                          f"(run `nbgrader generate_assignment {assignment}` to add it)")
    return {nb.name: {cell.name for cell in nb.source_cells} for nb in found.notebooks}


def recorded_students(session: Session, assignment: str) -> set[str]:
    """Students whose gradebook entry holds an autograder score for every autograded test cell."""
    found = session.query(Assignment).filter(Assignment.name == assignment).one()
    tests = {nb.name: {c.name for c in nb.grade_cells if c.cell_type == "code"} - {c.name for c in nb.solution_cells}
             for nb in found.notebooks}
    recorded = set()
    for submission in session.query(SubmittedAssignment).filter(SubmittedAssignment.assignment_id == found.id):
        if len(submission.notebooks) == len(tests) and all(
                grade.auto_score is not None
                for nb in submission.notebooks for grade in nb.grades if grade.name in tests[nb.name]):
            recorded.add(submission.student_id)
    return recorded


def snapshot(url: str, path: str) -> None:
    """Copy the SQLite gradebook at url to path, consistently even while others read it."""
    source = sqlite3.connect(f"file:{make_url(url).database}?mode=ro", uri=True)
    target = sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def export_record(url: str, assignment: str, student: str) -> dict | None:
    """The autograde-written columns of a student's submission (None if there is none), keyed by
    (table, notebook name, cell name): ("submission", None, None), ("notebook", "cnn", None), ...."""
    with Gradebook(url) as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            return None
        record = {("submission", None, None): _columns(submission, "submission")}
        record.update({key: _columns(row, key[0]) for key, row in _rows(gb.db, submission.id)})
        gb.engine.dispose()
        return record


def import_record(gb: Gradebook, assignment: str, student: str, record: dict) -> None:
    """Write a record made by export_record into the gradebook, as autograde would have.

    nbgrader's API creates the student and the submission (with a row for every cell) when they
    are missing; the columns are then written by primary key, in one transaction.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own autoflush notices
        gb.update_or_create_student(student)
        submission = gb.update_or_create_submission(assignment, student)
        _assign(submission, "submission", record["submission", None, None])
        updates = {}
        for key, row in _rows(gb.db, submission.id):
            updates.setdefault(key[0], []).append({"id": row.id, **record[key]})
        for table, values in updates.items():
            gb.db.execute(sqlalchemy.update(MODELS[table]), values)
        gb.db.commit()


def _rows(session: Session, submission_id: str):
    """((table, notebook name, cell name or None), row) for every notebook, grade and comment of a
    submission: three queries, whatever the number of cells."""
    for name, notebook in (session.query(Notebook.name, SubmittedNotebook)
                           .join(SubmittedNotebook, SubmittedNotebook.notebook_id == Notebook.id)
                           .filter(SubmittedNotebook.assignment_id == submission_id)):
        yield ("notebook", name, None), notebook
    for table in ("grade", "comment"):
        model = MODELS[table]
        for notebook, cell, row in (session.query(Notebook.name, BaseCell.name, model)
                                    .join(SubmittedNotebook, model.notebook_id == SubmittedNotebook.id)
                                    .join(Notebook, SubmittedNotebook.notebook_id == Notebook.id)
                                    .join(BaseCell, model.cell_id == BaseCell.id)
                                    .filter(SubmittedNotebook.assignment_id == submission_id)):
            yield (table, notebook, cell), row


def _columns(row, table: str) -> dict:
    return {column: getattr(row, column) for column in RECORD_COLUMNS[table]}


def _assign(row, table: str, values: dict) -> None:
    for column in RECORD_COLUMNS[table]:
        setattr(row, column, values[column])
