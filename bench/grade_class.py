"""Benchmark: one class graded by stock sequential `nbgrader autograde` and by `python -m helpers grade`.

    PATH=.venv/bin:$PATH python bench/grade_class.py [--students 60] [--workers 2] [--rounds 2] [--tiny]

Both runs grade identical copies of one generated class (correct, wrong, partial, untouched and
crashing submissions of the real course, or of the three-function test course with --tiny).
Both run alternately, --rounds times, so that a change in the machine's load weighs on both.
Prints, for each: wall time and submissions/second, and their ratio, per round and over all rounds
(target >= 1.8x with 2 workers on a 2-core machine); the time until the first 20, 40, 60 ...
submissions were graded (how time grows with class size, startup included); and what one
submission costs (kernel start, execution, gradebook write, the rest of nbgrader's work), graded
exactly as a worker grades them, by one worker alone and by each of two at once: what the second
costs the first is the best ratio two workers can reach on the machine. Timings are wall-clock on
a possibly shared machine: read the ratios, not the absolute numbers.
"""
import argparse
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import nbclient  # noqa: E402
from nbgrader.api import Gradebook  # noqa: E402
from nbgrader.preprocessors import SaveAutoGrades  # noqa: E402
from sqlalchemy.exc import SAWarning  # noqa: E402

from helpers.tools.build import copy_course, generate_release  # noqa: E402
from helpers.course import tool_env  # noqa: E402
from helpers.tools.grade import gradebook, sample_class, worker  # noqa: E402
from helpers.tools.grade import coursedir as cd  # noqa: E402
from helpers.grading.verify import VerifyChecks  # noqa: E402

VARIANTS = ("correct", "wrong", "correct", "partial", "untouched", "correct", "crash", "wrong")
STOCK_DONE = ("Setting destination file permissions", "There was an error processing assignment:")
PROFILED = 6  # submissions graded by one process for the per-submission breakdown


