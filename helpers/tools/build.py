"""Build everything generated: figures, the checks' data, the source notebook, and release/.

`python -m helpers build` (or `make release`) writes source/<assignment>/images/*.png,
source/<assignment>/cnn_check_data.json and source/<assignment>/<notebook>.ipynb, then runs
the standard `nbgrader generate_assignment <assignment> --force` in the course root, which
writes release/<assignment>/ and records the assignment in the gradebook.
`--no-release` stops before nbgrader.
"""
import argparse
import inspect
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np

from helpers import cases, expected, figures, mistakes, oracle, reference
from helpers.checks import cnn_checks
from helpers.course import (ASSIGNMENT, CHECKS_MODULE, COURSE_FILES, HELPERS, NOTEBOOK, RECORD_MODULE, ROOT, SOURCE_DIR,
                            UNITS, points, tool_env)

LESSON_DIR = Path(__file__).resolve().parent.parent / "lesson"
DATA_FILE = cnn_checks.DATA_FILE.name

# The lesson in order: markdown files of helpers/lesson/, and the functions whose cells follow them.
OUTLINE = [
    ("title", None), ("packages", "imports"), ("notation", None), ("outline", None),
    ("padding", "zero_pad"), ("single_step", "conv_single_step"), ("conv_forward", "conv_forward"),
    ("shapes", "shapes"), ("vectorized", "conv_forward_vectorized"), ("pooling", "pool_forward"), ("photo", "photo"), ("backprop", None),
    ("conv_backward", "conv_backward"),
    ("mask", "create_mask_from_window"), ("distribute", "distribute_value"),
    ("pool_backward", "pool_backward"), ("gradient_check", "gradient_check"), ("closing", None),
]
# What release/<assignment>/ holds beside the notebook (nbgrader copies source/<assignment>/ over):
# the imports cell and section 1 name these, and a test compares them with the release.
SHIPPED = (f"{CHECKS_MODULE}.py", DATA_FILE, f"{RECORD_MODULE}.py", "images/", "data/")
PHOTO = Path("data") / "photo.npy"  # input data of section 4.1, made by write_photo
# Cells that run code the lesson ships (helpers/lesson/<name>.py), locked and not graded: {lesson: grade ids}.
ACTIVITIES = {"shapes": ("shapes_parameters",), "photo": ("photo_feature_maps",),
              "gradient_check": ("grad_check_conv", "grad_check_pool")}
# Optional exercises: {function: grade id of the locked cell after it}. The function's cell is a solution
# cell without points (the instructor's code, helpers/reference.py, reaches only the solution notebook);
# the cell after it runs helpers/lesson/<grade id>.py.
EXERCISES = {"conv_forward_vectorized": "conv_forward_vectorized_compare"}
# Functions with a scratch cell (helpers/lesson/scratch_<function>.py) after their checks: a plain cell
# the student may change, run on the seeded example; nbgrader treats it as the student's own cell.
SCRATCH = ("zero_pad", "conv_single_step", "conv_forward", "pool_forward", "conv_backward",
           "create_mask_from_window", "distribute_value", "pool_backward")


def shipped_in_words():
    """The files shipped beside the notebook, as the lesson lists them: `a`, `b` and the folder `c/`."""
    named = [f"the folder `{name}`" if name.endswith("/") else f"`{name}`" for name in SHIPPED]
    return ", ".join(named[:-1]) + " and " + named[-1]


def markdown(name):
    text = (LESSON_DIR / f"{name}.md").read_text(encoding="utf-8").strip()
    return nbformat.v4.new_markdown_cell(text.replace("{{SHIPPED}}", shipped_in_words()))


def locked_cell(source, grade_id):
    """A locked, ungraded code cell: nbgrader keeps its source as released, it earns no points."""
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": False, "solution": False, "locked": True, "grade_id": grade_id,
                                 "schema_version": 3}
    return cell


def imports_cell():
    """numpy and the checks; opened without the files beside it, an error that names them."""
    names = sorted(name for name in dir(cnn_checks) if name.startswith("check_"))
    source = (
        "import os\n\nimport numpy as np\n\n"
        "# Handed out with this notebook, and needed in its own folder:\n"
        f"SHIPPED_WITH_THE_NOTEBOOK = {SHIPPED!r}\n"
        "try:\n"
        f"    from {CHECKS_MODULE} import (\n" + "".join(f"        {n},\n" for n in names) + "    )\n"
        f"    import {CHECKS_MODULE}\n"
        "except ModuleNotFoundError as error:\n"
        f"    if error.name != {CHECKS_MODULE!r}:\n"
        "        raise\n"
        "    raise ModuleNotFoundError(\n"
        f'        "{CHECKS_MODULE}.py is not in the folder this notebook runs in. Keep the files handed out "\n'
        '        "with the notebook beside it, in the same folder: " + ", ".join(SHIPPED_WITH_THE_NOTEBOOK)\n'
        '        + ". (Opened in Colab or another online service, upload these files too.)") from None\n'
        "missing = [name for name in SHIPPED_WITH_THE_NOTEBOOK\n"
        f"           if not os.path.exists(os.path.join(os.path.dirname({CHECKS_MODULE}.__file__), name))]\n"
        "if missing:\n"
        '    print("Missing beside the notebook: " + ", ".join(missing) + ". Copy them from the folder "\n'
        '          "you were given: the checks need their data, and the lesson shows its figures from images/.")'
    )
    return locked_cell(source, "imports")


