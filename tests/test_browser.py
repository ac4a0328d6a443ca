"""The whole flow in a real browser: JupyterLab 4 with nbgrader's extension, in the distribution's Chromium.

One JupyterLab runs for the module, in a copy of the course with the class of graded_class.py
graded. A student opens the released notebook and runs it untouched, then a copy in which they
type the solution; nbgrader's Validate button judges both. The instructor opens the formgrader,
the class report and a student's feedback page. The tests assert on what the pages show (text,
elements, images loaded), and save a screenshot of every step in artifacts/browser/.

Without Chromium they skip, LOUDLY; on CI (environment variable CI set) they fail instead, since
`make test` installs Chromium there (.ci/system-deps).
"""
import inspect
import os
import re
import shutil
import urllib.parse
from pathlib import Path

import pytest

import graded_class
import support
from graded_class import FORGER, TOTALS
from helpers.tools import browser as lab_browser
from helpers import cases, reference
from helpers.tools import report
from helpers.course import ASSIGNMENT, NOTEBOOK, ROOT, UNITS, UNITS_BY_ID
from helpers.mistakes import MISTAKES_BY_SLUG

ARTIFACTS = ROOT / "artifacts" / "browser"
PROBLEM = lab_browser.chromium_problem()
NOT_RUN = f"BROWSER TESTS NOT RUN: {PROBLEM}"
pytestmark = pytest.mark.skipif(PROBLEM is not None and not os.environ.get("CI"), reason=NOT_RUN)


@pytest.fixture(scope="module")
def browser():
    if PROBLEM:  # on CI, where .ci/system-deps installs Chromium
        pytest.fail(NOT_RUN)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with lab_browser.chromium() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def lab(browser, class_course, tmp_path_factory):
    """JupyterLab serving the graded course; its log is kept in artifacts/browser/ for CI."""
    server = lab_browser.JupyterLab(class_course, tmp_path_factory.mktemp("jupyter-home"))
    try:
        with server:
            yield server
    finally:
        if server.log_path.exists():
            shutil.copy(server.log_path, ARTIFACTS / "jupyterlab.log")


def shot(page, name, **options):
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), **options)


class Layout:
    """Where things are in the released notebook: code-cell indices of check and solution cells."""

    def __init__(self, notebook):
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        grade_ids = [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in code]
        self.checks = {index: grade_id for index, grade_id in enumerate(grade_ids) if grade_id in UNITS_BY_ID}
        self.solutions = {index: grade_id for index, (cell, grade_id) in enumerate(zip(code, grade_ids))
                          if cell.metadata.get("nbgrader", {}).get("solution")}
        self.others = set(range(len(code))) - set(self.checks)
        # cells that call the student's functions themselves: untouched, they stop at the stub's error
        self.students_own = {index for index, cell in enumerate(code) if index in self.solutions
                             or ("raises-exception" in cell.metadata.get("tags", []) and "nbgrader" not in cell.metadata)}
        self.figures = set(re.findall(r"images/([\w.-]+\.png)", "".join(
            cell.source for cell in notebook.cells if cell.cell_type == "markdown")))
        self.expected = {}  # check grade_id -> the code blocks of the "Expected output" cell after it
        previous = None
        for cell in notebook.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if cell.cell_type == "markdown" and cell.source.startswith("**Expected output**") and previous:
                self.expected[previous] = re.findall(r"```\n(.*?)\n```", cell.source, re.DOTALL)
            previous = grade_id if grade_id in UNITS_BY_ID else None


@pytest.fixture(scope="module")
def layout(class_course):
    return Layout(support.release_notebook(class_course))


def student_copy(course, name):
    """A student's own copy of the released assignment folder; the notebook's path below the course."""
    folder = course / "students" / name / ASSIGNMENT
    shutil.copytree(course / "release" / ASSIGNMENT, folder)
    return f"students/{name}/{ASSIGNMENT}/{NOTEBOOK}.ipynb"


def normal(text):
    return " ".join(text.split())


@pytest.fixture(scope="module")
def untouched(browser, lab, class_course):
    """The released notebook, opened and run (Run All) as handed out."""
    page = lab_browser.new_page(browser, lab)
    lab_browser.open_notebook(page, lab, student_copy(class_course, "untouched"))
    lab_browser.run_all(page)
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def solved(browser, lab, class_course, layout):
    """A fresh copy of the released notebook with the solution typed into its solution cells, then Run All."""
    page = lab_browser.new_page(browser, lab)
    lab_browser.open_notebook(page, lab, student_copy(class_course, "solved"))
    sources = {grade_id: inspect.getsource(getattr(reference, grade_id)) for grade_id in layout.solutions.values()}
    for index, grade_id in layout.solutions.items():
        lab_browser.type_into_cell(page, index, sources[grade_id])
    lab_browser.run_all(page)
    yield page
    page.context.close()


