"""Synthetic classes of submissions, for the tests and the benchmark of `python -m helpers grade`.

`make_class(course, n)` writes `n` student folders under `course/submitted/` from the course's
source notebook: solution cells are filled in from the source (BEGIN/END SOLUTION markers
dropped), left as the released stub, or changed in a few realistic ways (see VARIANTS). It also
writes, for each student, the name its notebook was submitted under (renamed copies, a zip).

`make_tiny_course(root)` writes a three-function course (assignment `cnn`, notebook `cnn.ipynb`)
whose small kernels grade in about a second: the class the tests grade many times over.
"""
import ast
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)
TIMESTAMP = "2025-01-15 09:00:00.000000 UTC"

# First solution cell of a submission: the kernel dies, or the cell never ends.
CRASH_CODE = "import os\nos._exit(1)\n"
HANG_CODE = "import time\ntime.sleep(3600)\n"
# Appended to one solution cell, then one `name = _off_by_one(name)` line per function the cell
# defines: each returns a value that is off by one (for a tuple, its first item), the most common
# kind of wrong answer that still runs.
OFF_BY_ONE_CODE = """
def _off_by_one(function):
    def wrong(*args, **kwargs):
        value = function(*args, **kwargs)
        if isinstance(value, tuple):
            return (value[0] + 1,) + value[1:]
        return value + 1
    return wrong
"""


@dataclass(frozen=True)
class Student:
    """One generated submission: who, what kind, and the file name it was handed in under."""

    student_id: str
    variant: str
    filename: str  # the notebook's name in the folder, or the zip's name when zipped

    @property
    def crashes_kernel(self) -> bool:
        return self.variant == "crash"


# variant -> how the solution cells are filled (applied in this cycle to students s01, s02, ...)
VARIANTS = ("correct", "untouched", "wrong", "partial", "crash", "correct", "hang", "wrong",
            "correct", "partial", "correct", "wrong")
# student index (0-based, in each cycle of VARIANTS) -> the name the notebook arrives under instead of
# <notebook>.ipynb: every form among the first 8 students, none of them the crash or the hang
RENAMED = {2: "{nb} (1).ipynb", 3: "Copy of {nb}.ipynb", 5: "zip", 7: "{nb}-Copy1.ipynb"}


def solution_sources(source_notebook: Path) -> dict[str, str]:
    """grade_id -> the solution cell's code with the BEGIN/END SOLUTION markers removed."""
    nb = nbformat.read(source_notebook, as_version=4)
    return {
        cell.metadata["nbgrader"]["grade_id"]: SOLUTION_MARKERS.sub("", cell.source)
        for cell in nb.cells
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code"
    }


def defined_functions(code: str) -> list[str]:
    """Names of the functions a cell defines at its top level."""
    return [node.name for node in ast.parse(code).body if isinstance(node, ast.FunctionDef)]


def fill(release_nb, solutions: dict[str, str], variant: str, index: int):
    """A copy of the released notebook with its solution cells filled as `variant` says."""
    nb = nbformat.from_dict(json.loads(json.dumps(release_nb)))
    cells = [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]
    checked = "".join(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))
    graded = [c for c in cells if c.metadata["nbgrader"]["grade_id"] in checked] or cells  # not an ungraded exercise
    target = graded[index % len(graded)]  # the cell a "wrong" or "partial" submission gets wrong
    for position, cell in enumerate(cells):
        correct = solutions[cell.metadata["nbgrader"]["grade_id"]]
        if variant == "untouched" or (variant == "partial" and cell is target):
            continue
        cell.source = correct
        if variant == "wrong" and cell is target:
            cell.source = correct + OFF_BY_ONE_CODE + "".join(
                f"{name} = _off_by_one({name})\n" for name in defined_functions(correct))
        if position == 0 and variant == "crash":
            cell.source = CRASH_CODE + correct
        if position == 0 and variant == "hang":
            cell.source = HANG_CODE + correct
    return nb


