"""Which check cell catches which mutant: `python -m helpers killmatrix`.

Every mistake of the catalog (helpers/mistakes.py) is put into a submission made of the
instructor's functions (helpers/reference.py) with that one function replaced, and judged in this
process, without nbgrader, two ways:
- as the student sees it: the released visible checks (release/<assignment>/cnn_checks.py) run
  in plain Python on the submission's functions, helpers and all, with no hidden case;
- as the grader scores it: every case of the check cell, visible and hidden, recorded with the
  instructor's helpers standing in (cnn_record.record_all, as the hidden block's run_hidden does) and judged by
  helpers.expected.judge_case, as helpers.grading.verify.VerifyChecks judges the recorded results.
Only the cells of the mutated function and of the functions calling it can be affected; the
others are shown as not affected without running them.
"""
import argparse
import contextlib
import importlib.util
import io
import os
import sys
import warnings
from dataclasses import dataclass

import numpy as np

from helpers import cases, expected, mistakes, oracle

from helpers.checks import cnn_record
from helpers.course import CHECKS_MODULE, HELPERS, RELEASE_DIR, UNITS
from helpers.tools.submissions import reference_sources

BLOCKED = "could not be checked"  # what a visible check prints when a helper it calls is at fault


def released_checks(release_dir=RELEASE_DIR):
    """The visible checks module exactly as students get it (it reads the check data beside it)."""
    path = release_dir / f"{CHECKS_MODULE}.py"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python -m helpers build` first")
    spec = importlib.util.spec_from_file_location(f"released_{CHECKS_MODULE}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def submission(sources: dict) -> dict:
    """The namespace of a notebook whose solution cells hold the instructor's code, but for `sources`.

    sources -- {function name: source} replacing the instructor's; returns {name: object} like a kernel's globals.
    """
    namespace = {"np": np}
    for function, source in {**reference_sources(), **sources}.items():
        exec(compile(source, f"<solution cell {function}>", "exec"), namespace)
    return namespace


def callers(function: str) -> set:
    """The functions whose instructor's solution calls `function`."""
    return {caller for caller, helpers in HELPERS.items() if function in helpers}


@contextlib.contextmanager
def quiet_numpy():
    """Silence the warnings a buggy function may raise (e.g. the mean of an empty slice)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


@contextlib.contextmanager
def as_student():
    """Run the visible checks as in a student's kernel, not in the grader's recording mode."""
    saved = os.environ.pop("NBGRADER_EXECUTION", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["NBGRADER_EXECUTION"] = saved


@dataclass(frozen=True)
class Visible:
    """What a released visible check says: "caught" (CheckFailed), "blocked" (a helper is at fault),
    "passed", or "crashed" (the check itself raised something else: a bug in the checks)."""

    outcome: str
    message: str  # the CheckFailed message, or the printed output otherwise
    failed: int = 0  # visible cases reported FAIL


def run_visible(released, unit, namespace) -> Visible:
    """Run the released check of one check cell on the namespace's function, capturing what it prints."""
    check = getattr(released, f"check_{unit.function}")
    args = (namespace[unit.function],) + ((unit.mode,) if unit.mode else ())
    printed = io.StringIO()
    try:
        with as_student(), quiet_numpy(), contextlib.redirect_stdout(printed):
            check(*args)
    except released.CheckFailed as error:
        return Visible("caught", str(error), _failures(printed))
    except Exception as error:  # noqa: BLE001 (reported as a crash of the checks, not hidden)
        return Visible("crashed", f"{type(error).__name__}: {error}\n{printed.getvalue()}", _failures(printed))
    text = printed.getvalue()
    return Visible("blocked" if BLOCKED in text else "passed", text, _failures(printed))


def _failures(printed):
    return sum(line.startswith("  FAIL  ") for line in printed.getvalue().splitlines())


@dataclass(frozen=True)
class Graded:
    """The grader's verdicts on one check cell: which cases fail and the mistakes they are explained by."""

    visible_failed: int
    hidden_failed: int
    hidden_total: int
    mistakes: tuple  # slugs named by the failing cases' verdicts, in case order
    messages: tuple  # the failing cases' summaries (what the student reads), in case order

    @property
    def charged(self) -> bool:
        return bool(self.visible_failed or self.hidden_failed)


def run_graded(unit, namespace) -> Graded:
    """Record the function on every case of the cell with the stand-in helpers, and judge each record."""
    function = unit.function
    stand_ins = {name: getattr(oracle, name) for name in HELPERS.get(function, ())}
    failed = {"visible": 0, "hidden": 0}
    slugs, messages = [], []
    for kind, specs in (("visible", cases.visible(unit.grade_id)), ("hidden", cases.hidden(unit.grade_id))):
        with quiet_numpy():  # as cnn_record.run_hidden records them in the kernel
            records = cnn_record.record_all(function, namespace[function], [cases.args_of(spec) for spec in specs], stand_ins)
        for spec, record in zip(specs, records):
            verdict = expected.judge_case(spec["id"], record)
            if not verdict.passed:
                failed[kind] += 1
                messages.append(verdict.summary)
                if verdict.mistake:
                    slugs.append(verdict.mistake)
    return Graded(failed["visible"], failed["hidden"], len(cases.hidden(unit.grade_id)), tuple(slugs),
                  tuple(messages))


@dataclass(frozen=True)
class Cell:
    """One entry of the matrix: a mutant seen by one check cell (None: the cell can't be affected)."""

    visible: Visible | None
    graded: Graded | None

    @property
    def symbol(self) -> str:
        if self.visible is None:
            return ""
        first = {"caught": "V", "blocked": "b", "passed": ".", "crashed": "!"}[self.visible.outcome]
        return first + ("H" if self.graded.hidden_failed else ".")


def mutant_row(mistake, released) -> dict:
    """{grade_id: Cell} for one mistake: the check cells of its function and of its callers."""
    namespace = submission({mistake.function: mistake.source()})
    affected = {mistake.function} | callers(mistake.function)
    return {unit.grade_id: Cell(run_visible(released, unit, namespace), run_graded(unit, namespace))
            if unit.function in affected else Cell(None, None) for unit in UNITS}


@dataclass(frozen=True)
class Summary:
    """How the mutant fared: caught by the visible checks, by the hidden cases, charged where it is."""

    own_cells: tuple
    visible_failed: int  # visible cases of its own cells that fail in the student's run
    visible_total: int
    visible_caught: bool
    visible_names_it: bool  # a caught visible check's message gives this mistake's explanation
    hidden_caught: bool
    hidden_failed: int
    hidden_total: int
    charged_own_only: bool  # the grader charges its own cells and no other


def summarize(mistake, row) -> Summary:
    own = tuple(unit.grade_id for unit in UNITS if unit.function == mistake.function)
    own_cells = [row[grade_id] for grade_id in own]
    explanation = f"Likely cause: {mistake.message}"
    charged = {grade_id for grade_id, cell in row.items() if cell.graded and cell.graded.charged}
    return Summary(
        own_cells=own,
        visible_failed=sum(cell.visible.failed for cell in own_cells),
        visible_total=sum(len(cases.visible(grade_id)) for grade_id in own),
        visible_caught=any(cell.visible.outcome == "caught" for cell in own_cells),
        visible_names_it=any(cell.visible.outcome == "caught" and explanation in cell.visible.message
                             for cell in own_cells),
        hidden_caught=any(cell.graded.hidden_failed for cell in own_cells),
        hidden_failed=sum(cell.graded.hidden_failed for cell in own_cells),
        hidden_total=sum(cell.graded.hidden_total for cell in own_cells),
        charged_own_only=bool(charged) and charged <= set(own),
    )


def matrix(selected, released=None):
    """[(mistake, row, summary)] for the selected mistakes."""
    released = released or released_checks()
    rows = []
    for mistake in selected:
        row = mutant_row(mistake, released)
        rows.append((mistake, row, summarize(mistake, row)))
    return rows


LEGEND = """\
cells: first letter what the released visible checks say (student's view, no hidden cases), second what the
hidden cases say (grader's view, instructor's helpers standing in); blank: the cell can't be affected
  V  a visible check fails with CheckFailed          H  a hidden case fails
  b  "could not be checked": a helper is at fault    .  nothing caught
  !  the visible check itself crashed (a bug)
visible, hidden: failing cases of the mutant's own check cells, out of all; + the visible check's message gives
this mistake's own explanation; x no visible check raises CheckFailed"""


def render(rows) -> str:
    name_width = max(len(mistake.slug) for mistake, _, _ in rows) + 2
    header = f"{'mutant':<{name_width}}" + "".join(f"{unit.short:>7}" for unit in UNITS)
    header += f"{'visible':>9}{'hidden':>9}"
    lines = [header, "-" * len(header)]
    for mistake, row, summary in rows:
        line = f"{mistake.slug:<{name_width}}" + "".join(f"{row[unit.grade_id].symbol:>7}" for unit in UNITS)
        visible = f"{summary.visible_failed}/{summary.visible_total}" + (
            ("+" if summary.visible_names_it else " ") if summary.visible_caught else "x")
        line += f"{visible:>9}{f'{summary.hidden_failed}/{summary.hidden_total}':>8} "
        lines.append(line)
    count = len(rows)
    lines += ["-" * len(header), LEGEND, "",
              f"{'':<28}{'visible checks':>16}{'hidden cases':>14}",
              f"{'mutants caught':<28}{_of(rows, 'visible_caught'):>16}{_of(rows, 'hidden_caught'):>14}",
              f"{'  with their own message':<28}{_of(rows, 'visible_names_it'):>16}{'':>14}",
              f"{'charged to own cells only':<28}{'':>16}{_of(rows, 'charged_own_only'):>14}",
              f"({count} mutants; among them the {sum(m.slug in mistakes.NAMED for m, _, _ in rows)} most common in real submissions)"]
    return "\n".join(lines)


def _of(rows, attribute):
    return f"{sum(getattr(summary, attribute) for _, _, summary in rows)}/{len(rows)}"


def survivors(rows):
    """Slugs of the mutants that are not caught both ways, or are charged outside their own cells."""
    return [mistake.slug for mistake, _, s in rows
            if not (s.visible_caught and s.visible_names_it and s.hidden_caught and s.charged_own_only)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers killmatrix", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="exit status: 0 if every mutant is caught by the visible checks (with its own message) and by\n"
               "the hidden cases, and charged to its own check cells only; 1 otherwise.\n\n"
               "examples:\n  python -m helpers killmatrix\n  python -m helpers killmatrix --function conv_forward")
    functions = sorted({unit.function for unit in UNITS})
    parser.add_argument("--function", choices=functions, metavar="NAME",
                        help=f"only the mutants of this function, one of: {', '.join(functions)}")
    args = parser.parse_args(argv)
    selected = [mistake for mistake in mistakes.MISTAKES if args.function in (None, mistake.function)]
    try:
        rows = matrix(selected)
    except FileNotFoundError as error:
        print(f"killmatrix: error: {error}", file=sys.stderr)
        return 1
    print(render(rows))
    missed = survivors(rows)
    if missed:
        print(f"\nnot caught as they should be: {', '.join(missed)}")
    return 1 if missed else 0
