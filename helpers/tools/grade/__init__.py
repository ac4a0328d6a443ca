"""Grading a whole class fast: `python -m helpers grade ASSIGNMENT`, nbgrader's autograde in parallel.

Design
- Grading is nbgrader's: each worker process loads the course's configuration once, as
  `nbgrader autograde` does from the course root, and runs nbgrader's Autograde converter for one
  student at a time (worker.py). Workers are forked local processes (local.py, default one per
  core) or the workers of a Dask scheduler (cluster.py, `--scheduler`).
- The gradebook never sees two writers it cannot take. With SQLite (the default), every worker
  grades against its own private copy of a snapshot of the course's gradebook, and the
  coordinator alone copies each student's autograde results (the columns autograde writes) into
  the course's gradebook, one student at a time (gradebook.py): no "database is locked", and
  SQLite is never shared across machines. With a database server (nbgrader's
  CourseDirectory.db_url = "postgresql://..."), workers write to it directly, concurrently, as
  nbgrader does; the coordinator makes sure the course entry exists before they start.
- Resumable: a worker writes into a fresh staging folder (autograded/.staging/); the coordinator
  records the gradebook first, then renames the folder into place. A student is graded when the
  autograded notebook exists, the gradebook holds its autograder scores, and the submission is
  not newer (run.py). So a killed worker, a lost node or a Ctrl-C never leaves a folder that
  makes a rerun skip a student, and a rerun grades exactly what is missing; --force regrades.
- Submissions as they arrive: renamed or zipped notebooks are matched to the assignment by their
  nbgrader cells, or reported by name (intake.py); one failing student never stops the rest, and
  each failure is summarised with its reason and nbgrader's log (progress.py).
"""
from .cli import main

__all__ = ["main"]