def test_lesson_figures_render(untouched, layout):
    """Does every figure the lesson links to load and show as an image, with alt text?"""
    shown = lab_browser.images(untouched, lab_browser.NOTEBOOK_IMAGES)
    names = {Path(urllib.parse.urlparse(image["src"]).path).name for image in shown}
    assert layout.figures and names == layout.figures
    assert all(image["loaded"] and image["alt"] for image in shown), shown
    figure = untouched.locator(lab_browser.NOTEBOOK_IMAGES).first
    figure.scroll_into_view_if_needed()
    shot(untouched, "student-1-figure")


def test_expected_values_are_shown(untouched, layout):
    """Is the seeded example's expected output of every check on the page?"""
    markdown = normal(" ".join(untouched.locator(".jp-MarkdownOutput").all_inner_texts()))
    blocks = [block for blocks in layout.expected.values() for block in blocks]
    assert len(blocks) >= len(UNITS)
    for block in blocks:
        assert normal(block) in markdown


def test_untouched_checks_say_not_implemented_and_nothing_else_errors(untouched, layout):
    """After Run All on the untouched notebook, does each check fail with "not implemented" and no other cell error?"""
    for index, grade_id in layout.checks.items():
        text = lab_browser.output_text(untouched, index)
        function = UNITS_BY_ID[grade_id].function
        assert f"{function} is not implemented yet (raised NotImplementedError)" in text, grade_id
        assert "CheckFailed" in text and lab_browser.error_outputs(untouched, index) == 1, grade_id
    for index in layout.others - layout.students_own:
        assert lab_browser.error_outputs(untouched, index) == 0, f"code cell {index} raised an error"
    for index in layout.students_own:
        assert lab_browser.error_outputs(untouched, index) == 0 or \
            "NotImplementedError" in lab_browser.output_text(untouched, index), f"code cell {index}"
    lab_browser.code_cell(untouched, min(layout.checks)).scroll_into_view_if_needed()
    shot(untouched, "student-2-untouched-run-all")


def test_validate_fails_the_untouched_notebook(untouched):
    """Does nbgrader's Validate button report failure, naming the unimplemented function?"""
    classes, text = lab_browser.validate(untouched)
    assert "validation-failed" in classes
    assert "The following cell failed" in text and "is not implemented yet" in text
    shot(untouched, "student-3-validate-untouched")


def test_solved_notebook_passes_every_visible_check(solved, layout):
    """With the solution typed in, does each check print "All N checks of ... passed" and the seeded values?"""
    for index, grade_id in layout.checks.items():
        text = lab_browser.output_text(solved, index)
        count, function = len(cases.visible(grade_id)), UNITS_BY_ID[grade_id].function
        assert f"All {count} checks of {function} passed." in text, (grade_id, text)
        for block in layout.expected.get(grade_id, []):
            assert normal(block) in normal(text), (grade_id, block)
    for index in range(len(layout.others) + len(layout.checks)):
        assert lab_browser.error_outputs(solved, index) == 0, f"code cell {index} raised an error"
    check = [index for index, grade_id in layout.checks.items() if grade_id == "conv_forward_check"][0]
    lab_browser.code_cell(solved, check).scroll_into_view_if_needed()
    shot(solved, "student-4-solved-run-all")


def test_validate_passes_the_solved_notebook(solved):
    """Does Validate (which saves the notebook first) report success for the solved notebook?"""
    classes, text = lab_browser.validate(solved)
    assert "validation-success" in classes and "Success! Your notebook passes all the tests." in text, text
    shot(solved, "student-5-validate-solved")


@pytest.fixture
def formgrader(browser, lab):
    """The page with JupyterLab's Formgrader panel open (Nbgrader menu); yields (page, the panel's frame)."""
    page = lab_browser.new_page(browser, lab)
    page.goto(lab.url("lab?reset"))
    page.wait_for_selector("#jp-main-statusbar", timeout=lab_browser.RUN_TIMEOUT)
    lab_browser.menu(page, "Nbgrader", "Formgrader")
    yield page, page.frame_locator("iframe").first
    page.context.close()


def open_submission_list(frame):
    """Manual Grading -> the assignment -> its notebook: the list of submissions, names shown."""
    frame.locator("a[href='/formgrader/gradebook']").first.click()
    frame.locator(f"a[href='/formgrader/gradebook/{ASSIGNMENT}']").first.click()
    frame.locator(f"a[href='/formgrader/gradebook/{ASSIGNMENT}/{NOTEBOOK}']").first.click()
    # the submissions' rows, which come after the page (the notebook list before it also has `td.name a`):
    # "Show All Names" clicked before they are there shows nothing
    frame.locator("tbody tr td.name a.name-hidden").first.wait_for(state="attached")
    frame.locator("text=Show All Names").click()
    frame.locator("tbody tr td.name a.name-shown").first.wait_for(state="visible")