def make_course(root: Path, tiny: bool) -> Path:
    """A course with its assignment generated: the real one (copied) or the three-function one."""
    if not tiny:
        return copy_course(root)
    sample_class.make_tiny_course(root)
    shutil.copytree(REPO / "helpers", root / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
    generate_release(root)
    return root


def class_copy(template: Path, path: Path, students: int) -> Path:
    """A copy of the course at path, with a class of `students` generated submissions."""
    shutil.copytree(template, path)
    sample_class.make_class(path, "cnn", students, renamed=False, variants=VARIANTS)
    return path


def timed_run(command: list[str], course: Path, is_done) -> tuple[float, list[float]]:
    """Run command in course; return its wall time and the time each submission finished (from stderr).
    Stops the benchmark if the command did not get through every submission."""
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=course, env=tool_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    finished = [time.monotonic() - started for line in process.stderr if is_done(line)]
    process.wait()
    seconds = time.monotonic() - started
    submissions = len(list((course / "submitted").iterdir()))
    if process.returncode not in (0, 1) or len(finished) != submissions:  # 1: the crashing submissions failed
        raise SystemExit(f"{' '.join(command[1:])} finished {len(finished)} of {submissions} submissions "
                         f"(exit status {process.returncode}): its time would mean nothing")
    return seconds, finished


def stock(course: Path) -> tuple[float, list[float]]:
    return timed_run([sys.executable, "-m", "nbgrader", "autograde", "cnn"], course,
                     lambda line: any(marker in line for marker in STOCK_DONE))


def ours(course: Path, workers: int) -> tuple[float, list[float]]:
    return timed_run([sys.executable, "-m", "helpers", "grade", "cnn", "--workers", str(workers)], course,
                     lambda line: line.startswith("["))


class Stopwatch:
    """Adds up the time spent in wrapped functions, by label."""

    def __init__(self):
        self.seconds = defaultdict(float)

    def wrap(self, owner, name: str, label: str) -> None:
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - start
        setattr(owner, name, timed)


def profile(course: Path) -> dict[str, float]:
    """Seconds per submission by phase, for PROFILED submissions graded one at a time in this process
    (which it changes: run it in a process of its own)."""
    warnings.simplefilter("ignore", SAWarning)  # nbgrader's autoflush notices, printed by in-process grading
    watch = Stopwatch()
    app = cd.nbgrader_app(str(course))
    directory = cd.coursedir(app, "cnn")
    snapshot = str(course / "snapshot.db")
    gradebook.snapshot(directory.db_url, snapshot)
    students = sample_class.roster(PROFILED + 1, variants=VARIANTS)
    grade = worker.grade_job  # the first student, untimed, loads what a worker loads once
    grade(worker.Job(str(course), "cnn", students[-1].student_id, "profile", snapshot))
    # nbconvert's ExecutePreprocessor (nbgrader's Execute and the course's sandboxed one) calls these
    watch.wrap(nbclient.NotebookClient, "start_new_kernel", "kernel start")
    watch.wrap(nbclient.NotebookClient, "start_new_kernel_client", "kernel start")
    watch.wrap(nbclient.NotebookClient, "_cleanup_kernel", "kernel shutdown")
    watch.wrap(nbclient.NotebookClient, "execute_cell", "execution")
    watch.wrap(SaveAutoGrades, "preprocess", "gradebook write")
    watch.wrap(gradebook, "import_record", "gradebook write")
    watch.wrap(VerifyChecks, "preprocess", "checks verified outside the kernel")  # the real course's
    total = 0.0
    with Gradebook(directory.db_url, directory.course_id) as gb:
        for student in students[:PROFILED]:
            start = time.perf_counter()
            outcome = grade(worker.Job(str(course), "cnn", student.student_id, "profile", snapshot))
            if outcome.record:
                gradebook.import_record(gb, "cnn", student.student_id, outcome.record)
            total += time.perf_counter() - start
    phases = {label: seconds / PROFILED for label, seconds in watch.seconds.items()}
    phases["other nbgrader work"] = total / PROFILED - sum(phases.values())
    return phases


def profile_at_once(courses: list[Path]) -> list[dict[str, float]]:
    """profile() of each course in its own process, all at the same time."""
    with multiprocessing.get_context("fork").Pool(len(courses)) as pool:
        return pool.map(profile, courses)


def growth(finished: list[float], step: int) -> str:
    return "  ".join(f"{k:>3}: {finished[k - 1]:6.1f} s" for k in range(step, len(finished) + 1, step))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="times both are run, alternately")
    parser.add_argument("--step", type=int, default=20, help="report the time at every STEP-th submission")
    parser.add_argument("--tiny", action="store_true", help="the three-function test course instead of the real one")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as tmp:
        template = make_course(Path(tmp) / "template", args.tiny)
        kind = "three-function test course" if args.tiny else "real course"
        print(f"class: {args.students} submissions of the {kind} ({', '.join(sorted(set(VARIANTS)))}); "
              f"{os.cpu_count()} cores; {args.rounds} round(s) of stock then ours", flush=True)
        totals = {"stock": 0.0, "ours": 0.0}
        for round_number in range(1, args.rounds + 1):
            courses = {name: class_copy(template, Path(tmp) / f"{name}-{round_number}", args.students)
                       for name in totals}
            stock_seconds, stock_done = stock(courses["stock"])
            print(f"round {round_number}: stock nbgrader autograde (sequential): {stock_seconds:6.1f} s  "
                  f"{args.students / stock_seconds:.3f} submissions/s", flush=True)
            ours_seconds, ours_done = ours(courses["ours"], args.workers)
            print(f"round {round_number}: python -m helpers grade --workers {args.workers}: {ours_seconds:6.1f} s  "
                  f"{args.students / ours_seconds:.3f} submissions/s; ratio {stock_seconds / ours_seconds:.2f}x",
                  flush=True)
            totals["stock"] += stock_seconds
            totals["ours"] += ours_seconds
            for course in courses.values():
                shutil.rmtree(course)
        print(f"ratio over all rounds: {totals['stock'] / totals['ours']:.2f}x "
              f"(target >= 1.8x with 2 workers on 2 cores)")
        print(f"time until the first k submissions were graded (round {args.rounds}, startup included):")
        print(f"  stock: {growth(stock_done, args.step)}")
        print(f"  grade: {growth(ours_done, args.step)}")
        if stock_done:
            print(f"stock startup before its first submission finished: {stock_done[0]:.1f} s; "
                  f"then {(stock_done[-1] - stock_done[0]) / max(len(stock_done) - 1, 1):.2f} s per submission")
        if ours_done:
            print(f"grade: first submission after {ours_done[0]:.1f} s; then "
                  f"{(ours_done[-1] - ours_done[0]) / max(len(ours_done) - 1, 1):.2f} s per submission")
        alone = profile_at_once([class_copy(template, Path(tmp) / "alone", PROFILED + 1)])[0]
        pair = profile_at_once([class_copy(template, Path(tmp) / f"pair-{i}", PROFILED + 1) for i in range(2)])
        together = {label: sum(p[label] for p in pair) / len(pair) for label in alone}
        print(f"per submission, by phase, {PROFILED} submissions graded as a worker grades them:")
        print(f"  one worker alone ({sum(alone.values()):.2f} s): "
              + ", ".join(f"{label} {seconds:.2f} s" for label, seconds in alone.items()))
        print(f"  each of two workers at once ({sum(together.values()):.2f} s): "
              + ", ".join(f"{label} {together[label]:.2f} s ({together[label] / alone[label] - 1:+.0%})"
                          for label in alone))
        print(f"  what two workers at once can give at best on this machine: "
              f"{2 * sum(alone.values()) / sum(together.values()):.2f}x")
        print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
