"""Benchmark: what the hidden cases cost the kernel, and a 10x slower solution against the cell timeout.

Runs the instructor's loop solution cell by cell in a fresh kernel (nbclient) and prints, for
every check cell, the seconds it took:
  visible  -- the release notebook as a student runs it: the visible checks only;
  +hidden  -- the source notebook, not grading: the visible checks, then the hidden block;
  grading  -- the source notebook as `nbgrader autograde` runs it (NBGRADER_EXECUTION=autograde):
              the check cells only record results, visible and hidden cases alike.
The grader's own work after the kernel (helpers.grading.verify.VerifyChecks judging the records) is
timed in this process. Then the same solution made 10x slower (every function busy-waits nine
times as long as it ran) is run the grading way, and its slowest cell is compared with the
configured cell timeout (Execute.timeout in nbgrader_config.py). Figures only: the machine is
noisy, nothing is asserted. Target: the hidden cases add at most 2 s to the student's run.

usage: python bench/hidden_suite.py [--repeat N]
"""
import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from traitlets.config.loader import PyFileConfigLoader

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpers.course import NOTEBOOK, RELEASE_DIR, SOURCE_DIR, UNITS  # noqa: E402
from helpers.tools.submissions import reference_sources, with_solutions  # noqa: E402
from helpers.grading.verify import VerifyChecks  # noqa: E402

CHECK_CELLS = [unit.grade_id for unit in UNITS]
SLOWED = '''import functools as _functools
import time as _time


def _slowed(function, factor=10):
    """function, taking factor times as long: it busy-waits (factor - 1) times its own running time."""
    @_functools.wraps(function)
    def slow(*args, **kwargs):
        start = _time.perf_counter()
        result = function(*args, **kwargs)
        end = start + factor * (_time.perf_counter() - start)
        while _time.perf_counter() < end:
            pass
        return result
    return slow


'''


def configured_timeout() -> float:
    """Execute.timeout from the course's nbgrader_config.py."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    return float(config.Execute.timeout)


def slowed_sources() -> dict:
    """The instructor's functions, each wrapped to run 10x slower (the wrapper is defined in the first cell)."""
    sources = {}
    for index, (function, source) in enumerate(reference_sources().items()):
        sources[function] = (SLOWED if index == 0 else "") + source + f"\n\n{function} = _slowed({function})\n"
    return sources


@contextlib.contextmanager
def environment(**changes):
    """os.environ with changes (None removes a variable) for the block: kernels inherit it."""
    saved = dict(os.environ)
    for key, value in changes.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_cells(notebook, folder: Path, grading: bool) -> dict:
    """Execute notebook in folder cell by cell; {grade_id: seconds} of its check cells, plus "all" and
    "lesson" (the cells that are neither checks nor the student's solutions: activities, scratch cells)."""
    mode = "autograde" if grading else None
    client = NotebookClient(notebook, timeout=600, allow_errors=True,
                            resources={"metadata": {"path": str(folder)}})
    seconds = {"all": 0.0, "lesson": 0.0}
    with environment(NBGRADER_EXECUTION=mode, PYTEST_CURRENT_TEST=None), client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            start = time.perf_counter()
            client.execute_cell(cell, index)
            elapsed = time.perf_counter() - start
            seconds["all"] += elapsed
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in CHECK_CELLS:
                seconds[grade_id] = elapsed
            elif grade_id != "imports" and not cell.metadata.get("nbgrader", {}).get("solution"):
                seconds["lesson"] += elapsed
    return seconds


def judged_seconds(notebook) -> float:
    """Seconds VerifyChecks takes to judge a notebook's recorded results (fresh caches: the first submission)."""
    from helpers import expected
    expected._hidden_case.cache_clear()
    expected._mistakes_of.cache_clear()
    start = time.perf_counter()
    VerifyChecks().preprocess(nbformat.from_dict(notebook), {})
    return time.perf_counter() - start


def best_of(repeat, run):
    """Per key, the smallest time of `repeat` runs (the least disturbed by other processes)."""
    runs = [run() for _ in range(repeat)]
    return {key: min(result[key] for result in runs) for key in runs[0]}, runs[-1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=2, help="runs per mode; the fastest is shown (default 2)")
    args = parser.parse_args(argv)
    release = nbformat.read(str(RELEASE_DIR / f"{NOTEBOOK}.ipynb"), as_version=4)
    source = nbformat.read(str(SOURCE_DIR / f"{NOTEBOOK}.ipynb"), as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        release_folder, source_folder = Path(tmp, "release"), Path(tmp, "source")
        shutil.copytree(RELEASE_DIR, release_folder)
        shutil.copytree(SOURCE_DIR, source_folder)
        student = with_solutions(release, reference_sources())
        graded_notebook = with_solutions(source, reference_sources())

        def run_grading():
            notebook = nbformat.from_dict(graded_notebook)
            seconds = run_cells(notebook, source_folder, grading=True)
            return dict(seconds, judged=judged_seconds(notebook))

        visible, _ = best_of(args.repeat, lambda: run_cells(nbformat.from_dict(student), release_folder, False))
        hidden, _ = best_of(args.repeat, lambda: run_cells(nbformat.from_dict(graded_notebook), source_folder, False))
        grading, _ = best_of(args.repeat, run_grading)
        slow_notebook = with_solutions(source, slowed_sources())
        slow, _ = best_of(1, lambda: run_cells(nbformat.from_dict(slow_notebook), source_folder, True))

    print(f"{'check cell':<32}{'visible':>9}{'+hidden':>9}{'grading':>9}{'10x slow':>10}   (seconds, best of "
          f"{args.repeat}; 10x slow: 1 run, grading)")
    for grade_id in CHECK_CELLS:
        print(f"{grade_id:<32}{visible[grade_id]:>9.3f}{hidden[grade_id]:>9.3f}{grading[grade_id]:>9.3f}"
              f"{slow[grade_id]:>10.3f}")
    checks_total = {name: sum(times[grade_id] for grade_id in CHECK_CELLS)
                    for name, times in (("visible", visible), ("hidden", hidden), ("grading", grading), ("slow", slow))}
    print(f"{'all check cells':<32}{checks_total['visible']:>9.3f}{checks_total['hidden']:>9.3f}"
          f"{checks_total['grading']:>9.3f}{checks_total['slow']:>10.3f}")
    print(f"{'whole notebook (kernel)':<32}{visible['all']:>9.3f}{hidden['all']:>9.3f}{grading['all']:>9.3f}"
          f"{slow['all']:>10.3f}")
    added = checks_total["hidden"] - checks_total["visible"]
    print(f"\nthe hidden cases add {added:.2f} s to the check cells (target: at most 2 s); "
          f"ratio {checks_total['hidden'] / checks_total['visible']:.2f}")
    print(f"the lesson's other cells (activities, scratch cells, the exercise's comparison) take "
          f"{grading['lesson']:.2f} s under autograde (target: at most 0.3 s), {hidden['lesson']:.2f} s for a student")
    print(f"the grader judges a submission's records in {grading['judged']:.2f} s (first submission, cold caches)")
    timeout = configured_timeout()
    slowest = max(CHECK_CELLS, key=lambda grade_id: slow[grade_id])
    print(f"10x slower solution: slowest cell {slowest} took {slow[slowest]:.2f} s, "
          f"{slow[slowest] / timeout:.1%} of the {timeout:.0f} s cell timeout (Execute.timeout); "
          f"its check cells ran {checks_total['slow'] / checks_total['grading']:.1f}x as long as the correct ones")
    return 0


if __name__ == "__main__":
    sys.exit(main())