def roster(n: int, notebook: str = "cnn", renamed: bool = True, variants=VARIANTS) -> list[Student]:
    """Students s01..sNN: their variant (cycling through variants) and the file they hand in."""
    students = []
    for index in range(n):
        pattern = RENAMED.get(index % len(VARIANTS), "{nb}.ipynb") if renamed else "{nb}.ipynb"
        filename = f"{notebook}.zip" if pattern == "zip" else pattern.format(nb=notebook)
        students.append(Student(f"s{index + 1:02d}", variants[index % len(variants)], filename))
    return students


def make_class(course: Path, assignment: str, n: int, renamed: bool = True, variants=VARIANTS) -> list[Student]:
    """Write n submissions to course/submitted/s01..sNN/<assignment>/; return who got what.

    With renamed=True a few notebooks arrive renamed or zipped, as learning platforms and
    browsers hand them in; with renamed=False every notebook has its released name.
    """
    (notebook_path,) = sorted((course / "release" / assignment).glob("*.ipynb"))
    notebook = notebook_path.stem
    release_nb = nbformat.read(notebook_path, as_version=4)
    solutions = solution_sources(course / "source" / assignment / notebook_path.name)
    students = roster(n, notebook, renamed, variants)
    for index, student in enumerate(students):
        folder = course / "submitted" / student.student_id / assignment
        folder.mkdir(parents=True, exist_ok=True)
        text = nbformat.writes(fill(release_nb, solutions, student.variant, index))
        if student.filename.endswith(".zip"):  # a zipped folder, as a student downloads it from JupyterHub
            with zipfile.ZipFile(folder / student.filename, "w") as archive:
                archive.writestr(f"{assignment}/{notebook}.ipynb", text)
        else:
            (folder / student.filename).write_text(text)
        (folder / "timestamp.txt").write_text(TIMESTAMP)
    return students


TINY_CONFIG = '''"""nbgrader configuration of a three-function course that grades in about a second."""
import os

c = get_config()  # noqa: F821
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "cnn-step-by-step"
# kernels talk over ipc sockets in a private folder: TCP ports picked by two workers at once can collide
c.Execute.kernel_manager_class = "helpers.grading.sandbox.execute.PrivateKernelManager"
'''

# (grade_id of the solution, its code with markers, test code, points)
TINY_PARTS = (
    ("pad", "def pad(x, n):\n    ### BEGIN SOLUTION\n    return [0] * n + list(x) + [0] * n\n    ### END SOLUTION\n",
     "assert pad([1], 1) == [0, 1, 0]\n### BEGIN HIDDEN TESTS\nassert pad([], 2) == [0, 0, 0, 0]\n### END HIDDEN TESTS\n", 2),
    ("dot", "def dot(a, b):\n    ### BEGIN SOLUTION\n    return sum(x * y for x, y in zip(a, b))\n    ### END SOLUTION\n",
     "assert dot([1, 2], [3, 4]) == 11\n### BEGIN HIDDEN TESTS\nassert dot([], []) == 0\n### END HIDDEN TESTS\n", 3),
    ("peak", "def peak(x):\n    ### BEGIN SOLUTION\n    return max(x)\n    ### END SOLUTION\n",
     "assert peak([1, 5, 2]) == 5\n### BEGIN HIDDEN TESTS\nassert peak([-3, -1]) == -1\n### END HIDDEN TESTS\n", 5),
)


def make_tiny_course(root: Path, assignment: str = "cnn") -> Path:
    """Write a tiny nbgrader course (config + source/<assignment>/cnn.ipynb) into root."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(TINY_CONFIG)
    cells = [nbformat.v4.new_markdown_cell("# A tiny assignment\nFill in the three functions.")]
    for grade_id, solution, test, points in TINY_PARTS:
        cells.append(nbformat.v4.new_code_cell(solution, metadata={"nbgrader": {
            "grade": False, "solution": True, "locked": False, "grade_id": grade_id, "schema_version": 3}}))
        cells.append(nbformat.v4.new_code_cell(test, metadata={"nbgrader": {
            "grade": True, "solution": False, "locked": True, "points": points,
            "grade_id": f"{grade_id}_check", "schema_version": 3}}))
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    (root / "source" / assignment).mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, root / "source" / assignment / "cnn.ipynb")
    return root
