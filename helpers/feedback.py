"""What students get back: hidden tests stay hidden (a GenerateFeedback preprocessor).

nbgrader renders the autograded notebook, hidden tests included, into the feedback HTML.
HideHiddenTests runs first in `GenerateFeedback.preprocessors` and, in the notebook being
rendered (the instructor's autograded copy on disk is not changed):
- removes the hidden region from every cell's source (nbgrader's own ClearHiddenTests);
- replaces each check cell's outputs with its verdicts at the student's level: for every hidden
  case its name, pass or fail and the teaching message, never its inputs or expected values;
  what the student's code printed while the checks ran is left out, since it could show them;
- removes, from every other cell's outputs, the lines that quote a hidden region (student code
  can print IPython's `In` history) and any recorded check result.
"""
import re

from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor

from helpers.checks import checks
from helpers.verify import outputs_for

MIN_QUOTE = 20  # hidden lines at least this long are redacted wherever they appear
REDACTED = "[line removed: it quoted a hidden test]"


def hidden_lines(nb, begin="BEGIN HIDDEN TESTS", end="END HIDDEN TESTS"):
    """The whitespace-normalized lines of every hidden region, at least MIN_QUOTE characters long."""
    found, inside = set(), False
    for cell in nb.cells:
        for line in cell.source.splitlines():
            if begin in line:
                inside = True
            if inside and len(line.strip()) >= MIN_QUOTE:
                found.add(_normal(line))
            if end in line:
                inside = False
    return found


def _normal(text):
    return re.sub(r"\s+", " ", text).strip()


def redact(text, secrets):
    """text with every line that contains a secret line replaced by a note."""
    lines = text.split("\n")
    return "\n".join(REDACTED if any(secret in _normal(line) for secret in secrets) else line for line in lines)


def redact_output(output, secrets):
    """An output with quoting lines removed; None if it is a recorded check result."""
    data = output.get("data", {})
    if checks.MIME in data:
        return None
    if output.output_type == "stream":
        output.text = redact(output.text, secrets)
    elif output.output_type == "error":
        output.evalue = redact(output.evalue, secrets)
        output.traceback = [redact(line, secrets) for line in output.traceback]
    for mime, value in list(data.items()):
        if isinstance(value, str):
            data[mime] = redact(value, secrets)
        elif isinstance(value, list):
            data[mime] = [redact(item, secrets) if isinstance(item, str) else item for item in value]
    return output


def student_view(result):
    """The check's result without the hidden cases' details."""
    cases = [dict(case, detail=case["detail"] if case["visible"] else case["message"]) for case in result["cases"]]
    return dict(result, cases=cases)


class HideHiddenTests(NbGraderPreprocessor):
    """Remove hidden tests' code, inputs and expected values from the feedback."""

    def preprocess(self, nb, resources):
        secrets = hidden_lines(nb)
        clear = ClearHiddenTests(enforce_metadata=False)
        for cell in nb.cells:
            if "cnn_checks" in cell.metadata:
                cell.metadata["cnn_checks"] = student_view(cell.metadata["cnn_checks"])
            if clear._remove_hidden_test_region(cell):
                cell.source = cell.source.rstrip("\n") + "\n# (hidden checks ran here: their results are below)"
            if cell.cell_type != "code":
                continue
            if "cnn_checks" in cell.metadata:
                cell.outputs = outputs_for(cell.metadata["cnn_checks"], [], detail=False)
            else:
                cell.outputs = [kept for kept in (redact_output(out, secrets) for out in cell.outputs) if kept]
        return nb, resources