def activity_cell(grade_id):
    """One cell of code the lesson ships (helpers/lesson/<grade_id>.py), run by the student, not graded."""
    return locked_cell((LESSON_DIR / f"{grade_id}.py").read_text(encoding="utf-8").strip(), grade_id)


def scratch_cell(function):
    """A plain code cell to experiment in; tagged so that Run All goes on past an error in it."""
    cell = nbformat.v4.new_code_cell((LESSON_DIR / f"scratch_{function}.py").read_text(encoding="utf-8").strip())
    cell.metadata["tags"] = ["raises-exception"]
    return cell


def solution_cell(function):
    cell = nbformat.v4.new_code_cell(inspect.getsource(getattr(reference, function)).strip())
    cell.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False, "grade_id": function,
                                 "schema_version": 3}
    return cell


def _stand_in_source(helper):
    source = inspect.getsource(getattr(oracle, helper))
    return source.replace(f"def {helper}(", f"def _reference_{helper}(", 1)


def hidden_block(unit):
    """The hidden part of a check cell: stand-in helpers and the hidden cases, recorded for the grader."""
    keys = ("id", "function", "seed", "arrays", "hparameters", "mode", "pad", "dz", "shape", "dtype", "distinct")
    specs = [{key: spec[key] for key in keys if key in spec} for spec in cases.hidden(unit.grade_id)]
    helpers = HELPERS.get(unit.function, ())
    stand_in_sources = [_stand_in_source(helper) for helper in helpers]
    imports = ["import math"] if any("math." in source for source in stand_in_sources) else []
    lines = ["### BEGIN HIDDEN TESTS", *imports, f"from {RECORD_MODULE} import run_hidden", ""]
    lines += stand_in_sources
    stand_ins = "{" + ", ".join(f'"{h}": _reference_{h}' for h in helpers) + "}"
    lines += [f'run_hidden("{unit.grade_id}", "{unit.function}", {unit.function}, [']
    lines += [f"    {spec!r}," for spec in specs]
    lines += [f"], stand_ins={stand_ins})"]
    lines += [f"del _reference_{helper}" for helper in helpers]
    lines += ["### END HIDDEN TESTS"]
    return "\n".join(lines)


def check_cell(unit):
    worth = f"{points(unit)} points" if unit.graded else "optional, 0 points"
    mode = f', "{unit.mode}"' if unit.mode else ""
    what = f"{unit.function} ({unit.mode} pooling)" if unit.mode else unit.function
    source = (f'"""Check {what} ({worth})."""\ncheck_{unit.function}({unit.function}{mode})\n'
              + hidden_block(unit))
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["raises-exception"]
    meta = {"grade": unit.graded, "solution": False, "locked": True, "grade_id": unit.grade_id, "schema_version": 3}
    if unit.graded:
        meta["points"] = points(unit)
    cell.metadata["nbgrader"] = meta
    return cell


# What the names in a check's printout stand for (the check defines them, the notebook does not).
SHOWN_NAMES = {
    "zero_pad": "Here `x` is the seeded batch the check passes to your function, and `x_pad` is what "
                "`zero_pad(x, {pad})` returns.",
    "conv_single_step": "Here `Z` is what `conv_single_step(a_slice_prev, W, b)` returns on the seeded window, "
                        "filter and bias.",
    "conv_forward": "Here `Z` and `cache_conv` are the pair that `conv_forward(A_prev, W, b, hparameters)` returns "
                    "on the seeded inputs, so `cache_conv[0]` is the `A_prev` it keeps.",
    "pool_forward": "Here `A` is the first thing `pool_forward(A_prev, hparameters, mode)` returns on the seeded "
                    "input.",
    "conv_backward": "Here `dZ` and the cache come from the seeded `conv_forward` example above, and `dA_mean`, "
                     "`dW_mean` and `db_mean` are the means (`np.mean`) of the three arrays that "
                     "`conv_backward(dZ, cache)` returns.",
    "create_mask_from_window": "Here `x` is the seeded window, and `mask` is what `create_mask_from_window(x)` "
                               "returns.",
    "distribute_value": "The arguments are the lesson's example: `dz = 2` and `shape = (2, 2)`.",
    "pool_backward": "Here `A_prev` and `dA` are seeded, the cache is `(A_prev, hparameters)`, `mean of dA` is "
                     "`np.mean(dA)`, and `dA_prev` is what `pool_backward(dA, cache, mode)` returns.",
}


