"""Hidden tests stay hidden: the feedback never shows their code, inputs or expected values.

One autograde run and one generate_feedback run grade six students: a correct and a wrong
submission, and four that try to get the hidden tests into what is handed back to them:
- `fb-history` prints what IPython keeps of every cell the kernel ran (In, _ih, Out, _i*,
  the history manager, %history, a globals() scan) plainly, encoded (base64, hex, rot13, zlib,
  reversed, ...), on stderr, in an error, in rich outputs, and by rewriting an earlier output;
- `fb-disk` reads the autograded notebook (and the course's source notebook) from disk before
  any hidden test ran, prints it and writes it into files next to the notebook;
- `fb-stealer`'s functions look up the calling frames while the hidden tests run them, keep what
  they find (the case specs, the check cell's code, the stand-in helpers' code) for later cells,
  raise it as an error message, return it as their result, and record it as a case id;
- `fb-split` prints a hidden line 10 characters at a time, in outputs of their own.
A hidden line is a line of 20 or more characters of a hidden block that the release does not also
contain (the release folder's notebook and files); whitespace is ignored when looking for it.
"""
import html
import re

import nbformat
import pytest

import support
from helpers import mistakes
from helpers.grading import feedback
from helpers.course import ASSIGNMENT, NOTEBOOK
from helpers.tools.submissions import reference_sources, with_solutions

MIN_LINE = 20
WRONG = ("pad_every_axis", "conv_stride_ignored", "pool_mode_ignored", "dW_not_accumulated")
INNOCENT = 'print("my own note: all my functions are done, 3 + 4 =", 3 + 4)'

ON_DISK = '''import json, pathlib

def hidden_on_disk(path):
    """The hidden blocks of the notebook at path (the autograded copy holds them)."""
    cells = json.loads(pathlib.Path(path).read_text())["cells"]
    sources = ["".join(cell["source"]) for cell in cells]
    return "\\n".join(source for source in sources if "run_hidden" + "(" in source)

from_disk = hidden_on_disk("cnn.ipynb")
print(from_disk)'''
DISK_CELLS = [
    ON_DISK,
    'course_source = pathlib.Path("../../../source/cnn/cnn.ipynb")\n'
    'print(hidden_on_disk(course_source) if course_source.exists() else "no course here")',
    'pathlib.Path("leak.txt").write_text(from_disk)\n'
    'pathlib.Path("notes").mkdir(exist_ok=True)\n(pathlib.Path("notes") / "leak.md").write_text(from_disk)',
]
HIDDEN_IN_HISTORY = 'hidden = "\\n".join(text for text in In if "run_hidden" + "(" in text)'
HISTORY_CELLS = [
    HIDDEN_IN_HISTORY,
    "print(In)", "In", "print(_ih)", "print(Out)", "print(hidden)", "hidden",
    "print(get_ipython().history_manager.input_hist_raw)",
    "print(list(get_ipython().history_manager.get_range()))",
    "%history",
    "print({name: value for name, value in globals().items() if isinstance(value, str)})",
    "import base64\nprint(base64.b64encode(hidden.encode()).decode())",
    "print(base64.encodebytes(hidden.encode()).decode())",
    "print('data:' + base64.urlsafe_b64encode(hidden.encode()).decode())",
    "print(hidden.encode().hex())",
    "print(hidden[::-1])",
    "import codecs\nprint(codecs.encode(hidden, 'rot13'))",
    "import zlib\nprint(base64.b64encode(zlib.compress(hidden.encode())).decode())",
    "print(list(hidden.encode()))",
    "print(hidden.upper())",
    "print('\\u200b'.join(hidden))",
    "import sys\nprint(hidden, file=sys.stderr)",
    "raise RuntimeError(hidden)",
    "from IPython.display import HTML, Markdown, Javascript, display, update_display\n"
    "display(HTML('<pre>' + hidden + '</pre>'))",
    "display(Markdown(hidden))",
    "display({'application/json': {'leak': hidden}}, raw=True)",
    "display(Javascript('console.log(' + repr(hidden) + ')'))",
    "update_display(hidden, display_id='spot')",
]
PLACEHOLDER = "from IPython.display import display\ndisplay('nothing to see here yet', display_id='spot')"

