"""`python -m helpers grade ASSIGNMENT [--student ID ...] [--workers N] [--scheduler ADDRESS] [--force]`."""
import argparse
import os
import sys
from pathlib import Path

import nbformat

from helpers.grading.sandbox.execute import METADATA_KEY

from .coursedir import CourseError
from .run import Options, grade_class

EXAMPLES = """
examples:
  python -m helpers grade cnn                       # everyone not graded yet, one worker per core
  python -m helpers grade cnn --workers 2
  python -m helpers grade cnn --student s01 --student s07 --force
  python -m helpers grade cnn --scheduler tcp://head-node:8786

Interrupted (Ctrl-C, a killed worker, a lost node)? Run the command again (without --force): it
grades only the students whose results are not fully recorded. --force regrades.
exit status: 0 all graded, 1 some failed (listed), 2 bad input (nothing changed), 130 interrupted.
"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m helpers grade", epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Autograde a whole class with nbgrader's own autograde, in parallel.")
    p.add_argument("assignment", help="assignment id, as in source/<assignment>/")
    p.add_argument("--student", action="append", default=[], metavar="ID",
                   help="grade only this student (repeatable); default: everyone with a submission")
    p.add_argument("--workers", type=int, metavar="N", help="local worker processes (default: one per core)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="grade on the workers of this Dask scheduler (e.g. tcp://host:8786) instead")
    p.add_argument("--force", action="store_true", help="regrade students that are already graded")
    p.add_argument("--course", default=".", metavar="DIR", help="course root (default: current directory)")
    p.add_argument("--connect-timeout", type=float, default=30.0, metavar="SECONDS",
                   help="how long to wait for the Dask scheduler and its first worker (default: 30)")
    return p


def main(argv=None, stdout=None, stderr=None) -> int:
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    args = parser().parse_args(argv)
    if args.workers is not None and args.workers < 1:
        print("grade: --workers must be at least 1", file=stderr)
        return 2
    options = Options(os.path.abspath(args.course), args.assignment, args.student, args.workers,
                      args.scheduler, args.force, args.connect_timeout)
    try:
        summary = grade_class(options, stderr)
    except CourseError as error:
        print(f"grade: {error}", file=stderr)
        return 2
    except KeyboardInterrupt:
        print("grade: interrupted; students reported graded are recorded: run the command again "
              "(without --force) to grade the others", file=stderr)
        return 130
    print(summary.text(), file=stdout)
    missing = missing_protection(options, summary.graded)
    if missing:
        print(f"WARNING: graded without full protection, missing: {'; '.join(missing)}.\n"
              f"  Each of those notebooks records it ({METADATA_KEY}.missing); docs/threat-model.md says how to "
              "get it.", file=stderr)
    return summary.exit_code()


def missing_protection(options: Options, students) -> list:
    """What the sandbox lacked for any of the students just graded, from their autograded notebooks."""
    missing = []
    for student in students:
        for path in Path(options.course, "autograded", student, options.assignment).glob("*.ipynb"):
            report = nbformat.read(str(path), as_version=4).metadata.get(METADATA_KEY, {})
            missing += [reason for reason in report.get("missing", []) if reason not in missing]
    return missing
