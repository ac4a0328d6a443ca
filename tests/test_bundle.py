"""The bundle itself: seeded facts, generated files in sync, a release without solutions, pins."""
import ast
import filecmp
import inspect
import json
import re
import sys

import nbformat
import numpy as np
import pytest

from helpers import cases, expected, oracle, reference

from helpers.tools import build
from helpers.checks import cnn_checks
from helpers.course import ASSIGNMENT, NOTEBOOK, RECORD_MODULE, RELEASE_DIR, ROOT, SOURCE_DIR, UNITS, total_points

def printed(value, fact):
    """Whether value prints as fact: within half a unit of fact's last printed digit."""
    decimals = len(str(fact).split(".")[1])
    return abs(float(value) - fact) <= 0.5 * 10.0 ** -decimals


FACTS = {  # the classic exercise's printed values, as every version of it prints them
    "zero_pad_check": lambda out, args: (
        out.shape == (4, 7, 7, 2)
        and np.allclose(args[0][1, 1], [[0.90085595, -0.68372786], [-0.12289023, -0.93576943], [-0.26788808, 0.53035547]])
        and np.all(out[1, 1] == 0) and out[1, 1].shape == (7, 2)),
    "conv_single_step_check": lambda out, args: printed(out, -6.99908945068),
    "conv_forward_check": lambda out, args: (
        printed(np.mean(out[0]), 0.0489952035289)
        and np.allclose(out[0][3, 2, 1], [-0.61490741, -6.7439236, -2.55153897, 1.75698377, 3.56208902, 0.53036437,
                                          5.18531798, 8.75898442], atol=5e-9)
        and np.allclose(out[1][0][1][2][3], [-0.20075807, 0.18656139, 0.41005165], atol=5e-9)),
    "pool_forward_max_check": lambda out, args: np.allclose(
        out[0], [[[[1.74481176, 0.86540763, 1.13376944]]], [[[1.13162939, 1.51981682, 2.18557541]]]], atol=5e-9),
    "pool_forward_average_check": lambda out, args: np.allclose(
        out[0], [[[[0.02105773, -0.20328806, -0.40389855]]], [[[-0.22154621, 0.51716526, 0.48155844]]]], atol=5e-9),
    "conv_backward_check": lambda out, args: (
        printed(np.mean(out[0]), 1.45243777754) and printed(np.mean(out[1]), 1.72699145831)
        and printed(np.mean(out[2]), 7.83923256462)),
    "create_mask_from_window_check": lambda out, args: (
        np.allclose(args[0], [[1.62434536, -0.61175641, -0.52817175], [-1.07296862, 0.86540763, -2.3015387]])
        and np.array_equal(out, [[True, False, False], [False, False, False]])),
    "distribute_value_check": lambda out, args: np.array_equal(out, [[0.5, 0.5], [0.5, 0.5]]),
    "pool_backward_check": lambda out, args: printed(np.mean(args[0]), 0.145713902729) and np.allclose(
        out[1, 1], {"max": [[0, 0], [5.05844394, -1.68282702], [0, 0]],
                    "average": [[0.08485462, 0.2787552], [1.26461098, -0.25749373], [1.17975636, -0.53624893]]}[args[2]],
        atol=5e-9),
}


def seeded_cases():
    return [spec for spec in cases.VISIBLE if spec.get("show")]


@pytest.mark.parametrize("spec", seeded_cases(), ids=lambda spec: spec["id"])
@pytest.mark.parametrize("implementation", [reference, oracle], ids=["reference", "oracle"])
def test_seeded_facts(spec, implementation):
    """Do the instructor's loops and the independent oracle both reproduce the classic printed values?"""
    args = cases.args_of(spec)
    out = getattr(implementation, spec["function"])(*args)
    assert FACTS[spec["unit"]](out, args), f"{implementation.__name__}.{spec['function']} on {spec['label']}"


def test_every_check_cell_has_a_seeded_fact():
    """Is every check cell's seeded example pinned by a literal fact above?"""
    assert {spec["unit"] for spec in seeded_cases()} == set(FACTS) == {unit.grade_id for unit in UNITS}