STEAL = '''import builtins, inspect, linecache, sys, threading
from IPython.display import display

def steal():
    """Keep what the hidden test that runs this call can see: its specs, its cell's code, the stand-ins' code."""
    loot = builtins.__dict__.setdefault("loot", {})
    frame = sys._getframe(1)
    while frame is not None:
        found = {}
        if "specs" in frame.f_locals:
            found["specs"] = repr(frame.f_locals["specs"])
        source = "".join(linecache.getlines(frame.f_code.co_filename))
        if "run_hidden(" in source:
            found["cell " + frame.f_code.co_filename] = source
        for name, value in list(frame.f_globals.items()):
            if name.startswith("_reference") and callable(value):
                found[name] = inspect.getsource(value)
        for key, text in found.items():
            if key not in loot:
                loot[key] = text
                print("found while checked:", text)
        frame = frame.f_back
    return loot

def spec_lines():
    """The lines of the stolen code that hold a hidden case's spec."""
    loot = builtins.__dict__.get("loot", {})
    return [line for text in loot.values() for line in text.splitlines() if line.strip().startswith("{'id'")]
'''
STOLEN_BY = {  # what each stealing function does with its loot, after the instructor's code computed the result
    "zero_pad": ["steal()",
                 'display({"application/vnd.cnn-check+json": {"unit": "zero_pad_check", "case": " ".join(spec_lines()),'
                 ' "returned": None}, "text/plain": "a record"}, raw=True)'],
    "conv_single_step": ["if spec_lines():  # stolen while zero_pad was checked", "    raise ValueError(spec_lines()[-1])"],
    "conv_forward": ["steal()", 'threading.Timer(0.3, print, args=("later:", builtins.loot)).start()'],
    "pool_forward": ["steal()", "if spec_lines():", '    return "\\n".join(spec_lines())'],
}
LOOT_CELLS = ["print(loot['specs'])", "for text in loot.values():\n    print(text)", "loot"]


def stealing(source, lines):
    """A function's source that runs lines just before it returns (before its last `return`)."""
    head, _, tail = source.rpartition("\n    return ")
    return head + "".join(f"\n    {line}" for line in lines) + "\n    return " + tail


def split_line_cell():
    return ("import sys\nline = next(l for l in '\\n'.join(In).splitlines() if l.strip().startswith(\"{'id'\"))\n"
            "for start in range(0, len(line), 10):\n"
            "    stream = sys.stderr if start % 20 else sys.stdout\n"
            "    print(line[start:start + 10], file=stream, flush=True)")


def code_cells(sources):
    return [nbformat.v4.new_code_cell(source) for source in sources]


def submissions(release):
    correct = reference_sources()
    wrong = {mistakes.MISTAKES_BY_SLUG[slug].function: mistakes.MISTAKES_BY_SLUG[slug].source() for slug in WRONG}
    made = {"fb-correct": with_solutions(release, correct), "fb-wrong": with_solutions(release, {**correct, **wrong}),
            "fb-history": with_solutions(release, correct), "fb-disk": with_solutions(release, correct),
            "fb-split": with_solutions(release, correct),
            "fb-stealer": with_solutions(release, {**correct, **{name: stealing(correct[name], lines)
                                                                  for name, lines in STOLEN_BY.items()}})}
    made["fb-correct"].cells += code_cells([INNOCENT])
    made["fb-history"].cells[:0] = code_cells([PLACEHOLDER])
    made["fb-history"].cells += code_cells(HISTORY_CELLS)
    made["fb-disk"].cells[:0] = code_cells(DISK_CELLS)
    made["fb-stealer"].cells[:0] = code_cells([STEAL])
    made["fb-stealer"].cells += code_cells(LOOT_CELLS)
    made["fb-split"].cells += code_cells([split_line_cell()])
    return made


