"""What a student runs on their own copy of the assignment: `nbgrader validate`, and the notebook itself.

A student's copy is the release folder with their notebook in it, outside any course directory.
Kernels started from here get the environment a student's kernel gets: in particular without
pytest's PYTEST_CURRENT_TEST, which turns off ipykernel's capture of file descriptors 1 and 2
(so that what C code or os.write sends to fd 2 would never reach the notebook).
"""
import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from unittest import mock

import nbformat
import numpy as np
from nbclient import NotebookClient

from helpers.course import NOTEBOOK, tool_env

PYTEST_ENV = ("PYTEST_CURRENT_TEST", "NBGRADER_EXECUTION")
# Where `nbgrader validate` starts the report of one notebook (one process validates many).
REPORT_START = re.compile(r"^(?=Success! Your notebook|VALIDATION FAILED ON|THE CONTENTS OF|THE TYPES OF)", re.M)
CHECK_CALL = re.compile(r"^\s*check_(\w+)\((\w+)(?:, \"(\w+)\")?\)", re.M)


def student_env():
    """The environment of a student's kernel: this one without pytest's or nbgrader's variables."""
    return {key: value for key, value in tool_env().items() if key not in PYTEST_ENV}


@contextlib.contextmanager
def like_a_student():
    """Run the block (e.g. an nbgrader run that starts kernels) in a student kernel's environment."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(student_env())
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def student_copy(folder: Path, release: Path, notebook) -> Path:
    """folder made a copy of the release folder holding notebook; returns the notebook's path."""
    shutil.copytree(release, folder, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    path = folder / f"{NOTEBOOK}.ipynb"
    nbformat.write(notebook, str(path))
    return path


def check_ids(report: str) -> set:
    """Grade ids of the check cells a validate report lists (as failed or changed)."""
    return {f"{function}_{mode}_check" if mode else f"{function}_check"
            for function, _, mode in CHECK_CALL.findall(report)}


def validate(paths) -> dict:
    """{path: the text `nbgrader validate` prints for it}, all notebooks validated by one process."""
    paths = list(paths)
    result = subprocess.run([sys.executable, "-m", "nbgrader", "validate", *map(str, paths)],
                            cwd=Path(paths[0]).parent, env=student_env(), capture_output=True, text=True,
                            timeout=600)
    reports = REPORT_START.split(result.stdout)[1:]  # before the first: what kernels echoed to their stdout
    if result.returncode != 0 or len(reports) != len(paths):
        raise AssertionError(f"nbgrader validate gave {len(reports)} reports for {len(paths)} notebooks "
                             f"(exit {result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return dict(zip(paths, reports))


def run_as_student(path: Path):
    """The notebook at path run top to bottom in the student's own kernel, as Run All does."""
    notebook = nbformat.read(str(path), as_version=4)
    with like_a_student():
        NotebookClient(notebook, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    return notebook


def grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def run_code(sources: dict, functions: dict, grading=False):
    """Execute {name: cell source} in order as a student's kernel would, with numpy and the given functions,
    under autograde's NBGRADER_EXECUTION when grading: (namespace, printed text)."""
    namespace = {"np": np, **functions}
    out = io.StringIO()
    with mock.patch.dict(os.environ), contextlib.redirect_stdout(out):
        os.environ.pop("NBGRADER_EXECUTION", None)
        if grading:
            os.environ["NBGRADER_EXECUTION"] = "autograde"
        for name, source in sources.items():
            exec(compile(source, name, "exec"), namespace)
    return namespace, out.getvalue()
