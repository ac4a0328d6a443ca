"""Test support: a temporary copy of the course, submissions made from the release, real autograde.

Every real `nbgrader autograde` costs seconds, so tests grade many students in ONE run:
build the submissions, call `autograde(course, {student: notebook, ...})` once (in a session
fixture), then read each student's results with `results()` and `scores()`.
"""
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from helpers.grading.verify import results_of
from helpers.tools.build import copy_course
from helpers.course import ASSIGNMENT, NOTEBOOK, ROOT, tool_env
from helpers.tools.submissions import reference_sources, with_solutions  # noqa: F401 (re-exported for tests)


def make_env(path: Path, python: str, requirements: Path, compile_bytecode: bool = False) -> Path:
    """A venv at path, made from `python`, with exactly the packages of a lock (--no-deps, as the Makefile
    installs them); returns its python. uv does the work where it runs (the one in .venv/bin, which `make`
    puts on PATH, or the running Python's module); otherwise venv and pip. compile_bytecode: write every module's bytecode now.
    """
    uv = next((command for command in (["uv"], [sys.executable, "-m", "uv"])
               if shutil.which(command[0]) and subprocess.run([*command, "--version"], capture_output=True).returncode == 0),
              None)
    env_python = path / "bin" / "python"
    if uv:
        subprocess.run([*uv, "venv", "-q", "-p", python, str(path)], check=True)
        subprocess.run([*uv, "pip", "install", "-q", "--no-deps", *(["--compile-bytecode"] if compile_bytecode else []),
                        "-p", str(env_python), "-r", str(requirements)], check=True)
    else:
        subprocess.run([python, "-m", "venv", str(path)], check=True)
        subprocess.run([str(env_python), "-m", "pip", "install", "-q", "--no-deps", "-r", str(requirements)], check=True)
    return env_python


def nbgrader(course, *args, check=True, timeout=1800):
    """Run `python -m nbgrader ARGS` in the course folder with the venv's bin/ on PATH."""
    env = tool_env()
    for name in ("NBGRADER_EXECUTION", "PYTEST_CURRENT_TEST"):  # with the latter, ipykernel stops capturing fd 1 and 2
        env.pop(name, None)
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                            capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return result


def make_course(dest: Path) -> Path:
    """A copy of the course in dest, with the assignment generated (release and gradebook)."""
    return copy_course(dest)


def release_notebook(course: Path = ROOT):
    return nbformat.read(str(course / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"), as_version=4)


def submit(course: Path, student: str, notebook, name=f"{NOTEBOOK}.ipynb"):
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(notebook, (str, bytes)):
        (folder / name).write_text(notebook) if isinstance(notebook, str) else (folder / name).write_bytes(notebook)
    else:
        nbformat.write(notebook, str(folder / name))
    return folder


def autograde(course: Path, submissions: dict, *extra_args, check=True):
    """Submit every {student: notebook} and grade them all in one `nbgrader autograde` run."""
    for student, notebook in submissions.items():
        submit(course, student, notebook)
    return nbgrader(course, "autograde", ASSIGNMENT, *extra_args, check=check)


def results(course: Path, student: str) -> dict:
    """{grade_id: the check cell's cnn_checks metadata} of a student's autograded notebook."""
    path = course / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    return results_of(nbformat.read(str(path), as_version=4))


def scores(course: Path, student: str) -> dict:
    """{grade_id: (auto_score, needs_manual_grade)} from the gradebook for a student's graded cells."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student)
        return {grade.name: (grade.auto_score, grade.needs_manual_grade) for grade in submission.grades}


def write_damaged_zip(path: Path, notebook_text: str) -> None:
    """A zip holding cnn.ipynb (stored uncompressed) with one byte of it flipped: reading it fails its checksum."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("cnn.ipynb", notebook_text)
    data = bytearray(path.read_bytes())
    data[data.index(b'"cells"') + 1] ^= 0x20
    path.write_bytes(bytes(data))
