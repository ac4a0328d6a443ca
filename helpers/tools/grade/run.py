"""The coordinator: decide who needs grading, hand students to workers, record each result.

1. Plan (reads only): the assignment must be in the gradebook and each named student must have a
   submitted folder; a student is already graded when autograded/<student>/<assignment>/ holds
   the notebooks AND the gradebook holds an autograder score for every test cell AND the
   submission is not newer than the autograded copy (nbgrader's own rule). Any bad input stops
   here with nothing changed.
2. Match renamed or zipped notebooks (intake.py), move the earlier autograded folder of each
   student to regrade out of the way, and hand the students to the workers.
3. Record each result as it arrives, in this order: gradebook first (SQLite: the coordinator is
   its only writer; PostgreSQL: the worker already wrote it), then the staged autograded folder
   is renamed into place. A student counts as graded only when both are there, so after any
   interruption a rerun grades exactly the students whose results are not fully recorded.
"""
import fcntl
import glob
import os
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field

from nbgrader.api import Gradebook

from . import coursedir as cd
from .cluster import ClusterPool
from .gradebook import answers, assignment_cells, import_record, is_sqlite, read_only, recorded_students, snapshot
from .intake import Intake, inspect_submission, materialize
from .local import LocalPool
from .progress import Progress, Summary
from .worker import GRADEBOOK_LOST, Job, Outcome


@dataclass
class Options:
    course: str
    assignment: str
    students: list[str] = field(default_factory=list)  # empty: everyone with a submission
    workers: int | None = None  # local workers; None: one per core
    scheduler: str | None = None  # Dask scheduler address; None: local workers
    force: bool = False
    connect_timeout: float = 30.0


@dataclass
class Plan:
    to_grade: dict[str, Intake]
    skipped: list[str]
    problems: dict[str, str]  # students whose folder cannot be graded -> why


def grade_class(options: Options, progress_stream=sys.stderr) -> Summary:
    """Grade the class as options say; raises CourseError on bad input (nothing changed then)."""
    started = time.monotonic()
    app = cd.nbgrader_app(options.course)
    directory = cd.coursedir(app, options.assignment)
    cd.check_layout(directory)
    plan = make_plan(directory, options)
    summary = Summary(skipped=plan.skipped, failed=dict(plan.problems))
    summary.notes = {s: intake.notes for s, intake in plan.to_grade.items() if intake.notes}
    if plan.to_grade:
        # a cluster is checked before anything changes; local workers start once the course is ready
        cluster = ClusterPool(options.scheduler, directory.root, options.connect_timeout) if options.scheduler else None
        try:
            with run_lock(directory) as lock_fd:
                _grade(directory, options, plan, summary, cluster, lock_fd, progress_stream)
        finally:
            if cluster is not None:
                cluster.close()
    summary.seconds = time.monotonic() - started
    return summary


def make_plan(directory, options: Options) -> Plan:
    """Who needs grading, who is already graded, and whose folder cannot be graded."""
    with read_only(directory.db_url) as session:
        expected = assignment_cells(session, options.assignment)
        recorded = recorded_students(session, options.assignment)
    submitted = submitted_students(directory)
    if not submitted:
        pattern = cd.submitted_folder(directory, "*")
        raise cd.CourseError(f"no submissions for {options.assignment}: nothing matches {pattern}")
    unknown = [s for s in options.students if s not in submitted]
    if unknown:
        raise cd.CourseError(
            f"no submission for {', '.join(map(repr, unknown))} "
            f"(expected {cd.submitted_folder(directory, unknown[0])}); students with a submission: "
            f"{_some(sorted(submitted))}")
    plan = Plan({}, [], {})
    for student in list(dict.fromkeys(options.students)) or sorted(submitted):
        folder = cd.submitted_folder(directory, student)
        shown = os.path.relpath(folder, directory.root)
        try:  # whatever is in one student's folder, the others are graded
            submitted_at = timestamp(directory, folder)  # nbgrader would fail the student on a garbled one
            if not options.force and is_current(directory, student, expected, student in recorded, submitted_at):
                plan.skipped.append(student)
                continue
            intake = inspect_submission(folder, student, expected, shown)
        except cd.CourseError as error:
            plan.problems[student] = str(error)
            continue
        except Exception as error:
            plan.problems[student] = f"{shown} cannot be read: {cd.first_line(error)}"
            continue
        if intake.problem:
            plan.problems[student] = intake.problem
        else:
            plan.to_grade[student] = intake
    if options.students and plan.problems:
        raise cd.CourseError("\n".join(plan.problems.values()))
    return plan


def submitted_students(directory) -> set[str]:
    """Students with a submitted folder for the assignment."""
    pattern = cd.submitted_folder(directory, "*")
    position = pattern.split(os.sep).index("*")
    return {path.split(os.sep)[position] for path in glob.glob(pattern) if os.path.isdir(path)}


def is_current(directory, student: str, expected: dict, recorded: bool, submitted_at) -> bool:
    """Is the student's autograded copy complete, recorded in the gradebook, and not older than the
    submission (whose timestamp.txt says `submitted_at`)?"""
    source, dest = cd.submitted_folder(directory, student), cd.autograded_folder(directory, student)
    notebooks = [f"{name}.ipynb" for name in expected if os.path.isfile(os.path.join(source, f"{name}.ipynb"))]
    if not recorded or not notebooks or not all(os.path.isfile(os.path.join(dest, nb)) for nb in notebooks):
        return False
    new, old = submitted_at, timestamp(directory, dest)
    return not (new is not None and old is not None and new > old)


