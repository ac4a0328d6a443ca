"""What students get back: hidden tests stay hidden (a GenerateFeedback preprocessor).

nbgrader renders the autograded notebook, hidden tests included, into the feedback HTML.
HideHiddenTests runs first in `GenerateFeedback.preprocessors` and changes the notebook being
rendered (the instructor's autograded copy on disk keeps everything):
- every locked cell's source loses its hidden region (nbgrader's own ClearHiddenTests; a student's
  cell that mentions the markers is left as it is);
- each check cell's outputs become its verdicts at the student's level: per case its name, pass
  or fail and the teaching message, never a hidden case's inputs, expected values or details.
  What the student's code printed while the checks ran is left out: by then it could reach the
  hidden cases (e.g. through `inspect.stack()`);
- every other code cell keeps only its text outputs (streams, plain text, errors); pictures, HTML,
  JavaScript and other rich outputs are replaced by a note, since they cannot be read for quotes;
- a text output, a verdict message, a flag or a note that quotes the hidden tests is replaced
  whole by a note (HiddenText below says what "quotes" means), and if the text outputs of the
  whole notebook, joined in order, quote them, every text output is replaced.
Whether a cell ran before or after the first hidden test does not matter: a kernel run without the
sandbox can read the autograded notebook (hidden tests included) from its working folder at any
time, and `update_display` rewrites the outputs of earlier cells.

What "quotes the hidden tests" means, and its limits: helpers/grading/leaks.py.
"""
from nbformat.v4 import new_output
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor
from nbgrader.utils import is_locked
from traitlets import List

from helpers.checks import cnn_record
from helpers.grading.leaks import HiddenText
from helpers.grading.verify import RESULT_KEY, outputs_for

MAX_TEXT = 200_000  # characters of one output shown at most; longer outputs are replaced
QUOTED = "[removed from the feedback: this output quoted the hidden tests]"
TEXT_MIME = "text/plain"
RICH = "[this output ({kinds}) is not shown in the feedback; your own notebook has it]"
TOO_LONG = "[an output of {size} characters is not shown in the feedback; your own notebook has it]"


def output_text(output):
    """The text of a stream, error or plain-text output; None for a rich output."""
    if output.output_type == "stream":
        return output.text
    if output.output_type == "error":
        return "\n".join([output.ename, output.evalue, *output.traceback])
    kinds = set(output.get("data", {})) - {TEXT_MIME}
    return None if kinds else output.get("data", {}).get(TEXT_MIME, "")


def note(text):
    return new_output("stream", name="stdout", text=text + "\n")


def shown_output(output, hidden):
    """The output as the feedback shows it (or a note in its place); None for a recorded check result."""
    data = output.get("data", {})
    if cnn_record.MIME in data:
        return None
    text = output_text(output)
    if text is None:
        return note(RICH.format(kinds=", ".join(sorted(set(data) - {TEXT_MIME}))))
    if len(text) > MAX_TEXT:
        return note(TOO_LONG.format(size=len(text)))
    if hidden.quoted_in(text):
        return note(QUOTED)
    return output


def student_view(result, hidden):
    """A check's result without hidden cases' details, and with no text that quotes the hidden tests."""
    def safe(text):
        return QUOTED if hidden.quoted_in(text) else text
    cases = [dict(case, message=safe(case["message"]),
                  detail=safe(case["detail"] if case["visible"] else case["message"]))
             for case in result["cases"]]
    return dict(result, cases=cases, flags=[safe(flag) for flag in result["flags"]],
                notes=[safe(line) for line in result["notes"]])


class HideHiddenTests(NbGraderPreprocessor):
    """Remove hidden tests' code, inputs and expected values from the feedback."""

    display_data_priority = List(
        help="Set by nbconvert's HTML exporter for every preprocessor; declared so that it is a known "
             "option (rich outputs are replaced here whatever their type).").tag(config=True)

    def preprocess(self, nb, resources):
        hidden = HiddenText(nb)
        clear = ClearHiddenTests(enforce_metadata=False)
        for cell in nb.cells:
            if RESULT_KEY in cell.metadata:
                cell.metadata[RESULT_KEY] = student_view(cell.metadata[RESULT_KEY], hidden)
            if is_locked(cell) and clear._remove_hidden_test_region(cell):
                cell.source = cell.source.rstrip("\n") + "\n# (hidden checks ran here: their results are below)"
            if cell.cell_type != "code":
                continue
            if RESULT_KEY in cell.metadata:
                cell.outputs = outputs_for(cell.metadata[RESULT_KEY], [], detail=False)
            else:
                cell.outputs = [kept for kept in (shown_output(out, hidden) for out in cell.outputs) if kept]
        _drop_split_quotes(nb, hidden)
        return nb, resources


def _drop_split_quotes(nb, hidden):
    """Replace every student text output if, joined in order, they quote the hidden tests."""
    student_cells = [cell for cell in nb.cells if cell.cell_type == "code" and RESULT_KEY not in cell.metadata]
    joined = "".join(output_text(out) or "" for cell in student_cells for out in cell.outputs)
    if hidden.quoted_in(joined):
        for cell in student_cells:
            cell.outputs = [note(QUOTED)] if cell.outputs else []
