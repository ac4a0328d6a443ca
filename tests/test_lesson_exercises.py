"""The scratch cells, the vectorised exercise, and the solved release run top to bottom on two numpys."""
import inspect
import os
import shutil
import subprocess
from unittest import mock

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

import student_runs
from helpers import cases, course, reference
from helpers.course import ASSIGNMENT, NOTEBOOK, RELEASE_DIR, UNITS, UNITS_BY_ID
from helpers.tools import build
from helpers.tools.submissions import reference_sources, with_solutions

RELEASE = nbformat.read(str(RELEASE_DIR / f"{NOTEBOOK}.ipynb"), as_version=4)
GRADED = {cell.metadata["nbgrader"]["grade_id"]: cell for cell in RELEASE.cells if "nbgrader" in cell.metadata}
VECTORIZED, COMPARE = "conv_forward_vectorized", build.EXERCISES["conv_forward_vectorized"]
SOLVED_SOURCES = {**reference_sources(), VECTORIZED: inspect.getsource(reference.conv_forward_vectorized)}


def scratch_cells():
    """{function: the released scratch cell after that function's checks}."""
    found, function = {}, None
    for cell in RELEASE.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in UNITS_BY_ID:
            function = UNITS_BY_ID[grade_id].function
        elif cell.cell_type == "code" and "nbgrader" not in cell.metadata:
            found[function] = cell
    return found


def run(source, functions, grading=False):
    """Execute source as a student's kernel would, with numpy and the given functions: (namespace, printed)."""
    return student_runs.run_code({"cell": source}, functions, grading)


def recording(name, calls):
    """The instructor's function `name`, recording the arguments of every call in calls."""
    def record(*args):
        calls.append(args)
        return getattr(reference, name)(*args)
    return record


def same(a, b):
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (dict, str)):
        return a == b
    a, b = np.asarray(a), np.asarray(b)  # dZ of conv_backward's example is a computed Z: equal up to rounding
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-12, atol=1e-12)


def test_every_function_has_one_scratch_cell_after_its_checks():
    """Is there one plain scratch cell (no nbgrader metadata, raises-exception) after each function's checks?"""
    scratch = scratch_cells()
    assert set(scratch) == set(build.SCRATCH) == {unit.function for unit in UNITS}
    for cell in scratch.values():
        assert cell.metadata.get("tags") == ["raises-exception"] and "not graded" in cell.source.splitlines()[0]


@pytest.mark.parametrize("function", build.SCRATCH)
def test_scratch_cell_runs_the_seeded_example(function):
    """Does each scratch cell call its function on exactly the inputs of the check's seeded example?"""
    calls = []
    functions = {name: getattr(reference, name) for name in build.SCRATCH}
    functions[function] = recording(function, calls)
    _, printed = run(scratch_cells()[function].source, functions)
    seeded = [spec for spec in cases.VISIBLE if spec["function"] == function and spec.get("show")]
    expected_calls = [cases.args_of(spec) for spec in seeded]
    if function == "pool_forward":  # one seeded example per mode, the same input
        expected_calls = sorted(expected_calls, key=lambda args: args[2] != "max")
    assert len(calls) == len(expected_calls)
    for call, args in zip(calls, expected_calls):
        assert same(call, args), function
    assert printed.strip()


def test_scratch_cells_in_the_blank_release_say_the_function_is_not_written():
    """With the released stubs, does every scratch cell stop with the stub's NotImplementedError and nothing else?"""
    stubs = {}
    for grade_id in build.SCRATCH:
        exec(GRADED[grade_id].source, {"np": np}, stubs)
    for function, cell in scratch_cells().items():
        with pytest.raises(NotImplementedError, match="not implemented yet"):
            run(cell.source, stubs)


def test_vectorized_exercise_is_worth_nothing():
    """Is the exercise a solution cell with a grade id and no points, its compare cell locked, both outside the points table?"""
    meta = GRADED[VECTORIZED].metadata["nbgrader"]
    assert meta["solution"] and not meta["grade"] and not meta["locked"] and "points" not in meta
    meta = GRADED[COMPARE].metadata["nbgrader"]
    assert meta["locked"] and not meta["grade"] and not meta["solution"] and "points" not in meta
    assert VECTORIZED not in UNITS_BY_ID and COMPARE not in UNITS_BY_ID
    assert "raise NotImplementedError" in GRADED[VECTORIZED].source
    assert sum(cell.metadata["nbgrader"].get("points", 0) for cell in GRADED.values()) == 100


def test_backward_switch_still_works_with_the_exercise(monkeypatch):
    """With CNN_BACKWARD_COUNTS=1, is the notebook worth 130, the exercise still nothing?"""
    monkeypatch.setattr(course, "BACKWARD_COUNTS", True)
    cells = {cell.metadata["nbgrader"]["grade_id"]: cell.metadata["nbgrader"]
             for cell in build.build_notebook().cells if "nbgrader" in cell.metadata}
    assert sum(meta.get("points", 0) for meta in cells.values()) == 130
    assert {grade_id for grade_id, meta in cells.items() if meta["grade"]} == set(UNITS_BY_ID)


def solved(**changes):
    return {"conv_forward": reference.conv_forward, "zero_pad": reference.zero_pad,
            "conv_single_step": reference.conv_single_step, VECTORIZED: reference.conv_forward_vectorized, **changes}