def timestamp(directory, folder: str):
    """The time in folder/timestamp.txt as nbgrader reads it (None without one); CourseError if it is no time."""
    try:
        return directory.get_existing_timestamp(folder)
    except Exception:  # nbgrader 0.9.6 calls a missing self.fail here
        path = os.path.join(folder, "timestamp.txt")
        with open(path, errors="replace") as handle:
            text = handle.read(80).strip()
        raise cd.CourseError(f"{os.path.relpath(path, directory.root)} holds {text!r}, not a time "
                             "(nbgrader writes e.g. 2025-01-15 09:00:00.000000 UTC)") from None


def _grade(directory, options: Options, plan: Plan, summary: Summary, cluster, lock_fd: int, progress_stream) -> None:
    with Run(directory, options.assignment) as run:
        jobs = run.jobs(plan)
        pool = cluster or LocalPool(min(options.workers or len(os.sched_getaffinity(0)), len(jobs)),
                                    directory.root, os.path.join(cd.logs_root(directory), "workers.log"), (lock_fd,))
        summary.workers = pool.size
        progress = Progress(len(jobs), progress_stream, f"grading {options.assignment}")
        remaining = set(plan.to_grade)
        try:
            for job, answer in pool.run(jobs):
                reason = run.record(job, answer)
                if reason and reason.startswith(GRADEBOOK_LOST) and not answers(directory.db_url):
                    # every student after would fail the same way (checked: a submission cannot fake it)
                    summary.stopped = reason
                    summary.not_graded = sorted(remaining)
                    break
                remaining.discard(job.student)
                if reason:
                    summary.failed[job.student] = reason
                else:
                    summary.graded.append(job.student)
                progress.update(job.student, reason)
        except KeyboardInterrupt:
            summary.interrupted = True
            summary.not_graded = sorted(remaining)
        finally:
            progress.close()
            if pool is not cluster:
                pool.close()


class Run:
    """One grading run: its staging folder, the course's gradebook, and how results are recorded."""

    def __init__(self, directory, assignment: str):
        self.directory, self.assignment = directory, assignment
        self.id = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        self.staging = os.path.join(cd.staging_root(directory), self.id)
        self.logs = os.path.join(cd.logs_root(directory), assignment)
        self.private = is_sqlite(directory.db_url)  # SQLite: workers use copies, this run writes the gradebook

    def __enter__(self) -> "Run":
        shutil.rmtree(cd.staging_root(self.directory), ignore_errors=True)  # left by an interrupted run
        os.makedirs(self.staging)
        os.makedirs(self.logs, exist_ok=True)
        # opened once, before any worker starts: creates the course's entry if it is missing
        self.gradebook = Gradebook(self.directory.db_url, self.directory.course_id)
        self.snapshot = os.path.join(self.staging, "gradebook.db") if self.private else None
        if self.snapshot:
            snapshot(self.directory.db_url, self.snapshot)
        return self

    def __exit__(self, *exc) -> None:
        self.gradebook.close()
        self.gradebook.engine.dispose()
        shutil.rmtree(self.staging, ignore_errors=True)
        if not os.listdir(cd.staging_root(self.directory)):
            os.rmdir(cd.staging_root(self.directory))

    def jobs(self, plan: Plan) -> list[Job]:
        """Copy matched notebooks into place and move earlier autograded folders out, then one job per student.

        A student being regraded loses the old autograded folder before any grading starts, so
        whenever the run stops, the student counts as graded only if this run recorded it.
        """
        for student, intake in plan.to_grade.items():
            materialize(cd.submitted_folder(self.directory, student), intake)
            final = cd.autograded_folder(self.directory, student)
            if os.path.exists(final):
                os.rename(final, os.path.join(self.staging, f"replaced-{uuid.uuid4().hex[:8]}"))
        return [Job(self.directory.root, self.assignment, student, self.id, self.snapshot) for student in plan.to_grade]

    def record(self, job: Job, answer) -> str | None:
        """Record one student's result: gradebook, then autograded folder. Return why it failed, if it did."""
        if not isinstance(answer, Outcome):  # no worker could grade it: nothing recorded
            return f"not graded: {cd.first_line(answer)}"
        try:
            if answer.record is not None:
                import_record(self.gradebook, job.assignment, job.student, answer.record)
        except Exception as error:  # e.g. the gradebook refused the write: this student only
            self.gradebook.db.rollback()
            return f"graded, but the gradebook refused the result: {type(error).__name__}: {error}"
        log_path = os.path.join(self.logs, f"{job.student}.log")
        if answer.graded:
            self.place(job.student, answer.staged)
            if os.path.exists(log_path):
                os.remove(log_path)
            return None
        with open(log_path, "w") as handle:
            handle.write(f"# {job.student}: nbgrader's log, on {answer.worker}, {answer.seconds:.1f} s\n{answer.log}\n")
        return f"{answer.reason} (log: {os.path.relpath(log_path, self.directory.root)})"

    def place(self, student: str, staged: str) -> None:
        """Rename the staged autograded folder into place (an earlier one was moved out by jobs())."""
        final = cd.autograded_folder(self.directory, student)
        os.makedirs(os.path.dirname(final), exist_ok=True)
        os.rename(staged, final)


class run_lock:
    """An exclusive lock on the course's autograded folder for the duration of a run."""

    def __init__(self, directory):
        root = os.path.join(directory.root, directory.autograded_directory)
        os.makedirs(root, exist_ok=True)
        self.path = os.path.join(root, ".grade.lock")

    def __enter__(self) -> int:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise cd.CourseError(f"another grading run holds {self.path}; wait for it to finish") from None
        return self.fd

    def __exit__(self, *exc) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def _some(names: list[str], limit: int = 10) -> str:
    shown = ", ".join(names[:limit])
    return f"{shown}, ... ({len(names)} in all)" if len(names) > limit else shown
