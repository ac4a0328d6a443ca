"""The class report: how an assignment went, as one self-contained HTML page and a CSV beside it.

`python -m helpers report cnn` reads the course's gradebook (nbgrader's Gradebook API, at the
course's `db_url`) and every student's autograded notebook (the check cells' `cnn_checks`
metadata written by helpers.grading.verify.VerifyChecks) and writes, by default, reports/cnn.html and
reports/cnn.csv in the course root. The page shows, in this order:
- the students whose grading failed or was flagged (no autograded notebook, needs manual
  grading, flags raised by the checks or the sandbox, a check interrupted at the time limit);
- the distribution of the scores, with mean and median;
- the pass rate of every check, the graded forward part and the optional backward part apart
  (the optional part's 0-point results come from the autograded notebooks, not the gradebook);
- the most common mistakes, counted once per student from the named-mistake slugs;
- one row per student, ordered by name, sortable by any column.
Plots are PNGs embedded in the page: it opens offline, from a file or as a mail attachment.
"""
import argparse
import base64
import csv
import datetime
import glob
import html
import io
import os
import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter
from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from helpers.course import ROOT, UNITS, Unit
from helpers.mistakes import MISTAKES_BY_SLUG
from helpers.grading.verify import SANDBOX_KEY, results_of

DPI = 100
BLUE, ORANGE, GREY, VERMILLION = "#0072B2", "#E69F00", "#999999", "#D55E00"  # Okabe & Ito, as the lesson's figures
TOP_MISTAKES = 12  # bars in the mistakes plot (the table lists them all)
INTERRUPTED = "KeyboardInterrupt"  # how a check cell stopped at Execute.timeout shows in its case messages


class ReportError(Exception):
    """The report cannot be made as asked; the message says what and where."""


# --------------------------------------------------------------------------------------------
# Reading the class: the gradebook and the autograded notebooks.

@dataclass
class Student:
    """One student's results for the assignment.

    scores -- {grade_id: score} of the graded check cells, from the gradebook
    checks -- {grade_id: the cell's cnn_checks metadata}, from the autograded notebook(s)
    events, unprotected -- the sandbox's notes in the autograded notebook: kernels lost and
        restarted, protections that were missing (helpers.grading.sandbox.execute)
    problems -- why the grading needs a look, empty if it went through cleanly
    """

    student_id: str
    first_name: str = ""
    last_name: str = ""
    status: str = "graded"  # graded | grading failed | not autograded | no submission
    score: float | None = None
    max_score: float | None = None
    scores: dict = field(default_factory=dict)
    checks: dict = field(default_factory=dict)
    events: list = field(default_factory=list)
    unprotected: list = field(default_factory=list)
    problems: list = field(default_factory=list)

    @property
    def name(self) -> str:
        names = ", ".join(part for part in (self.last_name, self.first_name) if part)
        return names or self.student_id

    @property
    def submitted(self) -> bool:
        return self.status != "no submission"

    def sort_key(self):
        """By last name, then first name; a student without a name by id among the last names."""
        return ((self.last_name or self.student_id).lower(), self.first_name.lower(), self.student_id.lower())

    def passed(self, unit: Unit, max_scores: dict) -> bool | None:
        """Did the student pass this check? None when nothing tells (no grade and no notebook)."""
        if unit.grade_id in self.scores and self.scores[unit.grade_id] is not None:
            return self.scores[unit.grade_id] >= max_scores[unit.grade_id]
        if unit.grade_id in self.checks:
            return bool(self.checks[unit.grade_id]["passed"])
        return None

    def mistakes(self) -> dict:
        """{mistake slug: [grade ids of the check cells where it showed]}."""
        found = defaultdict(list)
        for grade_id, result in self.checks.items():
            for case in result.get("cases", []):
                if case.get("mistake") and grade_id not in found[case["mistake"]]:
                    found[case["mistake"]].append(grade_id)
        return dict(found)


