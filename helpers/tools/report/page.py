"""The report as one HTML page: sections, sortable tables, the plots inline."""
import datetime
import html
import statistics

from sqlalchemy.engine import make_url

from helpers.course import UNITS, Unit
from helpers.tools.report.load import (
    ClassResults,
    Student,
    mistake_counts,
    mistake_function,
    mistake_message,
    pass_rates,
)
from helpers.tools.report.plots import mistakes_chart, pass_rate_chart, png_data_uri, score_histogram

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