def test_points():
    """Are the forward checks worth 100 points, split as the course specifies, and the backward part 0?"""
    worth = {unit.grade_id: build.points(unit) for unit in UNITS}
    assert worth == {"zero_pad_check": 10, "conv_single_step_check": 10, "conv_forward_check": 40,
                     "pool_forward_max_check": 20, "pool_forward_average_check": 20, "conv_backward_check": 0,
                     "create_mask_from_window_check": 0, "distribute_value_check": 0, "pool_backward_check": 0}
    assert total_points() == 100


def test_source_is_in_sync(tmp_path):
    """Does rebuilding the source notebook and the check data give the committed files?"""
    (tmp_path / "images").mkdir()
    build.write_sources(tmp_path)
    for name in (f"{NOTEBOOK}.ipynb", cnn_checks.DATA_FILE.name):
        assert filecmp.cmp(tmp_path / name, SOURCE_DIR / name, shallow=False), f"{name}: run `make release`"


def test_release_is_in_sync(course_factory):
    """Does a fresh `nbgrader generate_assignment` give exactly the committed release/?"""
    fresh = course_factory("release") / "release" / ASSIGNMENT
    committed = sorted(p.relative_to(RELEASE_DIR) for p in RELEASE_DIR.rglob("*") if p.is_file()
                       and "__pycache__" not in p.parts)
    generated = sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())
    assert committed == generated
    for name in committed:
        assert filecmp.cmp(RELEASE_DIR / name, fresh / name, shallow=False), f"release/{ASSIGNMENT}/{name} is stale"


def solution_lines():
    """Every line of the instructor's solution regions, and of the oracle, that is long enough to be telling."""
    found = set()
    for module in (reference, oracle):
        source = inspect.getsource(module)
        if module is reference:
            source = "\n".join(re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", source, re.S))
        found |= {line.strip() for line in source.splitlines() if len(line.strip()) >= 20
                  and not line.strip().startswith(("#", '"""'))}
    return found


def test_release_reveals_no_solution():
    """Does no file of the release hold a solution line, an oracle line, a solution marker or a hidden test?"""
    secrets = solution_lines()
    release_text = {path.name: path.read_text(encoding="utf-8") for path in RELEASE_DIR.rglob("*")
                    if path.is_file() and path.suffix in (".ipynb", ".py", ".json")}
    for name, text in release_text.items():
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "run_hidden(", "_reference_"):
            assert marker not in text or (name == f"{RECORD_MODULE}.py" and marker == "run_hidden("), (name, marker)
        leaked = [line for line in secrets if line in text and not _also_scaffolding(line)]
        assert not leaked, f"{name} reveals: {leaked[:3]}"


def test_the_shipped_modules_need_only_numpy():
    """Do the released modules import nothing but the standard library, numpy and each other (and IPython, which
    the recording for the grader uses in the kernel only)?"""
    modules = list(RELEASE_DIR.glob("*.py"))
    allowed = {path.stem for path in modules} | {"numpy", "IPython"}
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or top in allowed, (path.name, name)


def _also_scaffolding(line):
    """Lines the release shows on purpose: the loop scaffolding around the solution regions, and the lesson's hints."""
    release = nbformat.read(str(RELEASE_DIR / f"{NOTEBOOK}.ipynb"), as_version=4)
    lesson = "\n".join(cell.source for cell in release.cells if cell.cell_type == "markdown")
    scaffold = re.sub(r"### BEGIN SOLUTION\n.*?### END SOLUTION\n", "", inspect.getsource(reference), flags=re.S)
    return line in scaffold or line in lesson


def test_hidden_cases_are_not_in_the_release():
    """Are the hidden cases' seeds absent from everything a student gets?"""
    text = "".join(path.read_text(encoding="utf-8") for path in RELEASE_DIR.rglob("*")
                   if path.is_file() and path.suffix in (".ipynb", ".py", ".json"))
    for spec in cases.HIDDEN:
        assert f"'seed': {spec['seed']}" not in text and f'"seed": {spec["seed"]}' not in text
        assert f'"{spec["id"]}"' not in text and f"'{spec['id']}'" not in text