@dataclass
class ClassResults:
    """Everything the report shows: the students, in name order, and the graded cells' maximum scores."""

    course_id: str
    assignment: str
    db_url: str
    students: list
    max_scores: dict  # {grade_id: max score} of the graded cells, from the gradebook

    @property
    def submitted(self) -> list:
        return [student for student in self.students if student.submitted]

    @property
    def scored(self) -> list:
        return [student for student in self.submitted if student.score is not None]

    @property
    def unprotected(self) -> list:
        """The sandbox protections that were missing while any of the notebooks was graded."""
        return sorted({missing for student in self.students for missing in student.unprotected})


def course_directory(course_root: Path):
    """nbgrader's CourseDirectory of the course, configured as nbgrader commands started there see it."""
    from nbgrader.apps.baseapp import NbGrader

    if not (course_root / "nbgrader_config.py").is_file():
        raise ReportError(f"{course_root} is not an nbgrader course: it has no nbgrader_config.py")
    previous, search_path = os.getcwd(), list(sys.path)
    os.chdir(course_root)  # nbgrader also reads the nbgrader_config.py of the working directory
    try:
        app = NbGrader()
        app.initialize(["--log-level=ERROR"], root=str(course_root))
    finally:
        os.chdir(previous)
        sys.path[:] = search_path  # the course's config puts its folder first; the report needs none of it
    return app.coursedir


def open_gradebook(db_url: str) -> Gradebook:
    """The gradebook at db_url; a missing SQLite file is an error (nbgrader would create an empty one)."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and not (url.database and os.path.isfile(url.database)):
        raise ReportError(f"no gradebook at {url.database}: grade the class first "
                          "(`make demo`, or `nbgrader generate_assignment` then `nbgrader autograde`)")
    try:
        return Gradebook(db_url)
    except SQLAlchemyError as error:
        raise ReportError(f"cannot open the gradebook at {url.render_as_string(hide_password=True)}: "
                          f"{error.__class__.__name__}: {str(error).splitlines()[0]}") from None


def read_autograded(path: Path) -> tuple:
    """({grade_id: cnn_checks metadata} of an autograded notebook's check cells, the sandbox's metadata or {})."""
    notebook = nbformat.read(str(path), as_version=4)
    return results_of(notebook), notebook.metadata.get(SANDBOX_KEY, {})


def grading_problems(student: Student, needs_manual: list) -> list:
    """What about this student's grading needs the instructor's eyes, in words."""
    problems = [f"sandbox: {event}" for event in student.events]
    if needs_manual:
        problems.append(f"needs manual grading (formgrader): {', '.join(needs_manual)}")
    flags = defaultdict(dict)  # flag -> {grade_id: function}; the sandbox's flags are in every check cell
    for grade_id, result in student.checks.items():
        for flag in result.get("flags", []):
            flags[flag][grade_id] = result["function"]
        if any(INTERRUPTED in case.get("message", "") for case in result.get("cases", [])):
            problems.append(f"the check of {result['function']} was interrupted: it ran past the time limit")
    for flag, cells in flags.items():
        where = "every check" if len(cells) == len(student.checks) > 1 else ", ".join(dict.fromkeys(cells.values()))
        problems.append(f"flagged: {flag} ({where})")
    return problems


def read_submission(student: Student, submission, folder: Path, notebooks: list) -> None:
    """Fill in a graded student's scores (gradebook), check results (autograded notebooks in folder), problems."""
    student.status, student.score, student.max_score = "graded", submission.score, submission.max_score
    needs_manual = []
    for notebook in submission.notebooks:
        for grade in notebook.grades:
            student.scores[grade.name] = grade.score
            if grade.needs_manual_grade:
                needs_manual.append(grade.name)
    missing = [name for name in notebooks if not (folder / f"{name}.ipynb").is_file()]
    for name in notebooks:
        if name not in missing:
            checks, sandbox = read_autograded(folder / f"{name}.ipynb")
            student.checks.update(checks)
            student.events += sandbox.get("events", [])
            student.unprotected += sandbox.get("missing", [])
    student.problems = grading_problems(student, needs_manual)
    if missing:
        student.status = "grading failed"
        student.problems.insert(0, "no autograded notebook: autograde failed on this submission "
                                   "(e.g. the kernel died); see nbgrader's log")


