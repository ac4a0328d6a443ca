"""The notebooks as people run them: the source top to bottom, the untouched release, in plain Jupyter."""
import os
import shutil
from unittest import mock

import nbformat
import pytest
from nbclient import NotebookClient

from helpers.course import NOTEBOOK, RELEASE_DIR, SOURCE_DIR, UNITS
from helpers.grading.verify import VerifyChecks


def execute(folder, tmp_path, grading=False):
    """Run folder's notebook in a copy of folder (as a student would) and return the executed notebook."""
    work = tmp_path / folder.name
    shutil.copytree(folder, work, ignore=shutil.ignore_patterns("__pycache__"))
    notebook = nbformat.read(str(work / f"{NOTEBOOK}.ipynb"), as_version=4)
    with mock.patch.dict(os.environ):  # restored afterwards
        os.environ.pop("NBGRADER_EXECUTION", None)
        if grading:
            os.environ["NBGRADER_EXECUTION"] = "autograde"
        NotebookClient(notebook, timeout=120, allow_errors=True, kernel_name="python3",
                       resources={"metadata": {"path": str(work)}}).execute()
    return notebook


def errors(notebook):
    return {cell.metadata.get("nbgrader", {}).get("grade_id", f"cell {i}"): out
            for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"
            for out in cell.outputs if out.output_type == "error"}


def text(cell):
    return "".join(out.get("text", "") for out in cell.outputs if out.output_type == "stream")


@pytest.fixture(scope="module")
def source_run(tmp_path_factory):
    return execute(SOURCE_DIR, tmp_path_factory.mktemp("source"))


def test_source_runs_with_every_check_passing(source_run):
    """Does the instructor's notebook run top to bottom in plain Jupyter with no error and every check passing?"""
    assert not errors(source_run)
    checks = [cell for cell in source_run.cells if cell.metadata.get("nbgrader", {}).get("grade_id", "").endswith("_check")]
    assert len(checks) == len(UNITS)
    for cell in checks:
        assert "checks of" in text(cell) and "passed." in text(cell), cell.metadata["nbgrader"]["grade_id"]


def test_source_passes_the_grader(tmp_path):
    """Under autograde, do the recorded results of the instructor's solutions pass every visible and hidden case?"""
    notebook, _ = VerifyChecks().preprocess(execute(SOURCE_DIR, tmp_path, grading=True), {})
    results = [cell.metadata["cnn_checks"] for cell in notebook.cells if "cnn_checks" in cell.metadata]
    assert len(results) == len(UNITS)
    for result in results:
        assert result["passed"] and not result["flags"], result["grade_id"]
        assert any(not case["visible"] for case in result["cases"])  # hidden cases were run and judged
    assert not errors(notebook)


def test_blank_release_fails_every_check_clearly(tmp_path):
    """Does the untouched release run without crashing, every check failing with "not implemented"?

    Only the check cells may fail, and the scratch cells (the student's own, tagged raises-exception),
    which stop at the stub's NotImplementedError."""
    notebook = execute(RELEASE_DIR, tmp_path)
    failed = errors(notebook)
    scratch = {f"cell {i}" for i, cell in enumerate(notebook.cells)
               if cell.cell_type == "code" and "nbgrader" not in cell.metadata}
    for name in scratch & set(failed):
        assert failed.pop(name).ename == "NotImplementedError", name
    assert set(failed) == {unit.grade_id for unit in UNITS}, "only the check cells may fail"
    for grade_id, error in failed.items():
        assert error.ename == "CheckFailed" and "not implemented yet" in error.evalue, (grade_id, error.evalue)


def test_figures_ship_with_the_release():
    """Does every figure the lesson shows exist in the release folder (self-contained release)?"""
    notebook = nbformat.read(str(RELEASE_DIR / f"{NOTEBOOK}.ipynb"), as_version=4)
    linked = {part.split(")")[0] for cell in notebook.cells if cell.cell_type == "markdown"
              for part in cell.source.split("](")[1:]}
    images = {link for link in linked if link.startswith("images/")}
    assert len(images) == 4
    for link in images:
        assert (RELEASE_DIR / link).is_file(), link
