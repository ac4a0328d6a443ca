"""Judge the check cells outside the student's kernel (nbgrader autograde preprocessors).

While a submission runs, its check cells only record what the student's functions returned
(display outputs of type cnn_record.MIME). VerifyChecks, placed after Execute in
`Autograde.autograde_preprocessors`, makes every case's inputs again from its spec, computes the
expected result with the independent oracle, judges each record, and rewrites the cell's outputs:
the student's own output as plain stdout text (streams, results, displays and errors alike), then
the verdicts, then, if anything failed, one `error` output, so that nbgrader's determine_grade
scores the cell 0 or full on the verdict alone. Whatever the
kernel did to numpy, the checks or its own outputs, only a right result for every case, recorded
once, passes. The structured result goes into `cell.metadata["cnn_checks"]` for the feedback
and the class report. FlagForReview, after SaveAutoGrades, marks flagged cells for manual review.
"""
import ast
import traceback

from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor
from nbformat.v4 import new_output

from helpers import cases, expected
from helpers.checks import cnn_checks, cnn_record
from helpers.course import UNITS_BY_ID, helper_units
from helpers.grading.sandbox.execute import METADATA_KEY as SANDBOX_KEY

RESULT_KEY = "cnn_checks"  # a check cell's metadata key for its structured result


def results_of(notebook):
    """{grade_id: the structured result} of an autograded notebook's check cells."""
    return {cell.metadata[RESULT_KEY]["grade_id"]: cell.metadata[RESULT_KEY]
            for cell in notebook.cells if RESULT_KEY in cell.metadata}


def case_ids(grade_id):
    """Ids of the cases a check cell must record, visible then hidden."""
    return [spec["id"] for spec in cases.visible(grade_id) + cases.hidden(grade_id)]


def split_outputs(cell):
    """(records by case id, flags, the student's own outputs, errors raised in the cell)."""
    records, flags, own, errors = {}, [], [], []
    grade_id = cell.metadata["nbgrader"]["grade_id"]
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if cnn_record.MIME in data:
            record = data[cnn_record.MIME]
            case = record.get("case") if isinstance(record, dict) else None
            if not isinstance(record, dict) or record.get("unit") != grade_id:
                flags.append("a result recorded for another check cell")
            elif case in records:
                flags.append(f"the result of case {case} was recorded more than once")
            else:
                records[case] = record
        else:
            if output.output_type == "error":
                errors.append(f"{output.ename}: {output.evalue}")
            own.append(new_output("stream", name="stdout", text=as_text(output)))
    unknown = set(records) - set(case_ids(grade_id))
    if unknown:
        flags.append(f"results recorded for cases this check does not have: {sorted(unknown)}")
    return records, flags, own, errors


def as_text(output):
    """What an output of the student's code showed, as plain text for a stdout stream.

    Only the verdict may decide the cell's score: nbgrader scores a cell by its first error, stderr
    or execute_result, so none of the student's outputs may stay one of those.
    """
    if output.output_type == "stream":
        text = output.text
    elif output.output_type == "error":
        text = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
    else:
        data = output.get("data", {})
        text = data.get("text/plain") or f"[{output.output_type} of type {', '.join(sorted(data)) or 'none'}]"
    text = "".join(text) if isinstance(text, list) else str(text)
    return text if text.endswith("\n") else text + "\n"


def judge_cell(cell):
    """The structured result of one check cell (see the module docstring)."""
    grade_id = cell.metadata["nbgrader"]["grade_id"]
    records, flags, own, errors = split_outputs(cell)
    visible = {spec["id"] for spec in cases.visible(grade_id)}
    results, notes = [], []
    for case_id in case_ids(grade_id):
        if case_id in records:
            verdict = expected.judge_case(case_id, records[case_id])
        else:
            reason = errors[0] if errors else "no result was recorded"
            verdict = cnn_checks.Verdict(False, f"the check did not run ({reason})", f"the check did not run ({reason})")
        if verdict.note and verdict.note not in notes:
            notes.append(verdict.note)
        results.append({"id": case_id, "label": _label(case_id), "visible": case_id in visible,
                        "passed": verdict.passed, "mistake": verdict.mistake,
                        "message": verdict.summary, "detail": verdict.detail})
    return cell_result(cell, results, flags, notes), own


def cell_result(cell, cases, flags, notes):
    """The structured result of a check cell, kept in its metadata under RESULT_KEY."""
    grade_id = cell.metadata["nbgrader"]["grade_id"]
    return {"grade_id": grade_id, "function": UNITS_BY_ID[grade_id].function,
            "points": cell.metadata["nbgrader"].get("points", 0), "graded": utils.is_grade(cell),
            "passed": not flags and all(case["passed"] for case in cases), "flags": flags, "notes": notes,
            "cases": cases}


def _label(case_id):
    return next(spec["label"] for spec in cases.VISIBLE + cases.HIDDEN if spec["id"] == case_id)