def load_class(course_root: Path, assignment: str) -> ClassResults:
    """Read the gradebook and the autograded notebooks of one assignment."""
    coursedir = course_directory(course_root)
    with open_gradebook(coursedir.db_url) as gradebook:
        try:
            entry = gradebook.find_assignment(assignment)
        except MissingEntry:
            known = ", ".join(sorted(a.name for a in gradebook.assignments)) or "none"
            raise ReportError(f"assignment {assignment!r} is not in the gradebook {coursedir.db_url} "
                              f"(assignments there: {known})") from None
        notebooks = [notebook.name for notebook in entry.notebooks]
        max_scores = {cell.name: cell.max_score for notebook in entry.notebooks for cell in notebook.grade_cells}
        students = {}
        for record in gradebook.students:
            student = Student(record.id, record.first_name or "", record.last_name or "", status="no submission")
            students[record.id] = student
            try:
                submission = gradebook.find_submission(assignment, record.id)
            except MissingEntry:
                continue
            folder = Path(coursedir.format_path(coursedir.autograded_directory, record.id, assignment))
            read_submission(student, submission, folder, notebooks)
    for folder in glob.glob(coursedir.format_path(coursedir.submitted_directory, "*", assignment)):
        student_id = Path(folder).relative_to(Path(coursedir.root, coursedir.submitted_directory)).parts[0]
        if student_id not in students or not students[student_id].submitted:
            student = students.setdefault(student_id, Student(student_id))
            student.status = "not autograded"
            student.problems = ["submitted but not autograded yet: run `nbgrader autograde`"]
    return ClassResults(coursedir.course_id, assignment, coursedir.db_url,
                        sorted(students.values(), key=Student.sort_key), max_scores)


# --------------------------------------------------------------------------------------------
# Summaries: pass rates and mistakes.

def pass_rates(results: ClassResults) -> list:
    """[(unit, students who passed, students who submitted)] for every check, in the lesson's order."""
    rows = []
    for unit in UNITS:
        verdicts = [student.passed(unit, results.max_scores) for student in results.submitted]
        rows.append((unit, sum(verdict is True for verdict in verdicts), len(verdicts)))
    return rows


def mistake_counts(results: ClassResults) -> list:
    """[(slug, students who made it, grade ids where it showed)], the most common first."""
    students, cells = defaultdict(list), defaultdict(set)
    for student in results.submitted:
        for slug, grade_ids in student.mistakes().items():
            students[slug].append(student.student_id)
            cells[slug].update(grade_ids)
    order = sorted(students, key=lambda slug: (-len(students[slug]), slug))
    return [(slug, students[slug], sorted(cells[slug])) for slug in order]


def mistake_message(slug: str) -> str:
    mistake = MISTAKES_BY_SLUG.get(slug)
    return mistake.message if mistake else "(not in helpers.mistakes: the catalog changed since grading)"


def mistake_function(slug: str) -> str:
    mistake = MISTAKES_BY_SLUG.get(slug)
    return mistake.function if mistake else "?"


# --------------------------------------------------------------------------------------------
# Plots: matplotlib figures (no pyplot, so no global state), embedded as base64 PNG.

def png_data_uri(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def score_histogram(scores: list, max_score: float) -> Figure:
    """Histogram of the total scores in ten equal bins from 0 to max_score, mean and median marked."""
    figure = Figure(figsize=(7.5, 3.6))
    ax = figure.subplots()
    top = max_score or max(scores) or 1
    edges = [top * k / 10 for k in range(11)]
    ax.hist(scores, bins=edges, color=BLUE, edgecolor="white")
    mean, median = statistics.fmean(scores), statistics.median(scores)
    ax.axvline(mean, color=VERMILLION, linestyle="--", linewidth=2, label=f"mean {mean:.1f}")
    ax.axvline(median, color=ORANGE, linestyle=":", linewidth=2.5, label=f"median {median:.1f}")
    ax.set_xlim(0, top)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"total score (out of {top:g} points)")
    ax.set_ylabel("students")
    ax.set_title(f"Score distribution ({len(scores)} graded submission{'s' * (len(scores) != 1)})")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
    return figure