@pytest.fixture(scope="session")
def fed_back(students_course):
    """The six students autograded in one run and fed back in one run; returns the course."""
    course = students_course
    support.autograde(course, submissions(support.release_notebook(course)), "--student=fb-*")
    support.nbgrader(course, "generate_feedback", ASSIGNMENT, "--student=fb-*")
    return course


STUDENTS = ["fb-correct", "fb-wrong", "fb-history", "fb-disk", "fb-stealer", "fb-split"]


def squeeze(text):
    return re.sub(r"\s+", "", text)


def hidden_lines(course):
    """Every line of MIN_LINE or more characters of a hidden block that is not also in the release, squeezed."""
    source = nbformat.read(str(course / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"), as_version=4)
    release = release_text(course)
    lines, inside = set(), False
    for cell in source.cells:
        for line in cell.source.splitlines():
            inside = inside or "BEGIN HIDDEN TESTS" in line
            if inside and len(line.strip()) >= MIN_LINE and squeeze(line).rstrip(",") not in release:
                lines.add(squeeze(line).rstrip(","))  # one case's spec quoted alone has no comma
            inside = inside and "END HIDDEN TESTS" not in line
    return lines


def release_text(course):
    """Everything the release folder holds (notebook, cnn_checks.py, data), squeezed: public text.

    The notebook counts twice: as its JSON file and as the cells' text (quotes unescaped)."""
    folder = course / "release" / ASSIGNMENT
    files = "".join(path.read_text(encoding="utf-8", errors="replace") for path in folder.rglob("*") if path.is_file())
    cells = "".join(cell.source for cell in nbformat.read(str(folder / f"{NOTEBOOK}.ipynb"), as_version=4).cells)
    return squeeze(files + cells)


def unescaped(text):
    """Squeezed text with the escapes of a printed repr() undone (an escaped newline or tab is dropped, as squeeze
    drops whitespace)."""
    return re.sub(r"\\(.)", lambda match: "" if match.group(1) in "nt" else match.group(1), text)


def page_text(path):
    """A feedback file as text; HTML as the reader sees it (tags removed, entities decoded) and as written."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        text = html.unescape(re.sub(r"<[^>]*>", "", text)) + "\n" + html.unescape(text)
    return text


def quoted(course, text):
    squeezed = squeeze(text)
    return sorted(line for line in hidden_lines(course) if line in squeezed)


def feedback_folder(course, student):
    return course / "feedback" / student / ASSIGNMENT


@pytest.mark.parametrize("student", ["fb-history", "fb-stealer", "fb-split"])
def test_hidden_lines_are_found_in_the_autograded_notebook(fed_back, student):
    """Do the attacks work, so that the feedback has something to hide (the instructor's copy keeps it)?"""
    path = fed_back / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    texts = [feedback.output_text(out) or str(out.get("data")) for cell in nbformat.read(str(path), as_version=4).cells
             for out in cell.get("outputs", [])]
    assert quoted(fed_back, "".join(texts))


@pytest.mark.parametrize("student", STUDENTS)
def test_feedback_page_quotes_no_hidden_line(fed_back, student):
    """Does the feedback page show no hidden line, whatever the student's code printed?"""
    page = feedback_folder(fed_back, student) / f"{NOTEBOOK}.html"
    assert quoted(fed_back, page_text(page)) == []


@pytest.mark.parametrize("student", STUDENTS)
def test_files_in_feedback_quote_no_hidden_line(fed_back, student):
    """Does no file of the student's feedback folder (files the kernel wrote included) hold a hidden line?"""
    leaks = {path.name: quoted(fed_back, page_text(path))[:1]
             for path in feedback_folder(fed_back, student).rglob("*") if path.is_file()}
    assert {name: lines for name, lines in leaks.items() if lines} == {}


ATTACKS = {"fb-history": [PLACEHOLDER, *HISTORY_CELLS], "fb-disk": DISK_CELLS, "fb-stealer": LOOT_CELLS}
SAMPLE = 40  # characters of an attack's output looked for in the feedback


@pytest.mark.parametrize("student", sorted(ATTACKS))
def test_attack_outputs_do_not_reach_the_feedback(fed_back, student):
    """Is no output of an attacking cell, in whatever encoding it printed the hidden tests, in the feedback
    (what it printed of the released files and of the student's own cells aside)?"""
    page = squeeze(page_text(feedback_folder(fed_back, student) / f"{NOTEBOOK}.html"))
    path = fed_back / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    attacks = [cell for cell in nbformat.read(str(path), as_version=4).cells if cell.source in ATTACKS[student]]
    assert len(attacks) == len(ATTACKS[student])
    # printing cnn_checks.py, even as a repr, steals nothing: it was released; nor does printing one's own code
    # (%history's output, cut into chunks that vary from run to run, can have the attack's own cell in its middle)
    submitted = nbformat.read(str(fed_back / "submitted" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"), as_version=4)
    public = release_text(fed_back) + squeeze("".join(cell.source for cell in submitted.cells))
    found = []
    for cell in attacks:
        for output in cell.outputs:
            if output.output_type == "stream" and output.text.lstrip().startswith("[output cut:"):
                continue  # the grader's own note (helpers.grading.sandbox.outputs.note), not the attack's output
            text = squeeze(feedback.output_text(output) or "".join(map(str, output.get("data", {}).values())))
            middle = text[len(text) // 2 - SAMPLE // 2:][:SAMPLE]
            if len(text) >= 2 * SAMPLE and middle in page and unescaped(middle)[1:-1] not in public:
                found.append((cell.source.splitlines()[-1], middle))
    assert found == []


def test_files_the_kernel_wrote_are_not_handed_back(fed_back):
    """Are the files the kernel wrote next to the notebook left out of feedback/?"""
    folder = feedback_folder(fed_back, "fb-disk")
    assert not (folder / "leak.txt").exists() and not (folder / "notes").exists()


@pytest.mark.parametrize("student", ["fb-correct", "fb-wrong", "fb-stealer"])
def test_every_hidden_case_is_reported_with_its_verdict_and_message(fed_back, student):
    """Does the feedback name every hidden case with pass or fail, and a failing one with its teaching message?"""
    text = page_text(feedback_folder(fed_back, student) / f"{NOTEBOOK}.html")
    for result in support.results(fed_back, student).values():
        for case in result["cases"]:
            if case["visible"]:
                continue
            assert f"{'ok  ' if case['passed'] else 'FAIL'}  {case['label']} (hidden)" in text
            if not case["passed"] and case["mistake"]:
                assert mistakes.MESSAGES[case["mistake"]] in text


def test_wrong_submission_fails_hidden_cases_with_known_mistakes(fed_back):
    """Does the wrong submission fail hidden cases whose causes the feedback then explains?"""
    results = support.results(fed_back, "fb-wrong")
    named = {case["mistake"] for result in results.values() for case in result["cases"]
             if not case["visible"] and not case["passed"]}
    assert set(WRONG) <= named


def test_honest_output_is_kept(fed_back):
    """Does the feedback keep what an honest student's own cell printed?"""
    text = page_text(feedback_folder(fed_back, "fb-correct") / f"{NOTEBOOK}.html")
    assert "my own note: all my functions are done, 3 + 4 = 7" in text
    assert feedback.QUOTED not in text


@pytest.mark.parametrize("student, at_least", [("fb-history", 20), ("fb-disk", 2), ("fb-stealer", 3), ("fb-split", 1)])
def test_quoting_outputs_are_replaced_by_a_note(fed_back, student, at_least):
    """Are the outputs that quoted the hidden tests replaced by a note saying so (not silently dropped)?"""
    text = page_text(feedback_folder(fed_back, student) / f"{NOTEBOOK}.html")
    assert text.count(feedback.QUOTED) >= at_least