def test_check_cells_are_tagged_and_locked():
    """Does every check cell carry raises-exception, a lock, and points only where graded?"""
    notebook = nbformat.read(str(SOURCE_DIR / f"{NOTEBOOK}.ipynb"), as_version=4)
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in notebook.cells if "nbgrader" in c.metadata}
    for unit in UNITS:
        cell = cells[unit.grade_id]
        assert "raises-exception" in cell.metadata["tags"]
        meta = cell.metadata["nbgrader"]
        assert meta["locked"] and not meta["solution"]
        assert meta["grade"] == unit.graded and meta.get("points", 0) == build.points(unit)


def test_expected_output_cells_show_the_seeded_values():
    """Does the lesson print the seeded expected values that the solutions compute?"""
    notebook = nbformat.read(str(SOURCE_DIR / f"{NOTEBOOK}.ipynb"), as_version=4)
    text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    for value in ("-6.99908945068", "0.0489952035289", "1.45243777754", "1.72699145831", "7.83923256462",
                  "0.145713902729", "5.05844394", "[ 0.90085595 -0.68372786]", "1.74481176", "0.02105773"):
        assert value in text, value
    for spec in seeded_cases():
        args = cases.args_of(spec)
        assert cnn_checks.show(spec["function"], expected.right_result(spec, args), args) in text


def test_check_data_matches_the_oracle():
    """Are the stored expected values of every visible case what the oracle computes?"""
    data = cnn_checks.load_data()
    assert [case["id"] for case in data["cases"]] == [spec["id"] for spec in cases.VISIBLE]
    for case, spec in zip(data["cases"], cases.VISIBLE):
        args = cases.args_of(spec)
        record = {"returned": cnn_checks.encode(expected.right_result(spec, args))}
        assert cnn_checks.judge(spec["function"], record, cnn_checks.decode(case["expected"]), expected.tolerance(spec)).passed


def test_environment_yml_pins_the_requirements():
    """Do the locks pin every direct requirement as written and agree with each other, with the tests' packages
    kept out of the course's lock, and is environment.yml exactly what the lock gives (`make lock` writes it)?"""
    from helpers.tools import environment

    def pins(name):
        found = re.findall(r"^\s*(?:-\s*)?([A-Za-z0-9][A-Za-z0-9_.-]*)==([^\s;#]+)", (ROOT / name).read_text(), re.M)
        return {re.sub(r"[-_.]+", "-", package.lower()): version for package, version in found}
    course, whole = pins("requirements.txt"), pins("requirements-test.txt")
    direct_course, direct_tests = pins("requirements.in"), pins("requirements-test.in")
    assert direct_course.items() <= course.items()
    assert (direct_course | direct_tests).items() <= whole.items()
    assert course.items() <= whole.items()  # the course's lock is part of the whole, with the same pins
    assert not {"pytest", "playwright", "virtme-ng"} & set(course)  # `make demo` installs no test package
    assert "psutil" in direct_tests  # the tests import it: pinned directly, not only through distributed
    assert pins("environment.yml") == whole
    assert (ROOT / "environment.yml").read_text() == environment.render((ROOT / "requirements-test.txt").read_text())


def test_the_venv_holds_the_lock_and_leaves_out_the_slow_checker():
    """The Makefile installs the locks with --no-deps: is every requirement of every installed package met
    (a pin missing from a lock would fail here, not as an ImportError in some command), and does importing
    nbformat, as every nbgrader command does, leave LEFT_OUT's parser building alone?"""
    import subprocess
    from importlib import metadata
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    installed = {canonicalize_name(dist.metadata["Name"]): dist.version for dist in metadata.distributions()}
    unmet = [f"{dist.metadata['Name']} needs {text}" for dist in metadata.distributions() for text in dist.requires or []
             if (need := Requirement(text)).marker is None or need.marker.evaluate({"extra": ""})
             if (version := installed.get(canonicalize_name(need.name))) is None
             or not need.specifier.contains(version, prereleases=True)]
    assert not unmet
    from helpers.tools import environment
    left_out = re.search(r"^LEFT_OUT := (.+)$", (ROOT / "Makefile").read_text(), re.M).group(1).split()
    assert left_out and not {canonicalize_name(name) for name in left_out} & set(installed)
    for lock in ("requirements.txt", "requirements-test.txt"):  # `make lock` kept them out of both
        assert environment.left_out((ROOT / lock).read_text()) == left_out, lock
    imported = subprocess.run([sys.executable, "-c", "import sys, nbformat; print(*sorted(sys.modules))"],
                              capture_output=True, text=True, check=True).stdout.split()
    assert "jsonschema" in imported and not {name.replace("-", "_") for name in left_out} & set(imported)