def pass_rate_chart(rates: list) -> Figure:
    """Horizontal bars: the share of students passing each check, graded part and optional part apart."""
    groups = [(title, [row for row in rates if row[0].graded == graded])
              for title, graded in (("Graded part", True), ("Optional backward part (0 points, not in the score)", False))]
    groups = [(title, rows) for title, rows in groups if rows]
    figure = Figure(figsize=(7.5, 0.9 + 0.42 * sum(len(rows) + 1.5 for _, rows in groups)))
    axes = figure.subplots(len(groups), 1, sharex=True, squeeze=False,
                           gridspec_kw={"height_ratios": [len(rows) for _, rows in groups]})[:, 0]
    for ax, (title, rows) in zip(axes, groups):
        labels = [unit.label for unit, _, _ in rows]
        shares = [passed / total if total else 0 for _, passed, total in rows]
        ax.barh(labels, shares, color=BLUE if rows[0][0].graded else GREY)
        for y, (share, (_, passed, total)) in enumerate(zip(shares, rows)):
            inside = share > 0.8  # a long bar holds its label, a short one has it after its end
            ax.text(share - 0.01 if inside else share + 0.01, y, f"{passed} of {total}", va="center",
                    ha="right" if inside else "left", color="white" if inside else "black", fontsize=9)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_title(title, fontsize=10, loc="left")
    axes[-1].set_xlabel("students who passed the check")
    figure.suptitle("Pass rate of every check")
    return figure


def mistakes_chart(counts: list) -> Figure:
    """Horizontal bars: how many students made each of the most common named mistakes."""
    shown = counts[:TOP_MISTAKES]
    figure = Figure(figsize=(7.5, 1.2 + 0.38 * len(shown)))
    ax = figure.subplots()
    ax.barh([f"{slug} ({mistake_function(slug)})" for slug, _, _ in shown],
            [len(students) for _, students, _ in shown], color=VERMILLION)
    ax.invert_yaxis()
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("students")
    more = f", the {TOP_MISTAKES} most common" if len(counts) > TOP_MISTAKES else ""
    ax.set_title(f"Most common mistakes (named by the checks{more})")
    return figure


