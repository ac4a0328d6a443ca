"""The notebook's ungraded cells as students run them: the imports cell, the gradient checks."""
import ast
import inspect
import subprocess
import sys
import time

import nbformat
import numpy as np
import pytest

import student_runs
from helpers import mistakes, oracle, reference
from helpers.course import NOTEBOOK, RELEASE_DIR, UNITS_BY_ID
from helpers.tools import build

RELEASE = nbformat.read(str(RELEASE_DIR / f"{NOTEBOOK}.ipynb"), as_version=4)
CELLS = {cell.metadata["nbgrader"]["grade_id"]: cell for cell in RELEASE.cells if "nbgrader" in cell.metadata}
GRADIENT_CELLS = ("grad_check_conv", "grad_check_pool")
ACTIVITY_CELLS = tuple(grade_id for cells in build.ACTIVITIES.values() for grade_id in cells)
FORWARD = ("conv_forward", "pool_forward")


def shipped_list():
    """The files the released imports cell says must sit beside the notebook."""
    tree = ast.parse(CELLS["imports"].source)
    node = next(node for node in tree.body if isinstance(node, ast.Assign)
                and node.targets[0].id == "SHIPPED_WITH_THE_NOTEBOOK")
    return ast.literal_eval(node.value)


def test_imports_cell_lists_what_the_release_ships():
    """Does the imports cell name exactly the files and folders release/ holds beside the notebook?"""
    shipped = {path.name + ("/" if path.is_dir() else "") for path in RELEASE_DIR.iterdir()
               if path.name not in (f"{NOTEBOOK}.ipynb", "__pycache__", ".ipynb_checkpoints")}
    assert set(shipped_list()) == shipped
    section_1 = next(cell.source for cell in RELEASE.cells if cell.source.startswith("## 1. Packages"))
    for name in shipped:
        assert f"`{name}`" in section_1, name


def test_notebook_opened_alone_says_which_files_it_needs(tmp_path):
    """Run alone in an empty folder, does the imports cell fail with an error naming every file it needs?"""
    result = subprocess.run([sys.executable, "-c", CELLS["imports"].source], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: cnn_checks.py is not in the folder"), last
    for name in shipped_list():
        assert name in last, name


def test_imports_cell_lists_a_missing_data_file(tmp_path):
    """With cnn_checks.py but without its data, does the imports cell say what is missing?"""
    (tmp_path / "cnn_checks.py").write_bytes((RELEASE_DIR / "cnn_checks.py").read_bytes())
    result = subprocess.run([sys.executable, "-c", CELLS["imports"].source], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Missing beside the notebook: cnn_check_data.json, cnn_record.py, images/" in result.stdout


@pytest.mark.parametrize("grade_id", ACTIVITY_CELLS)
def test_activity_cells_are_locked_and_earn_nothing(grade_id):
    """Is each new activity cell (gradient checks, photo, shapes) locked, ungraded, without points and outside the points table?"""
    meta = CELLS[grade_id].metadata["nbgrader"]
    assert meta["locked"] and not meta["grade"] and not meta["solution"] and "points" not in meta
    assert grade_id not in UNITS_BY_ID and not grade_id.endswith("_check")


def run_cells(functions, grading=False, cells=GRADIENT_CELLS):
    """Execute the released cells named as a student's kernel would: (namespace, printed text)."""
    return student_runs.run_code({grade_id: CELLS[grade_id].source for grade_id in cells}, functions, grading)


def largest_errors(namespace):
    """{"conv_backward": the largest relative error over layers and arrays, "pool_backward": likewise}."""
    conv = [error for layer in namespace["conv_gradient_errors"].values() for error in layer.values()]
    return {"conv_backward": max(conv), "pool_backward": max(namespace["pool_gradient_errors"].values())}


def solution_functions():
    return {name: getattr(reference, name) for name in ("conv_forward", "conv_backward", "pool_forward", "pool_backward")}


def test_the_solution_passes_the_gradient_check():
    """Does the gradient check report errors below 1e-7 for the instructor's solution, on every layer and array?"""
    namespace, printed = run_cells(solution_functions())
    conv, pool = namespace["conv_gradient_errors"], namespace["pool_gradient_errors"]
    assert all(set(errors) == {"dA_prev", "dW", "db"} for errors in conv.values())
    assert {mode for _, mode in pool} == {"max", "average"}
    assert max(largest_errors(namespace).values()) < 1e-7, printed
    assert "TOO LARGE" not in printed and "stopped" not in printed


def test_the_gradient_check_layers_are_the_promised_ones():
    """Do the shipped layers include a conv layer with pad 0, one with f 3, stride 2, pad 1, m 2, and overlapping pools?"""
    conv, _ = run_cells(solution_functions(), cells=("grad_check_conv",))
    conv_layers = list(conv["layers"].values())
    assert any(hp["pad"] == 0 for _, _, hp in conv_layers)
    assert any(W[0] == 3 and hp["stride"] == 2 and hp["pad"] == 1 and A[0] == 2 for A, W, hp in conv_layers)
    pool, _ = run_cells(solution_functions(), cells=("grad_check_pool",))
    assert all(hp["stride"] < hp["f"] for _, hp in pool["layers"].values())  # overlapping windows
    assert any(hp["stride"] > 1 for _, hp in pool["layers"].values())


BACKWARD_MISTAKES = [mistake for mistake in mistakes.MISTAKES if mistake.function in ("conv_backward", "pool_backward")]


@pytest.mark.parametrize("mistake", BACKWARD_MISTAKES, ids=lambda mistake: mistake.slug)
def test_the_gradient_check_catches_every_backward_mistake(mistake):
    """Does each catalogued conv_backward and pool_backward mistake give a large error (or stop the check)?"""
    functions = {**solution_functions(), mistake.function: mistakes.built(mistake.slug)}
    namespace, printed = run_cells(functions)
    assert largest_errors(namespace)[mistake.function] > 1e-2, printed
    other = "pool_backward" if mistake.function == "conv_backward" else "conv_backward"
    assert largest_errors(namespace)[other] < 1e-7


HELPER_MISTAKES = [mistake for mistake in mistakes.MISTAKES
                   if mistake.function in ("create_mask_from_window", "distribute_value")]


@pytest.mark.parametrize("mistake", HELPER_MISTAKES, ids=lambda mistake: mistake.slug)
def test_the_gradient_check_catches_pool_backward_helper_mistakes(mistake):
    """With a wrong mask or distribute_value under a correct pool_backward, is the pooling error large?"""
    namespace = {"np": np, **{name: getattr(oracle, name) for name in ("create_mask_from_window", "distribute_value")
                    if name != mistake.function}}
    namespace[mistake.function] = mistakes.built(mistake.slug)
    exec(inspect.getsource(reference.pool_backward), namespace)
    functions = {**solution_functions(), "pool_backward": namespace["pool_backward"]}
    namespace, printed = run_cells(functions)
    assert largest_errors(namespace)["pool_backward"] > 1e-2, printed


def test_new_cells_are_cheap_under_autograde():
    """Under NBGRADER_EXECUTION, do all the new cells skip their work (0.3 s at most in all)?"""
    functions = {**solution_functions(), "pool_forward": reference.pool_forward}
    start = time.perf_counter()
    namespace, printed = run_cells(functions, grading=True, cells=ACTIVITY_CELLS)
    assert time.perf_counter() - start < 0.3
    assert printed.count("Skipped while the notebook is graded") == len(ACTIVITY_CELLS)
    assert "conv_gradient_errors" not in namespace and "P" not in namespace and "Z" not in namespace


def test_no_numerical_gradient_function_is_released():
    """Do the new cells define no function a student could call as a gradient (or any other) routine?"""
    for grade_id in ACTIVITY_CELLS:
        tree = ast.parse(CELLS[grade_id].source)
        assert not [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.Lambda))], grade_id