def test_readme_states_the_points():
    """Does the README's grading table give each check's points from helpers/course.py?"""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for unit in UNITS:
        row = rf"\|\s*`{unit.grade_id}`\s*\|[^|\n]*\|\s*{build.points(unit)}\s*\|\s*{unit.points}\s*\|"
        assert re.search(row, readme), unit.grade_id


def test_check_data_is_json_with_messages():
    """Does the released data explain every mistake it can recognise?"""
    data = json.loads(cnn_checks.DATA_FILE.read_text())
    slugs = {slug for case in data["cases"] for slug in case["mistakes"]}
    assert slugs and slugs <= set(data["messages"])


GRADED_FUNCTIONS = {unit.function for unit in UNITS} | set(build.EXERCISES)
FORWARD_FUNCTIONS = {"conv_single_step", "conv_forward", "pool_forward"}
# What a loop-free version of a layer is made of; the lesson names some of them in its hints (markdown only).
VECTORIZING = {"einsum", "tensordot", "sliding_window_view", "as_strided", "stride_tricks", "matmul", "dot", "vdot",
               "convolve", "correlate", "correlate2d", "convolve2d", "fftconvolve", "scipy", "torch"}


def release_code():
    """{place: source} of every code cell of the released notebook and every .py file of the release."""
    notebook = nbformat.read(str(RELEASE_DIR / f"{NOTEBOOK}.ipynb"), as_version=4)
    code = {f"{NOTEBOOK}.ipynb cell {i} ({cell.metadata.get('nbgrader', {}).get('grade_id', 'plain')})": cell.source
            for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"}
    code.update({str(path.relative_to(RELEASE_DIR)): path.read_text(encoding="utf-8")
                 for path in RELEASE_DIR.rglob("*.py")})
    return code


def _names(node):
    """Every name and attribute used under node."""
    return {sub.id if isinstance(sub, ast.Name) else sub.attr for sub in ast.walk(node)
            if isinstance(sub, (ast.Name, ast.Attribute))}


def test_release_has_no_vectorized_or_numerical_gradient_version():
    """Does no release file hold a vectorised or numerical-gradient version of a graded function?

    Every function the release defines under a graded function's name is the stub (it raises
    NotImplementedError); no released code uses what a loop-free layer is made of (einsum,
    sliding windows, matrix products); and no function it defines calls a forward function, which is
    how a numerical gradient is computed (the gradient-check cells do that inline, not as a function;
    a check may call the function handed to it)."""
    for place, source in release_code().items():
        tree = ast.parse(source)
        used = _names(tree) & VECTORIZING
        assert not used and not any(isinstance(node, ast.MatMult) for node in ast.walk(tree)), (place, used)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                name = getattr(node, "name", "<lambda>")
                handed_in = {arg.arg for arg in node.args.args + node.args.kwonlyargs}  # a check's function under test
                called = _names(node) & FORWARD_FUNCTIONS - handed_in - {name}
                assert not called, (place, name, "calls a forward function", called)
                if name in GRADED_FUNCTIONS:
                    raises = [sub for sub in ast.walk(node) if isinstance(sub, ast.Raise)]
                    assert raises and "NotImplementedError" in _names(raises[0]), (place, name, "is not a stub")
            if isinstance(node, ast.Assign):  # no graded name bound to anything but its def
                targets = {target.id for target in node.targets if isinstance(target, ast.Name)}
                assert not targets & GRADED_FUNCTIONS, (place, targets)


def test_the_vectorized_solution_is_among_the_secrets():
    """Are the instructor's vectorised lines among those test_release_reveals_no_solution looks for?"""
    secrets = solution_lines()
    source = inspect.getsource(reference.conv_forward_vectorized)
    region = re.search(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", source, re.S).group(1)
    lines = {line.strip() for line in region.splitlines() if len(line.strip()) >= 20 and not line.strip().startswith("#")}
    assert lines and lines <= secrets