def test_compare_cell_agrees_and_times_the_solution():
    """With the instructor's two versions, does the compare cell find them the same on every layer and time both?"""
    namespace, printed = run(GRADED[COMPARE].source, solved())
    assert namespace["vectorized_agrees"] and all(namespace["vectorized_agrees"].values()), printed
    layers = list(namespace["layers"].values())
    assert any(hp["pad"] == 0 for *_, hp in layers) and any(hp["stride"] > 1 for *_, hp in layers)
    assert any(A[1] != A[2] for A, *_ in layers)  # a non-square input
    assert "times as fast" in printed and "loops" in printed


def test_compare_cell_under_autograde_skips_the_timing():
    """Under NBGRADER_EXECUTION, does the compare cell still compare but not time?"""
    namespace, printed = run(GRADED[COMPARE].source, solved(), grading=True)
    assert all(namespace["vectorized_agrees"].values())
    assert "Skipped while the notebook is graded" in printed and "times as fast" not in printed


def test_compare_cell_reports_a_wrong_or_missing_vectorized_version():
    """Does it say DIFFERENT for a vectorised version that ignores the stride, and stop clearly on the stub?"""
    def no_stride(A_prev, W, b, hparameters):
        return reference.conv_forward_vectorized(A_prev, W, b, {**hparameters, "stride": 1})
    namespace, printed = run(GRADED[COMPARE].source, solved(conv_forward_vectorized=no_stride))
    assert "DIFFERENT" in printed and not all(namespace["vectorized_agrees"].values())
    assert "times as fast" not in printed
    stub = {}
    exec(GRADED[VECTORIZED].source, {"np": np}, stub)
    _, printed = run(GRADED[COMPARE].source, solved(**stub))
    assert "stopped: NotImplementedError: not implemented yet" in printed


def test_instructor_vectorized_code_is_only_in_the_solution_notebook(course_factory):
    """Does `nbgrader generate_solution` show the instructor's vectorised code, which release/ never holds?"""
    import support
    root = course_factory("solution")
    support.nbgrader(root, "generate_solution", ASSIGNMENT, "--force")
    def code(path):
        notebook = nbformat.read(str(path / f"{NOTEBOOK}.ipynb"), as_version=4)
        return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    solution, release = code(root / "solution" / ASSIGNMENT), code(RELEASE_DIR)
    for line in ("sliding_window_view(padded, (f, f), axis=(1, 2))", 'Z = np.einsum("ihwkyx,yxkc->ihwc"'):
        assert line in solution and line not in release, line


def solved_release(tmp_path):
    """A copy of the release folder whose notebook has every solution cell filled with the instructor's code."""
    work = tmp_path / ASSIGNMENT
    shutil.copytree(RELEASE_DIR, work, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    notebook = with_solutions(RELEASE, SOLVED_SOURCES)
    assert all(cell.source in SOLVED_SOURCES.values() for cell in notebook.cells
               if cell.metadata.get("nbgrader", {}).get("solution"))
    nbformat.write(notebook, str(work / f"{NOTEBOOK}.ipynb"))
    return work, notebook


def test_solved_release_runs_under_nbclient(tmp_path):
    """Does the solved release run top to bottom in plain Jupyter (working folder = its folder) with no error?"""
    work, notebook = solved_release(tmp_path)
    with mock.patch.dict(os.environ):
        os.environ.pop("NBGRADER_EXECUTION", None)
        os.environ["MPLBACKEND"] = "Agg"
        NotebookClient(notebook, timeout=300, allow_errors=False, kernel_name="python3",
                       resources={"metadata": {"path": str(work)}}).execute()
    text = {cell.metadata.get("nbgrader", {}).get("grade_id"): "".join(out.get("text", "") for out in cell.outputs)
            for cell in notebook.cells if cell.cell_type == "code"}
    assert not [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs
                if out.output_type == "error"]
    assert "times as fast" in text[COMPARE] and "DIFFERENT" not in text[COMPARE]
    assert "-> pool_forward (1, 32, 32, 3)" in text["photo_feature_maps"]


def test_solved_release_runs_under_numpy_1_26(tmp_path, numpy1_python):
    """Run as a script by a Python with numpy 1.26 and nothing else, in its own folder: no error, every check passes?"""
    work, notebook = solved_release(tmp_path)
    script = "\n\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    (work / "solved.py").write_text("import numpy\nprint('numpy', numpy.__version__)\n" + script, encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if key not in ("NBGRADER_EXECUTION", "PYTHONPATH")}
    result = subprocess.run([str(numpy1_python), "solved.py"], cwd=work, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("numpy 1.26."), result.stdout[:200]
    assert result.stdout.count("passed.") >= len(UNITS) and "FAIL" not in result.stdout
    assert "vectorised and loops the same" in result.stdout and "times as fast" in result.stdout
    assert "matplotlib is not installed" in result.stdout  # the photo cell's text instead of the figure


def test_the_readme_feature_map_picture_is_what_the_photo_cell_draws(tmp_path):
    """Does `python -m helpers figures --feature-maps` save the photo cell's four-panel figure as a PNG?"""
    from helpers import figures
    path = figures.write_feature_maps(tmp_path / "maps.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and 10_000 < path.stat().st_size < 200_000
