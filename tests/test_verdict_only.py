"""Only the verdict decides a check cell's score, whatever the student's code emits while it runs.

nbgrader scores a test cell by its first error, stderr stream or execute_result. Student code runs
inside the check, so it could emit any of these: a wrong zero_pad printing a result of "10" would
get full points, a right one emitting "0" or an error would lose them. Each channel is used from
inside a wrong and a right zero_pad, next to the honest equivalents, all graded by one real
`nbgrader autograde`.
"""
import nbformat
import pytest

import support
from helpers import mistakes
from helpers.course import ASSIGNMENT, NOTEBOOK

WRONG = mistakes.MISTAKES_BY_SLUG["pad_every_axis"].source()
RIGHT = support.reference_sources()["zero_pad"]

# channel -> code run inside zero_pad on every call; SAID is what it claims (a score, or a message)
CHANNELS = {
    "print": 'print("SAID")',
    "stderr": 'import sys\nprint("SAID", file=sys.stderr)',
    "displayhook": 'import sys\nsys.displayhook(SAID)',
    "display": 'from IPython.display import display\ndisplay(SAID)',
    "display-raw": 'from IPython.display import display\ndisplay({"text/plain": "SAID"}, raw=True)',
    "execute-result-message": (
        'hook = get_ipython().displayhook\n'
        'hook.session.send(hook.pub_socket, "execute_result", {"data": {"text/plain": "SAID"}, "metadata": {},'
        ' "execution_count": 1}, parent=hook.parent_header)'),
    "error-message": (
        'hook = get_ipython().displayhook\n'
        'hook.session.send(hook.pub_socket, "error", {"ename": "CheckFailed", "evalue": "SAID",'
        ' "traceback": ["SAID"]}, parent=hook.parent_header)'),
    "showtraceback": 'try:\n    raise ValueError("SAID")\nexcept ValueError:\n    get_ipython().showtraceback()',
    "clear-output": 'from IPython.display import clear_output\nclear_output()',
}
CLAIMS = {"wrong": "10", "right": "0"}  # a wrong function claims full points, a right one claims none


def with_channel(solution, channel, said):
    body = "\n".join("    " + line for line in CHANNELS[channel].replace("SAID", said).splitlines())
    return f"{solution}\n\n_inner_zero_pad = zero_pad\n\n\ndef zero_pad(X, pad):\n{body}\n    return _inner_zero_pad(X, pad)\n"


def student(kind, channel):
    return f"{kind}-{channel}"


@pytest.fixture(scope="session")
def emitting_class(course_factory):
    course = course_factory("verdict-only")
    release, right = support.release_notebook(), support.reference_sources()
    submissions = {"honest-wrong": support.with_solutions(release, {**right, "zero_pad": WRONG}),
                   "honest-right": support.with_solutions(release, right)}
    for kind, solution in (("wrong", WRONG), ("right", RIGHT)):
        for channel in CHANNELS:
            code = with_channel(solution, channel, CLAIMS[kind])
            submissions[student(kind, channel)] = support.with_solutions(release, {**right, "zero_pad": code})
    support.autograde(course, submissions)
    return course


@pytest.mark.parametrize("kind", CLAIMS)
@pytest.mark.parametrize("channel", CHANNELS)
def test_what_the_code_emits_does_not_score(emitting_class, kind, channel):
    """Does every check get exactly the score of the honest equivalent?"""
    honest = support.scores(emitting_class, f"honest-{kind}")
    assert honest["zero_pad_check"][0] == (0 if kind == "wrong" else 10)
    assert support.scores(emitting_class, student(kind, channel)) == honest


def check_cell_outputs(course, name):
    path = course / "autograded" / name / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    notebook = nbformat.read(str(path), as_version=4)
    return next(cell.outputs for cell in notebook.cells
                if cell.metadata.get("nbgrader", {}).get("grade_id") == "zero_pad_check")


@pytest.mark.parametrize("channel", [name for name in CHANNELS if name != "clear-output"])
def test_what_the_code_emitted_stays_visible_as_text(emitting_class, channel):
    """Is what the right function emitted kept as plain stdout text, above a verdict that is the only score?"""
    outputs = check_cell_outputs(emitting_class, student("right", channel))
    assert all(output.output_type == "stream" and output.name == "stdout" for output in outputs), outputs
    text = "".join(output.text for output in outputs)
    assert "0" in text.split("zero_pad:")[0]  # the student's "0", before the verdict
    assert "zero_pad: " in outputs[-1].text and "checks passed" in outputs[-1].text