def verdict_text(result, detail=True):
    """The verdict as the cell shows it; detail=False leaves out inputs and values of hidden cases."""
    passed = sum(case["passed"] for case in result["cases"])
    lines = [f"{result['function']}: {passed} of {len(result['cases'])} checks passed"
             + ("" if result["graded"] else " (optional part, 0 points)")]
    shown = set()  # the same explanation is printed once, under the first case it concerns
    for case in result["cases"]:
        kind = "" if case["visible"] else " (hidden)"
        lines.append(f"  {'ok  ' if case['passed'] else 'FAIL'}  {case['label']}{kind}")
        text = case["detail"] if detail or case["visible"] else case["message"]
        if not case["passed"] and text not in shown:
            shown.add(text)
            lines.append("        " + text.replace("\n", "\n  "))
    lines += [f"  FLAGGED: {flag}" for flag in result["flags"]]
    lines += [f"  Note: {note}" for note in result["notes"]]
    return "\n".join(lines) + "\n"


def failure_summary(result):
    """One line for the error output: the first failing case's message (no hidden values)."""
    if result["flags"]:
        return f"{result['function']}: flagged for review: {result['flags'][0]}"
    failing = [case for case in result["cases"] if not case["passed"]]
    return f"{result['function']}: {len(failing)} of {len(result['cases'])} checks failed; first: " \
           f"{failing[0]['label']}: {failing[0]['message']}"


def outputs_for(result, own, detail=True):
    """The cell's new outputs: the student's own, the verdicts, and an error if it failed."""
    outputs = own + [new_output("stream", name="stdout", text=verdict_text(result, detail))]
    if not result["passed"]:
        summary = failure_summary(result)
        outputs.append(new_output("error", ename="CheckFailed", evalue=summary,
                                  traceback=[f"CheckFailed: {summary}"]))
    return outputs


class VerifyChecks(NbGraderPreprocessor):
    """Judge every check cell's recorded results and rewrite its outputs with the verdicts."""

    def preprocess(self, nb, resources):
        sandbox_flags = nb.metadata.get(SANDBOX_KEY, {}).get("flags", [])
        solutions = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in nb.cells
                     if cell.metadata.get("nbgrader", {}).get("solution")}
        done = {}
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if cell.cell_type != "code" or grade_id not in UNITS_BY_ID:
                continue
            try:
                result, own = judge_cell(cell)
            except Exception:  # a grader bug must not pass or silently zero a student: flag it
                self.log.error("VerifyChecks failed on %s:\n%s", grade_id, traceback.format_exc())
                result, own = _grader_error(cell, traceback.format_exc(limit=3)), []
            result["flags"] += sandbox_flags
            result["passed"] = result["passed"] and not sandbox_flags
            result["notes"] += stand_in_notes(result["function"], solutions.get(result["function"], ""), done)
            numerical = numerical_case(result, solutions.get(result["function"], ""))
            if numerical:
                result["cases"].append(numerical)
                result["passed"] = False
            done[grade_id] = result
            cell.outputs = outputs_for(result, own)
            cell.metadata[RESULT_KEY] = result
        return nb, resources


def numerical_case(result, solution_source):
    """A failing case for a backward function whose solution calls a forward function, else None.

    Gradients estimated from the forward pass (finite differences) pass every numerical case but
    are not what the exercise teaches; by name is what the grader can see from outside the kernel.
    """
    if result["function"] not in ("conv_backward", "pool_backward"):
        return None
    try:
        names = {node.id for node in ast.walk(ast.parse(solution_source)) if isinstance(node, ast.Name)}
    except SyntaxError:
        return None  # the cases already fail
    forward = sorted(names & cnn_checks.FORWARD_FUNCTIONS)
    if not forward:
        return None
    message = (f"{result['function']} calls {' and '.join(forward)}: gradients estimated from the forward pass "
               "earn nothing; compute them with the chain rule, as section 5 derives them")
    return {"id": f"{result['grade_id']}/chain-rule", "label": "gradients by the chain rule, not from the forward pass",
            "visible": True, "passed": False, "mistake": None, "message": message, "detail": message}


def stand_in_notes(function, solution_source, done):
    """Notes for a check whose function calls helpers that fail their own checks."""
    notes = []
    for helper_unit in helper_units(function):
        helper, grade_id = helper_unit.function, helper_unit.grade_id
        if helper in solution_source and grade_id in done and not done[grade_id]["passed"]:
            notes.append(f"while {function} was checked, the instructor's {helper} stood in for yours, "
                         f"which fails its own check ({grade_id}): {function} is not charged for it, fix {helper}.")
    return notes


def _grader_error(cell, text):
    return cell_result(cell, [], [f"the grader could not judge this cell: {text.strip().splitlines()[-1]}"], [])


class FlagForReview(NbGraderPreprocessor):
    """Mark flagged check cells as needing manual grading in the gradebook (after SaveAutoGrades)."""

    def preprocess(self, nb, resources):
        flagged = [cell.metadata["nbgrader"]["grade_id"] for cell in nb.cells
                   if cell.metadata.get(RESULT_KEY, {}).get("flags") and utils.is_grade(cell)]
        if not flagged:
            return nb, resources
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gradebook:
            for grade_id in flagged:
                grade = gradebook.find_grade(grade_id, info["notebook"], info["assignment"], info["student"])
                grade.needs_manual_grade = True
            gradebook.db.commit()
        self.log.warning("%s: flagged for manual review: %s", info["student"], ", ".join(flagged))
        return nb, resources
