"""What instructors and students read: the class report (HTML and CSV) and the feedback pages.

The class of six in graded_class.py is graded once (real autograde and generate_feedback);
edge cases (a class of one, no submissions, no gradebook) use copies of that course.
"""
import base64
import csv
import html
import re
import shutil

import pytest
from nbgrader.api import Gradebook

import graded_class
import support
from graded_class import BY_NAME, CRASH, PASSED, TOTALS
from helpers.tools import report
from helpers.course import ASSIGNMENT, UNITS
from helpers.mistakes import MISTAKES_BY_SLUG



@pytest.fixture(scope="module")
def written(class_course, tmp_path_factory):
    """(html text, csv rows as dicts, exit code, stdout) of `python -m helpers report cnn` on the class."""
    out = tmp_path_factory.mktemp("report")
    code = report.main([ASSIGNMENT, "--course", str(class_course), "--out", str(out)])
    page = (out / f"{ASSIGNMENT}.html").read_text(encoding="utf-8")
    with open(out / f"{ASSIGNMENT}.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return page, rows, code


@pytest.fixture
def course_copy(class_course, tmp_path):
    """A throw-away copy of the graded course, to cut down."""
    return shutil.copytree(class_course, tmp_path / "course")


def keep_only(course, students):
    """Remove every other submission from the gradebook and from submitted/."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for submission in list(gradebook.find_assignment(ASSIGNMENT).submissions):
            if submission.student.id not in students:
                gradebook.remove_submission(ASSIGNMENT, submission.student.id)
    for folder in (course / "submitted").iterdir():
        if folder.name not in students:
            shutil.rmtree(folder)


def section(page, heading):
    """The HTML between <h2>heading</h2> and the next <h2>."""
    return page.split(f"<h2>{heading}</h2>", 1)[1].split("<h2>", 1)[0]


def text(fragment):
    """The text of an HTML fragment, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_the_class_was_graded_as_designed(class_grading, class_course):
    """Did autograde grade every student but the one whose kernel died (the premise of the tests below)?"""
    assert CRASH in class_grading[1].stderr
    for student in graded_class.autograded(class_course):
        assert sum(score for score, _ in support.scores(class_course, student).values()) == TOTALS[student], student


def test_report_writes_a_page_and_a_csv(written):
    """Does `python -m helpers report` exit 0 and write an HTML page and a CSV with one row per student?"""
    page, rows, code = written
    assert code == 0
    assert page.startswith("<!DOCTYPE html>") and "<title>Class report: cnn</title>" in page
    assert [row["student_id"] for row in rows] == BY_NAME


def test_page_is_self_contained(written):
    """Does the page load nothing from elsewhere: every image an embedded PNG, no external script or style?"""
    page = written[0]
    sources = re.findall(r'<img[^>]* src="([^"]+)"', page)
    assert len(sources) == 3, "expected the histogram, the pass rates and the mistakes plots"
    for source in sources:
        assert source.startswith("data:image/png;base64,")
        assert base64.b64decode(source.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "<link" not in page


def test_students_needing_a_look_come_first(written):
    """Are the crashed and the flagged submissions listed, with their reasons, before any plot?"""
    page = written[0]
    attention = text(section(page, "Needs attention"))
    assert page.index("<h2>Needs attention</h2>") < page.index("<h2>Scores</h2>")
    assert "2 students need a look" in attention
    # its kernel died: without a sandbox nbgrader keeps no notebook; SandboxedExecute restarts the kernel and notes it
    assert re.search(r"s5-crash \((grading failed\): no autograded notebook|graded\): sandbox: the kernel died)", attention)
    assert "Mallet, Eve (graded): needs manual grading (formgrader): zero_pad_check" in attention
    assert "flagged: a result recorded for another check cell (zero_pad)" in attention
    for calm in ("Hopper", "Turing", "Lovelace", "Dijkstra"):
        assert calm not in attention


def test_scores_section_states_mean_and_median(written):
    """Does the score section give the mean and median of the six totals?"""
    scores = sorted(TOTALS.values())
    mean, median = sum(scores) / 6, (scores[2] + scores[3]) / 2
    assert f"mean {mean:.1f}, median {median:.1f}, lowest 0, highest 100 (out of 100)" in text(
        section(written[0], "Scores"))


def test_pass_rates_split_graded_and_optional(written):
    """Does the pass-rate table count, for every check, the students who passed it, out of six, by part?"""
    rows = re.findall(r"<tr><td>([^<]+)</td><td>(graded|optional)</td>.*?<td[^>]*>(\d+) of (\d+)</td>",
                      section(written[0], "Pass rate per check"))
    expected = [(unit.label, "graded" if unit.graded else "optional", len(PASSED[unit.grade_id]), 6)
                for unit in UNITS]
    assert [(label, part, int(passed), int(total)) for label, part, passed, total in rows] == expected


def test_optional_results_come_from_the_autograded_notebooks(class_course):
    """Are the 0-point backward results (not in the gradebook) read from the autograded notebooks?"""
    results = report.load_class(class_course, ASSIGNMENT)
    optional = [unit for unit in UNITS if not unit.graded]
    assert optional and not any(unit.grade_id in results.max_scores for unit in optional)
    for unit in optional:
        passed = {s.student_id for s in results.students if s.passed(unit, results.max_scores)}
        assert passed == PASSED[unit.grade_id], unit.grade_id


def test_most_common_mistakes_are_counted_per_student(written):
    """Is each named mistake counted once per student, most common first, with the catalog's message?"""
    mistakes = section(written[0], "Most common mistakes")
    rows = re.findall(r"<tr><td>([a-z_]+)</td><td>([a-z_]+)</td><td[^>]*>(\d+)</td>", mistakes)
    slugs = {slug for slugs in graded_class.MISTAKES.values() for slug in slugs}
    assert rows[0] == ("conv_stride_ignored", "conv_forward", "2")
    assert {slug for slug, _, _ in rows} == slugs
    assert all(count == "1" for slug, _, count in rows[1:])
    for slug in slugs:
        assert html.escape(MISTAKES_BY_SLUG[slug].message) in mistakes
    assert 'alt="Bar chart of the most common mistakes: conv_stride_ignored: 2 students;' in mistakes


def test_student_table_is_ordered_by_name_and_sortable(written):
    """Are the students' rows in name order, each with its total, and can the headings sort the table?"""
    table = section(written[0], "Students")
    ids = re.findall(r"<tr(?: class=\"attention\")?><td>([^<]+)</td>", table)
    assert ids == BY_NAME
    totals = re.findall(r"<tr(?: class=\"attention\")?><td>([^<]+)</td><td>[^<]*</td><td>[^<]*</td>"
                        r"<td[^>]*>([^<]*)</td>", table)
    assert {student: int(total) for student, total in totals} == TOTALS
    assert 'class="sortable"' in table and "addEventListener(\"click\"" in written[0]


def test_csv_has_scores_and_verdicts(written):
    """Does the CSV hold each student's status, total, per-check scores and optional verdicts?"""
    rows = {row["student_id"]: row for row in written[1]}
    assert re.search("no autograded notebook|the kernel died", rows[CRASH]["problems"])
    assert (rows["s1-correct"]["last_name"], rows["s1-correct"]["first_name"]) == ("Hopper", "Grace")
    for student, row in rows.items():
        assert float(row["score"]) == TOTALS[student]
        for unit in UNITS:
            if unit.graded:
                assert (float(row[unit.grade_id]) == unit.points) == (student in PASSED[unit.grade_id])
            else:  # the crashed student's may be empty (no autograded notebook)
                assert row[unit.grade_id] in (["pass"] if student in PASSED[unit.grade_id] else ["fail", ""])
    for student, slugs in graded_class.MISTAKES.items():
        assert set(rows[student]["mistakes"].split()) == set(slugs)


def test_class_of_one(course_copy, tmp_path):
    """Does a class of one give a full report (histogram with one bar, rates out of 1)?"""
    keep_only(course_copy, {"s1-correct"})
    page, table_file, results = report.write_report(course_copy, ASSIGNMENT, tmp_path / "out")
    page = page.read_text(encoding="utf-8")
    assert len(results.submitted) == 1
    assert "mean 100.0, median 100.0, lowest 100, highest 100" in page
    assert "1 of 1" in page and "The checks named no mistake in any submission." in page
    assert page.count("data:image/png;base64,") == 2  # no mistakes: no mistakes plot


def test_class_without_submissions(course_copy, tmp_path):
    """With no submission yet, does the report say so plainly, and still list the students?"""
    keep_only(course_copy, set())
    page, table_file, results = report.write_report(course_copy, ASSIGNMENT, tmp_path / "out")
    page = page.read_text(encoding="utf-8")
    assert 'id="no-submissions"' in page and "No submissions for cnn yet" in page
    assert "<img" not in page
    assert {s.status for s in results.students} == {"no submission"}
    assert len(table_file.read_text().splitlines()) == 1 + len(results.students)


def test_submission_not_autograded_is_flagged(course_copy, tmp_path):
    """Is a notebook in submitted/ that the gradebook has no record of listed as not autograded?"""
    support.submit(course_copy, "late-comer", support.release_notebook(course_copy))
    page = report.write_report(course_copy, ASSIGNMENT, tmp_path / "out")[0].read_text(encoding="utf-8")
    assert "late-comer (not autograded): submitted but not autograded yet" in text(section(page, "Needs attention"))


def test_unknown_assignment_is_a_clear_error(class_course, tmp_path, capsys):
    """Does an assignment the gradebook does not know stop the report with exit 1 and the known names?"""
    assert report.main(["cnn2", "--course", str(class_course), "--out", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert "assignment 'cnn2' is not in the gradebook" in error and "(assignments there: cnn)" in error
    assert not list(tmp_path.iterdir())


def test_missing_gradebook_is_a_clear_error_and_not_created(course_copy, tmp_path, capsys):
    """Without gradebook.db, does the report say where it looked, without creating an empty one?"""
    (course_copy / "gradebook.db").unlink()
    assert report.main([ASSIGNMENT, "--course", str(course_copy), "--out", str(tmp_path / "out")]) == 1
    assert f"no gradebook at {course_copy / 'gradebook.db'}" in capsys.readouterr().err
    assert not (course_copy / "gradebook.db").exists()


def test_not_a_course_is_a_clear_error(tmp_path, capsys):
    """Does a folder without nbgrader_config.py give a clear error?"""
    assert report.main([ASSIGNMENT, "--course", str(tmp_path)]) == 1
    assert "is not an nbgrader course: it has no nbgrader_config.py" in capsys.readouterr().err


def result(function, flags=(), messages=()):
    """A check cell's cnn_checks metadata with the given flags and failing case messages."""
    cases = [{"label": f"case {i}", "visible": True, "passed": False, "mistake": None, "message": message}
             for i, message in enumerate(messages)]
    return {"grade_id": f"{function}_check", "function": function, "passed": not flags and not cases,
            "flags": list(flags), "cases": cases}


def test_sandbox_flags_are_reported_once_and_timeouts_named():
    """Is a flag repeated in every check cell reported once, and are kernel deaths and timeouts named?"""
    sandbox = "a package beside a course module"
    died = "the kernel died in cell 6 (zero_pad); restarted"
    student = report.Student("s", events=[died], checks={
        "zero_pad_check": result("zero_pad", [sandbox]),
        "conv_forward_check": result("conv_forward", [sandbox], ["the check did not run (KeyboardInterrupt: )"]),
    })
    assert report.grading_problems(student, []) == [
        f"sandbox: {died}",
        "the check of conv_forward was interrupted: it ran past the time limit",
        f"flagged: {sandbox} (every check)",
    ]


def test_feedback_shows_every_failed_check_with_its_teaching_message(class_course):
    """Does each student's feedback page show, for every failed check, each failing case and its message?"""
    for student in graded_class.autograded(class_course):
        page = html.unescape(graded_class.feedback_page(class_course, student).read_text(encoding="utf-8"))
        for grade_id, check in support.results(class_course, student).items():
            assert f"{check['function']}: " in page
            for case in check["cases"]:
                if not case["passed"]:
                    assert case["label"] in page and case["message"] in page, (student, grade_id, case["label"])
        for slug in graded_class.MISTAKES.get(student, ()):
            assert MISTAKES_BY_SLUG[slug].message in page, (student, slug)


def test_feedback_pages_find_the_lesson_figures(class_course):
    """Is every figure the feedback page links to copied beside it (images/), so it renders?"""
    for student in graded_class.autograded(class_course):
        page = graded_class.feedback_page(class_course, student)
        sources = re.findall(r'<img[^>]* src="([^"]+)"', page.read_text(encoding="utf-8"))
        assert {source.split("/")[-1] for source in sources} >= {"padding.png", "conv_stride.png", "pooling.png"}
        for source in sources:
            assert not source.startswith(("http", "/")), source
            assert (page.parent / source).read_bytes()[:4] == b"\x89PNG", source