def formgrader_rows(frame):
    """[{name, score, needs_manual}] of the formgrader's list of submissions of the open notebook."""
    return [{"name": row.locator("td.name a.name-shown").inner_text().strip(),
             "score": row.locator("td.score").inner_text().strip(),
             "needs_manual": row.locator("td.needs-manual-grade").get_attribute("data-order") == "1"}
            for row in frame.locator("tbody tr").all()]


def display_name(student):
    first, last = graded_class.NAMES.get(student, ("", ""))
    return f"{last}, {first}" if last else student


def test_formgrader_lists_the_graded_submissions(formgrader, class_course):
    """Does the formgrader list the assignment with its six submissions, and each graded one's autograde score?"""
    page, frame = formgrader
    row = frame.locator("tr", has_text=ASSIGNMENT).first
    row.wait_for()
    assert "\t6\t" in row.inner_text(), row.inner_text()
    shot(page, "instructor-1-formgrader-assignments")
    open_submission_list(frame)
    rows = {row["name"]: row for row in formgrader_rows(frame)}
    graded = graded_class.autograded(class_course)
    assert set(rows) == {display_name(student) for student in graded}
    for student in graded:
        assert rows[display_name(student)]["score"] == f"{TOTALS[student]} / 100", student
    assert rows[display_name(FORGER)]["needs_manual"] and not rows[display_name("s1-correct")]["needs_manual"]
    shot(page, "instructor-2-formgrader-scores")


def test_formgrader_shows_a_submissions_failed_cells(formgrader, class_course):
    """Does a submission open in the formgrader with each failed check's verdicts and teaching messages?"""
    from playwright.sync_api import expect  # waits until the page's scripts have filled in the scores

    page, frame = formgrader
    student = "s2-mistakes"
    open_submission_list(frame)
    frame.locator("a.name-shown", has_text=display_name(student)).click()
    results = support.results(class_course, student)
    for grade_id, result in results.items():
        if not result["graded"]:
            continue
        cell = frame.locator(".cell").filter(has=frame.locator(".nbgrader-label", has_text=grade_id))
        output = cell.locator(".output_wrapper").inner_text()
        assert f"{result['function']}: " in output
        earned = result["points"] if result["passed"] else 0  # the formgrader shows the auto score as placeholder
        expect(cell.locator("input.score")).to_have_attribute("placeholder", re.compile(rf"^{earned:g}(\.0)?$"))
        if not result["passed"]:
            assert "FAIL" in output and "CheckFailed" in output
    messages = frame.locator(".output_wrapper").all_inner_texts()
    for slug in graded_class.MISTAKES[student]:
        assert any(MISTAKES_BY_SLUG[slug].message in normal(text) for text in messages), slug
    frame.locator(".cell").filter(has=frame.locator(".nbgrader-label", has_text="conv_forward_check")) \
        .locator(".output_wrapper").scroll_into_view_if_needed()
    shot(page, "instructor-3-formgrader-submission")


def test_class_report_page(browser, class_course):
    """Does the class report open from a file with its three plots loaded, its sections, and a sortable table?"""
    page_path = report.write_report(class_course, ASSIGNMENT)[0]
    page = browser.new_page(viewport=lab_browser.VIEWPORT)
    page.goto(page_path.as_uri())
    assert page.locator("h1").inner_text() == f"Class report: {ASSIGNMENT}"
    assert page.locator("h2").all_inner_texts() == [
        "Needs attention", "Scores", "Pass rate per check", "Most common mistakes", "Students"]
    plots = lab_browser.images(page)
    assert len(plots) == 3 and all(plot["loaded"] for plot in plots)
    assert "need a look" in page.locator("#attention").inner_text()
    rows = page.locator("table.sortable tbody tr")
    assert rows.count() == len(TOTALS)
    headings = [heading.split()[0] for heading in page.locator("table.sortable th").all_inner_texts()]
    column = headings.index("total")
    page.locator("table.sortable th").nth(column).click()
    totals = [float(row.locator("td").nth(column).inner_text()) for row in rows.all()]
    assert totals == sorted(TOTALS.values()), "a click on the total heading sorts the rows by total"
    shot(page, "report", full_page=True)
    page.close()


def test_feedback_page_renders_figures_and_messages(browser, class_course):
    """Does a student's feedback page, opened from its folder, show the figures and the mistakes' messages?"""
    student = "s3-mistakes"
    page = browser.new_page(viewport=lab_browser.VIEWPORT)
    page.goto(graded_class.feedback_page(class_course, student).as_uri())
    figures = lab_browser.images(page)
    assert len(figures) >= 4 and all(figure["loaded"] for figure in figures), figures
    body = normal(page.locator("body").inner_text())
    for slug in graded_class.MISTAKES[student]:
        assert normal(MISTAKES_BY_SLUG[slug].message) in body, slug
    check = page.locator("pre", has_text="conv_forward: ").first
    lab_browser.screenshot_at(page, check, ARTIFACTS / "feedback.png", above=450)
    page.close()
