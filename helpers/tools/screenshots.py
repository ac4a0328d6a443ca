"""The README's screenshots, taken in Chromium: a student's notebook and the class report.

`python -m helpers screenshots` grades the demo's class of three (helpers.tools.demo.submissions) in a
temporary copy of the course, then writes
- docs/images/student-notebook.png: the demo's "mistakes" notebook in JupyterLab after Run All,
  at the conv_forward check: each case's verdict and the likely cause of the failure;
- docs/images/class-report.png: the top of that class's report (scores, pass rate per check).
Nothing else in the course root changes. It needs Chromium (`apt-get install chromium`).
"""
import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from helpers import figures
from helpers.tools import browser, demo, report
from helpers.tools.build import copy_course
from helpers.course import ASSIGNMENT, NOTEBOOK, ROOT, tool_env

OUT_DIR = ROOT / "docs" / "images"
STUDENT = "mistakes"  # the demo student whose notebook is shown
SHOWN_CHECK = "conv_forward_check"
REPORT_SIZE = {"width": 1100, "height": 1350}


def graded_demo_course(dest: Path) -> Path:
    """A copy of the course in dest with the demo's three submissions autograded."""
    copy_course(dest)
    for student, notebook in demo.submissions().items():
        folder = dest / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(notebook, str(folder / f"{NOTEBOOK}.ipynb"))
    result = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT], cwd=dest, env=tool_env(),
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader autograde failed in {dest}:\n{result.stderr[-3000:]}")
    return dest


def student_notebook(chromium, course: Path, out: Path) -> None:
    """Open the demo student's notebook (a fresh copy of the release with their code), Run All, shoot the check."""
    folder = course / "students" / STUDENT / ASSIGNMENT
    shutil.copytree(course / "release" / ASSIGNMENT, folder)
    nbformat.write(demo.submissions()[STUDENT], str(folder / f"{NOTEBOOK}.ipynb"))
    code = [cell for cell in nbformat.read(str(folder / f"{NOTEBOOK}.ipynb"), as_version=4).cells
            if cell.cell_type == "code"]
    index = next(i for i, cell in enumerate(code) if cell.metadata.get("nbgrader", {}).get("grade_id") == SHOWN_CHECK)
    with browser.JupyterLab(course, course / ".jupyter-home") as lab:
        page = browser.new_page(chromium, lab)
        browser.open_notebook(page, lab, f"students/{STUDENT}/{ASSIGNMENT}/{NOTEBOOK}.ipynb")
        browser.menu(page, "View", "Appearance", "Show Left Sidebar")  # hide the file browser: more room for the notebook
        browser.run_all(page)
        browser.code_cell(page, index).evaluate("element => element.scrollIntoView({block: 'start'})")
        page.screenshot(path=str(out))
        page.context.close()


def class_report(chromium, course: Path, out: Path) -> None:
    """Write the class report of the graded course and shoot the top of the page."""
    page_path = report.write_report(course, ASSIGNMENT, course / "reports")[0]
    page = chromium.new_page(viewport=REPORT_SIZE)
    page.goto(page_path.as_uri())
    page.screenshot(path=str(out))
    page.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers screenshots", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  python -m helpers screenshots\n  python -m helpers screenshots --out /tmp/shots")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="folder for the PNGs (default: docs/images)")
    args = parser.parse_args(argv)
    problem = browser.chromium_problem()
    if problem:
        print(f"screenshots: error: {problem}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as scratch:
        print("grading the demo class in a temporary copy of the course ...", flush=True)
        course = graded_demo_course(Path(scratch) / "course")
        with browser.chromium() as chromium:
            student_notebook(chromium, course, args.out / "student-notebook.png")
            print(f"wrote {args.out / 'student-notebook.png'}")
            class_report(chromium, course, args.out / "class-report.png")
            print(f"wrote {args.out / 'class-report.png'}")
    print(f"wrote {figures.write_feature_maps(args.out / 'feature-maps.png')}")
    return 0
