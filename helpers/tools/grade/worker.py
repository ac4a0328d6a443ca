"""The grading done by a worker: nbgrader's own Autograde converter, one student at a time.

A worker process keeps the course's nbgrader configuration loaded (coursedir.nbgrader_app) and,
for each job, runs `Autograde(coursedir, parent=app).start()` exactly as `nbgrader autograde
ASSIGNMENT --student ID` does, with two differences that change nothing in the grading:
- the autograded folder is a fresh staging folder (autograded/.staging/<run>/<attempt>/), which
  the coordinator moves into place once the results are recorded, so a killed worker never
  leaves a half-written autograded/<student>/<assignment>/ behind;
- with an SQLite course gradebook, the gradebook is the worker's private copy of a snapshot
  taken when the run started; the coordinator copies the student's results into the course's
  gradebook (gradebook.export_record/import_record). With a database server (PostgreSQL) the
  worker writes to the course's gradebook directly.
`grade_job` is the function local workers and Dask workers both run.
"""
import atexit
import contextlib
import gc
import logging
import os
import re
import shutil
import socket
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass

from nbgrader.converters import Autograde

from helpers.grading import leftovers

from . import coursedir as cd
from .gradebook import export_record

_LOCK = threading.Lock()  # one grading at a time per process: Autograde changes the cwd and environment
_PRIVATE: dict[str, str] = {}  # snapshot path -> this process's private copy
COPY_PREFIX = "grade-gradebook-"  # private copies are named grade-gradebook-<pid>-<random>.db


@dataclass(frozen=True)
class Job:
    """One student to grade. Paths are as the workers see them (a shared path on a cluster)."""

    course: str
    assignment: str
    student: str
    run_id: str
    snapshot: str | None  # SQLite snapshot to grade against; None: the course's gradebook directly


@dataclass
class Outcome:
    """What grading one student gave."""

    student: str
    graded: bool  # nbgrader autograded the submission without error
    reason: str | None  # why it was not graded
    staged: str | None  # the autograded folder the worker wrote, to move into place
    record: dict | None  # SQLite: the submission's gradebook columns, for the course's gradebook
    log: str
    seconds: float
    worker: str


def grade_job(job: Job) -> Outcome:
    """Grade one student (thread-safe: jobs in one process run one after another)."""
    with _LOCK:
        return _grade(job)


def probe(course: str) -> str:
    """Load the course's configuration here; return this worker's description (for error messages).

    What is loaded by then (nbgrader, the configuration) stays for the worker's life: gc.freeze()
    keeps the garbage collector from scanning it again after every few submissions.
    """
    cd.nbgrader_app(course)
    gc.freeze()
    return f"{socket.gethostname()}:{os.getpid()}"


def _grade(job: Job) -> Outcome:
    started = time.perf_counter()
    app = cd.nbgrader_app(job.course)
    overrides = {"autograded_directory": cd.staging_step(app.coursedir, job.run_id, uuid.uuid4().hex[:12])}
    if job.snapshot:
        overrides["db_url"] = f"sqlite:///{_private_copy(job.snapshot)}"
    directory = cd.coursedir(app, job.assignment, job.student, **overrides)
    staged = cd.autograded_folder(directory, job.student)
    buffer = _LogBuffer()
    app.log.addHandler(buffer)
    try:
        Autograde(coursedir=directory, parent=app).start()
        failure = None
    except Exception as error:  # nbgrader has logged the details; the reason is summarised below
        failure = error
    finally:
        app.log.removeHandler(buffer)
    log = buffer.text()
    reason = None if failure is None else failure_reason(buffer.errors, failure)
    record = export_record(directory.db_url, job.assignment, job.student) if job.snapshot else None
    graded = failure is None and os.path.isdir(staged)
    if not graded:
        shutil.rmtree(staged, ignore_errors=True)
    return Outcome(job.student, graded, reason, staged if graded else None, record, log,
                   time.perf_counter() - started, f"{socket.gethostname()}:{os.getpid()}")


GRADEBOOK_LOST = "the gradebook did not answer"  # how a failure reason starts when the database went away
_DATABASE_ERROR = re.compile(r"OperationalError\)?:? (.+)")


def failure_reason(errors: list[str], failure: Exception) -> str:
    """One line saying why nbgrader could not grade a submission."""
    text = "\n".join(errors)
    database = _DATABASE_ERROR.search(text)
    if database:  # rather than nbgrader's advice, `nbgrader db upgrade`, which would not help
        return f"{GRADEBOOK_LOST}: {database.group(1).strip()}"
    if "Kernel died" in text or "DeadKernelError" in text:
        return "the kernel died while running the notebook (os._exit, a crash, or out of memory)"
    if "became unresponsive" in text:
        return "the kernel stopped responding and could not be interrupted"
    lines = [line for e in errors for line in e.splitlines()
             if line.strip() and not line.startswith(("Traceback", "  ", "There was an error", "Please see"))]
    return lines[-1].strip() if lines else f"{type(failure).__name__}: {failure}"


class _LogBuffer(logging.Handler):
    """Collects nbgrader's log of one student; keeps error messages apart for the reason."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
        self.lines: list[str] = []
        self.errors: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))
        if record.levelno >= logging.ERROR:
            self.errors.append(record.getMessage())

    def text(self) -> str:
        return "\n".join(self.lines)


def _private_copy(snapshot: str) -> str:
    """This process's own copy of the run's gradebook snapshot, made on first use.

    It lives in memory (/dev/shm) when there is room: a throwaway copy needs no fsync, and
    nbgrader commits once per graded cell. Otherwise in the local temporary folder.
    """
    if snapshot not in _PRIVATE:
        discard_private_copies()
        memory = "/dev/shm"
        roomy = os.access(memory, os.W_OK) and shutil.disk_usage(memory).free > 4 * os.path.getsize(snapshot)
        folder = memory if roomy else tempfile.gettempdir()
        _sweep(folder)
        handle, path = tempfile.mkstemp(prefix=f"{COPY_PREFIX}{os.getpid()}-", suffix=".db", dir=folder)
        os.close(handle)
        shutil.copyfile(snapshot, path)
        _PRIVATE[snapshot] = path
    return _PRIVATE[snapshot]


def _sweep(folder: str) -> None:
    """Remove copies left by worker processes that were killed (their pid is gone)."""
    for name in leftovers.orphans(folder, COPY_PREFIX):
        with contextlib.suppress(OSError):
            os.remove(os.path.join(folder, name))


@atexit.register
def discard_private_copies() -> None:
    """Remove this process's gradebook copies (at exit; forked workers, which skip atexit, call it)."""
    for path in _PRIVATE.values():
        if os.path.exists(path):
            os.remove(path)
    _PRIVATE.clear()
