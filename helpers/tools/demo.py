"""The demo grading run, with the standard nbgrader commands, in the course root.

`python -m helpers demo` (`make demo`):
1. `nbgrader generate_assignment cnn --force`: release/cnn/ and the gradebook entry;
2. three submissions in submitted/: `correct-alt` (complete and correct, written differently from
   the instructor's solution), `mistakes` (typical mistakes from the catalog), `untouched` (the release);
3. `nbgrader autograde cnn`, `nbgrader generate_feedback cnn`, `nbgrader export` (exports/grades.csv);
4. a table of every check per student.
`python -m helpers reset` removes what the demo made (gradebook, submissions, autograded,
feedback, exports, reports), so the next demo starts from scratch.
"""
import argparse
import shutil
import subprocess
import sys

import nbformat

from helpers import mistakes
from helpers.alternatives import alternative_solutions
from helpers.grading.verify import results_of
from helpers.tools.build import generate_release
from helpers.course import ASSIGNMENT, NOTEBOOK, RELEASE_DIR, ROOT, UNITS, points
from helpers.tools.submissions import reference_sources, with_solutions

DEMO_MISTAKES = ("conv_stride_ignored", "pool_mode_ignored", "unpad_negative_slice", "pool_backward_stride_ignored")
GENERATED = ("gradebook.db", "submitted", "feedback", "exports", "reports")


def submissions():
    """{student id: notebook} of the three demo students, made from the release."""
    release = nbformat.read(str(RELEASE_DIR / f"{NOTEBOOK}.ipynb"), as_version=4)
    wrong = {mistake.function: mistake.source() for mistake in map(mistakes.MISTAKES_BY_SLUG.get, DEMO_MISTAKES)}
    return {
        "correct-alt": with_solutions(release, alternative_solutions()),
        "mistakes": with_solutions(release, {**reference_sources(), **wrong}),
        "untouched": release,
    }


def nbgrader(*args):
    """Run a standard nbgrader command in the course root; stop the demo if it fails."""
    print(f"\n$ nbgrader {' '.join(args)}", flush=True)
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"], cwd=ROOT)
    if result.returncode != 0:
        raise SystemExit(f"nbgrader {args[0]} failed (exit {result.returncode}); see the messages above")


def check_table(students):
    """One line per student: each check's points (or pass/fail for the optional part) and the total."""
    header = f"{'student':<12}" + "".join(f"{unit.short:>8}" for unit in UNITS) + f"{'total':>8}"
    lines = [header, "-" * len(header)]
    for student in students:
        path = ROOT / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
        if not path.exists():
            lines.append(f"{student:<12}  (not graded: see the autograde messages)")
            continue
        results = results_of(nbformat.read(str(path), as_version=4))
        row, total = f"{student:<12}", 0
        for unit in UNITS:
            passed = results.get(unit.grade_id, {}).get("passed", False)
            earned = points(unit) if passed else 0
            total += earned
            row += f"{(str(earned) if unit.graded else ('pass' if passed else 'fail')):>8}"
        lines.append(row + f"{total:>8}")
    worth = ", ".join(f"{u.short}={points(u)}" for u in UNITS if u.graded)
    lines.append(f"points: {worth}; conv_b, mask, dist, pool_b: optional part, 0 points")
    return "\n".join(lines)


def main(argv=None) -> int:
    argparse.ArgumentParser(prog="python -m helpers demo", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    print("$ nbgrader generate_assignment cnn --force", flush=True)
    generate_release()
    students = submissions()
    for student, notebook in students.items():
        folder = ROOT / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, str(folder / f"{NOTEBOOK}.ipynb"))
    print(f"submitted: {', '.join(students)} (mistakes: {', '.join(DEMO_MISTAKES)})")
    nbgrader("autograde", ASSIGNMENT, "--force")
    nbgrader("generate_feedback", ASSIGNMENT, "--force")
    (ROOT / "exports").mkdir(exist_ok=True)
    nbgrader("export", "--to", str(ROOT / "exports" / "grades.csv"))
    print("\n" + check_table(students))
    print(f"\nautograded notebooks: autograded/<student>/{ASSIGNMENT}/   feedback: feedback/<student>/{ASSIGNMENT}/"
          "\ngrades: exports/grades.csv   start again: make reset")
    return 0


def reset(argv=None) -> int:
    """Remove what the demo made; the committed files are left as they are."""
    argparse.ArgumentParser(prog="python -m helpers reset", description=reset.__doc__).parse_args(argv)
    for name in GENERATED:
        path = ROOT / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    for path in (ROOT / "autograded").iterdir():
        if path.name != "README.md":
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    print("removed the gradebook, submitted/, autograded/ (but its README), feedback/, exports/ and reports/")
    return 0