def test_the_photo_cell_draws_the_feature_maps(monkeypatch):
    """Run in the release folder, does the photo cell plot the input and three captioned 32 x 32 feature maps?"""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    shown = []
    monkeypatch.setattr(plt, "show", lambda: shown.append(plt.gcf()))
    monkeypatch.chdir(RELEASE_DIR)
    namespace, printed = run_cells(solution_functions(), cells=("photo_feature_maps",))
    assert namespace["P"].shape == (1, 32, 32, 3) and "-> pool_forward (1, 32, 32, 3)" in printed
    (figure,) = shown
    titles = [ax.get_title() for ax in figure.axes]
    assert titles == ["the input, 64 × 64", "vertical edges, 32 × 32", "horizontal edges, 32 × 32", "blur, 32 × 32"]
    assert [image.get_array().shape for ax in figure.axes[1:] for image in ax.get_images()] == [(32, 32)] * 3
    assert any("max pooling" in text.get_text() for text in figure.texts)  # the visible caption
    plt.close(figure)


def test_the_photo_cell_without_matplotlib(monkeypatch):
    """Without matplotlib, does the photo cell print the shapes and a summary per channel instead?"""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    monkeypatch.chdir(RELEASE_DIR)
    _, printed = run_cells(solution_functions(), cells=("photo_feature_maps",))
    assert "photo (1, 64, 64, 1) -> conv_forward (1, 64, 64, 3) -> ReLU -> pool_forward (1, 32, 32, 3)" in printed
    assert printed.count("zeros after the ReLU") == 3 and "matplotlib is not installed" in printed


def test_the_photo_is_small_input_data():
    """Is the shipped photo a 64 x 64 uint8 greyscale array of a few kB?"""
    path = RELEASE_DIR / build.PHOTO
    assert path.stat().st_size < 6000
    photo = np.load(path)
    assert photo.shape == (64, 64) and photo.dtype == np.uint8 and photo.std() > 20


def test_shapes_cell_prints_the_output_shape_and_parameter_count():
    """Does the shapes cell give (1, 32, 32, 10) and 760 parameters with the solution?"""
    _, printed = run_cells(solution_functions(), cells=("shapes_parameters",))
    assert "Z has shape (1, 32, 32, 10)" in printed and "750 weights + 10 biases = 760" in printed