# --------------------------------------------------------------------------------------------
# The page and the CSV.

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } .meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.sortable th { cursor: pointer; } table.sortable th::after { content: " \\2195"; color: #999; }
tr.attention td { background: #fff3e0; } .pass { color: #006d4f; } .fail { color: #b23c00; }
.note { background: #eef5fb; border-left: 4px solid #0072B2; padding: 0.6em 1em; }
.alert { background: #fff3e0; border-left: 4px solid #D55E00; padding: 0.6em 1em; }
img { max-width: 100%; } .wide { overflow-x: auto; }
"""
# Click a column heading to sort by it (numbers as numbers; click again to reverse).
SORT_SCRIPT = """
document.querySelectorAll("table.sortable th").forEach((th, column) => th.addEventListener("click", () => {
  const body = th.closest("table").tBodies[0];
  const key = row => row.cells[column].dataset.sort ?? row.cells[column].textContent.trim();
  const ascending = th.dataset.order !== "asc";
  th.dataset.order = ascending ? "asc" : "desc";
  const rows = Array.from(body.rows).sort((a, b) => {
    const x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
    const order = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
    return ascending ? order : -order;
  });
  rows.forEach(row => body.appendChild(row));
}));
"""


def escape(value) -> str:
    return html.escape(str(value))


def number(value) -> str:
    return "" if value is None else f"{value:g}"


def table(headers: list, rows: list, css_class: str = "") -> str:
    """An HTML table; a cell is text, or (text, {attribute: value}) for classes and sort keys."""
    def cell(value):
        text, attributes = value if isinstance(value, tuple) else (value, {})
        extra = "".join(f' {name}="{escape(v)}"' for name, v in attributes.items())
        return f"<td{extra}>{escape(text)}</td>"
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(f"<tr{row_attributes}>" + "".join(cell(value) for value in row) + "</tr>"
                   for row_attributes, row in rows)
    return f'<table class="{css_class}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def verdict_cell(verdict: bool | None):
    if verdict is None:
        return ("–", {"data-sort": "-1"})
    return ("pass", {"class": "pass", "data-sort": "1"}) if verdict else ("fail", {"class": "fail", "data-sort": "0"})


def score_cell(student: Student, unit: Unit, max_scores: dict):
    score = student.scores.get(unit.grade_id)
    if score is None:
        return ("–", {"data-sort": "-1"})
    passed = score >= max_scores[unit.grade_id]
    return (number(score), {"class": "num " + ("pass" if passed else "fail"), "data-sort": number(score)})


def attention_section(results: ClassResults) -> str:
    flagged = [student for student in results.students if student.problems]
    if not flagged:
        return '<p class="note">Every submission was graded without a problem: nothing is flagged.</p>'
    items = "".join(f"<li><b>{escape(s.name)}</b> ({escape(s.status)}): " + "; ".join(map(escape, s.problems))
                    + "</li>" for s in flagged)
    return (f'<div class="alert" id="attention"><p><b>{len(flagged)} student{"s" * (len(flagged) != 1)} '
            f'need{"s" * (len(flagged) == 1)} a look</b> before the grades are released:</p><ul>{items}</ul></div>')


def scores_section(results: ClassResults) -> str:
    scores = [student.score for student in results.scored]
    if not scores:
        return '<p class="note">No submission has a score yet.</p>'
    max_score = max(student.max_score or 0 for student in results.scored)
    stats = (f"mean {statistics.fmean(scores):.1f}, median {statistics.median(scores):.1f}, "
             f"lowest {min(scores):g}, highest {max(scores):g} (out of {max_score:g})")
    image = png_data_uri(score_histogram(scores, max_score))
    return f'<img id="score-histogram" src="{image}" alt="Histogram of the total scores: {stats}"><p>{stats}</p>'


def pass_rate_section(results: ClassResults) -> str:
    rates = pass_rates(results)
    image = png_data_uri(pass_rate_chart(rates))
    rows = [("", [unit.label, "graded" if unit.graded else "optional",
                  (number(results.max_scores.get(unit.grade_id, 0)), {"class": "num"}),
                  (f"{passed} of {total}", {"class": "num", "data-sort": str(passed)}),
                  (f"{passed / total:.0%}" if total else "–", {"class": "num"})])
            for unit, passed, total in rates]
    return (f'<img id="pass-rates" src="{image}" alt="Bar chart of the share of students passing each check">'
            + table(["check", "part", "points", "passed", "pass rate"], rows))


def mistakes_section(results: ClassResults) -> str:
    counts = mistake_counts(results)
    if not counts:
        return '<p class="note">The checks named no mistake in any submission.</p>'
    image = png_data_uri(mistakes_chart(counts))
    rows = [("", [slug, mistake_function(slug), (len(students), {"class": "num"}),
                  ", ".join(cells), mistake_message(slug), ", ".join(students)])
            for slug, students, cells in counts]
    summary = "; ".join(f"{slug}: {len(students)} student{'s' * (len(students) != 1)}"
                        for slug, students, _ in counts[:3])
    return (f'<img id="mistakes" src="{image}" alt="Bar chart of the most common mistakes: {escape(summary)}">'
            + table(["mistake", "function", "students", "check cells", "what the student is told", "who"], rows))


def students_section(results: ClassResults) -> str:
    graded = [unit for unit in UNITS if unit.grade_id in results.max_scores]
    optional = [unit for unit in UNITS if unit.grade_id not in results.max_scores]
    named = any(student.first_name or student.last_name for student in results.students)
    headers = (["student"] + ["name"] * named + ["status", "total"] + [u.label for u in graded]
               + [f"{u.label} (optional)" for u in optional] + ["mistakes", "problems"])
    rows = []
    for student in results.students:
        row = [student.student_id] + [student.name] * named + [student.status,
               (number(student.score), {"class": "num", "data-sort": number(student.score) or "-1"})]
        row += [score_cell(student, unit, results.max_scores) for unit in graded]
        row += [verdict_cell(student.checks[u.grade_id]["passed"] if u.grade_id in student.checks else None)
                for u in optional]
        row += [", ".join(student.mistakes()), "; ".join(student.problems)]
        rows.append((' class="attention"' if student.problems else "", row))
    return (f'<div class="wide">{table(headers, rows, "sortable")}</div>'
            "<p>Ordered by name; click a column heading to sort by it. Highlighted rows need a look.</p>")


def render_html(results: ClassResults) -> str:
    """The whole report page."""
    submitted = len(results.submitted)
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    url = make_url(results.db_url).render_as_string(hide_password=True)
    meta = (f"Course {escape(results.course_id)} · {submitted} submission{'s' * (submitted != 1)}, "
            f"{len(results.students)} student{'s' * (len(results.students) != 1)} in the gradebook · "
            f"generated {when} from {escape(url)}")
    parts = [f"<h1>Class report: {escape(results.assignment)}</h1>", f'<p class="meta">{meta}</p>']
    if not submitted:
        parts.append(f'<p class="note" id="no-submissions">No submissions for {escape(results.assignment)} yet: '
                     "collect them into submitted/ and run <code>nbgrader autograde</code>, then make the report again.</p>")
    else:
        if results.unprotected:
            missing = escape(", ".join(results.unprotected))
            parts.append('<p class="alert" id="unprotected">Some notebooks were graded without these protections '
                         f"of the sandbox: {missing} (nbgrader's log has the sandbox's warnings).</p>")
        parts += ["<h2>Needs attention</h2>", attention_section(results),
                  "<h2>Scores</h2>", scores_section(results),
                  "<h2>Pass rate per check</h2>", pass_rate_section(results),
                  "<h2>Most common mistakes</h2>", mistakes_section(results)]
    if results.students:
        parts += ["<h2>Students</h2>", students_section(results)]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Class report: {escape(results.assignment)}</title><style>{STYLE}</style></head>"
            f"<body>{''.join(parts)}<script>{SORT_SCRIPT}</script></body></html>\n")


def write_csv(results: ClassResults, path: Path) -> None:
    """One row per student: status, total, each check's score (graded) or pass/fail (optional), mistakes, problems."""
    headers = ["student_id", "last_name", "first_name", "status", "score", "max_score"]
    headers += [unit.grade_id for unit in UNITS] + ["mistakes", "problems"]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        for s in results.students:
            checks = []
            for unit in UNITS:
                if unit.grade_id in results.max_scores:
                    checks.append(number(s.scores.get(unit.grade_id)))
                else:
                    checks.append({True: "pass", False: "fail", None: ""}[s.passed(unit, results.max_scores)])
            writer.writerow([s.student_id, s.last_name, s.first_name, s.status, number(s.score),
                             number(s.max_score), *checks, " ".join(s.mistakes()), "; ".join(s.problems)])


def write_report(course_root: Path, assignment: str, out_dir: Path | None = None) -> tuple:
    """Write <out_dir>/<assignment>.html and .csv (out_dir: reports/ in the course); return (page, csv, results)."""
    results = load_class(course_root, assignment)
    out_dir = out_dir or course_root / "reports"
    out_dir.mkdir(parents=True, exist_ok=True)
    page, table_file = out_dir / f"{assignment}.html", out_dir / f"{assignment}.csv"
    page.write_text(render_html(results), encoding="utf-8")
    write_csv(results, table_file)
    return page, table_file, results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers report", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  python -m helpers report cnn\n"
               "  python -m helpers report cnn --course /path/to/course --out /tmp/report")
    parser.add_argument("assignment", help="the assignment's name in the gradebook, e.g. cnn")
    parser.add_argument("--course", type=Path, default=ROOT, help="the course root (default: this repository)")
    parser.add_argument("--out", type=Path, help="folder for the report (default: reports/ in the course root)")
    args = parser.parse_args(argv)
    try:
        page, table_file, results = write_report(args.course.resolve(), args.assignment, args.out)
    except ReportError as error:
        print(f"report: error: {error}", file=sys.stderr)
        return 1
    flagged = sum(bool(student.problems) for student in results.students)
    print(f"{len(results.submitted)} submissions, {flagged} needing a look\nwrote {page}\nwrote {table_file}")
    return 0