def expected_output_cell(unit):
    shown = [spec for spec in cases.visible(unit.grade_id) if spec.get("show")]
    blocks = []
    for spec in shown:
        args = cases.args_of(spec)
        blocks.append(f"```\n{cnn_checks.show(unit.function, expected.right_result(spec, args), args)}\n```")
    heading = "**Expected output** of the seeded example" + ("s" if len(shown) > 1 else "") + ":"
    where = SHOWN_NAMES[unit.function].format(pad=cases.args_of(shown[0])[1] if unit.function == "zero_pad" else "")
    return nbformat.v4.new_markdown_cell(heading + "\n\n" + "\n\n".join(blocks) + "\n\n" + where)


def build_notebook():
    """The source notebook, cell by cell."""
    cells = []
    for lesson, function in OUTLINE:
        cells.append(markdown(lesson))
        if function == "imports":
            cells.append(imports_cell())
        elif function in ACTIVITIES:
            cells += [activity_cell(grade_id) for grade_id in ACTIVITIES[function]]
        elif function in EXERCISES:
            cells += [solution_cell(function), activity_cell(EXERCISES[function])]
        elif function:
            cells.append(solution_cell(function))
            for unit in (unit for unit in UNITS if unit.function == function):
                cells += [check_cell(unit), expected_output_cell(unit)]
            if function in SCRATCH:
                cells.append(scratch_cell(function))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for index, cell in enumerate(notebook.cells):  # stable ids: rebuilding changes nothing
        cell["id"] = f"cell-{index:03d}"
    return notebook


def build_check_data():
    """The visible cases with their arguments, expected results and the records of known mistakes."""
    data = {"cases": [], "messages": mistakes.MESSAGES}
    for spec in cases.VISIBLE:
        args = cases.args_of(spec)
        right = expected.right_result(spec, args)
        data["cases"].append({
            "id": spec["id"], "unit": spec["unit"], "function": spec["function"], "label": spec["label"],
            "show": bool(spec.get("show")), "args": [cnn_checks.encode(arg) for arg in args],
            "expected": cnn_checks.encode(right), "mistakes": expected.mistake_records(spec, args, right),
        })
    return data


def write_photo(path):
    """A 64 x 64 greyscale crop of matplotlib's sample photograph (public domain), as uint8 .npy (about 4 kB)."""
    from matplotlib import cbook
    from PIL import Image  # a dependency of matplotlib

    with cbook.get_sample_data("grace_hopper.jpg") as handle:
        grey = Image.open(handle).convert("L")
        crop = grey.crop((96, 40, 96 + 384, 40 + 384)).resize((64, 64), Image.Resampling.BOX)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, np.asarray(crop, dtype=np.uint8), allow_pickle=False)


def write_sources(source_dir=SOURCE_DIR):
    """Write figures, the photo, check data and the source notebook into source_dir."""
    figures.write_figures(source_dir / "images")
    write_photo(source_dir / PHOTO)
    with open(source_dir / DATA_FILE, "w", encoding="utf-8") as handle:
        json.dump(build_check_data(), handle, indent=1, sort_keys=True)
        handle.write("\n")
    nbformat.write(build_notebook(), str(source_dir / f"{NOTEBOOK}.ipynb"))


def generate_release(course_root=ROOT):
    """Run the standard `nbgrader generate_assignment --force` in course_root; raise on failure."""
    result = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force"],
                            cwd=course_root, env=tool_env(), capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment failed in {course_root}:\n{result.stderr[-3000:]}")


def copy_course(dest: Path) -> Path:
    """A copy of the course in dest (config, helpers, source, release) with the assignment generated there."""
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    for name in COURSE_FILES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, dest / name, ignore=ignore)
        else:
            shutil.copy(ROOT / name, dest / name)
    generate_release(dest)
    return dest


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers build", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  python -m helpers build\n  python -m helpers build --no-release")
    parser.add_argument("--no-release", action="store_true", help="write source/ only, do not run nbgrader")
    args = parser.parse_args(argv)
    write_sources()
    print(f"wrote {SOURCE_DIR.relative_to(ROOT)}/ (notebook, check data, figures)")
    if not args.no_release:
        try:
            generate_release()
        except RuntimeError as error:
            print(error, file=sys.stderr)
            return 1
        print(f"wrote release/{ASSIGNMENT}/ with nbgrader generate_assignment")
    return 0
