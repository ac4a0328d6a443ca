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
import csv
import sys
from pathlib import Path

from helpers.course import ROOT, UNITS
from helpers.tools.report.load import (  # noqa: F401 (API)
    ClassResults,
    ReportError,
    Student,
    grading_problems,
    load_class,
)
from helpers.tools.report.page import number, render_html


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
