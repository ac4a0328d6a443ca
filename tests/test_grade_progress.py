"""Does a grading run show count, rate and ETA while it works, and a summary that says what happened?"""
import io
import re

from helpers.tools.grade.progress import Progress, Summary, clock
from helpers.tools.grade.worker import GRADEBOOK_LOST, failure_reason


def test_plain_lines_when_not_a_terminal():
    """Without a terminal, is each finished student one line with its count, rate and ETA?"""
    stream = io.StringIO()
    progress = Progress(3, stream, "grading cnn", tty=False)
    progress.update("s01")
    progress.update("s02", "the kernel died")
    progress.close()
    lines = stream.getvalue().splitlines()
    assert re.fullmatch(r"\[1/3\] s01 graded  \(\d+\.\d\d/s, ETA \d+:\d\d\)", lines[0])
    assert re.fullmatch(r"\[2/3\] s02 FAILED: the kernel died  \(\d+\.\d\d/s, ETA \d+:\d\d\)", lines[1])
    assert "\r" not in stream.getvalue()


def test_redrawn_bar_on_a_terminal():
    """On a terminal, is one bar redrawn in place, with failures printed above it?"""
    stream = io.StringIO()
    progress = Progress(4, stream, "grading cnn", tty=True)
    progress.update("s01")
    progress.update("s02", "timed out")
    progress.close()
    text = stream.getvalue()
    assert text.startswith("\r\x1b[Kgrading cnn [------------------------] 0/4 (0.00/s, ETA -:--)")
    last = text.rsplit("\r\x1b[K", 1)[1]
    assert re.fullmatch(r"grading cnn \[#{12}-{12}\] 2/4 \(\d+\.\d\d/s, ETA \d+:\d\d, 1 failed\)\n", last)
    assert "\r\x1b[Ks02: FAILED: timed out\n" in text


def test_clock():
    """Are durations shown as m:ss, and h:mm:ss past an hour?"""
    assert (clock(0), clock(61.4), clock(3725)) == ("0:00", "1:01", "1:02:05")


def test_summary_lists_failures_notes_and_what_is_left():
    """Does the summary count graded, failed and skipped students, give each failure's reason and the exit status?"""
    summary = Summary(graded=["s01", "s02"], failed={"s05": "the kernel died"}, skipped=["s03"],
                      notes={"s02": ["graded 'cnn (1).ipynb' as cnn.ipynb"]}, seconds=4.0, workers=2)
    assert summary.text().splitlines() == [
        "graded 2, failed 1, skipped 1 (already graded) in 4.0 s, 0.50 submissions/s, 2 worker(s)",
        "failed:", "  s05: the kernel died",
        "notes:", "  s02: graded 'cnn (1).ipynb' as cnn.ipynb"]
    assert summary.exit_code() == 1
    assert Summary(graded=["s01"]).exit_code() == 0
    stopped = Summary(graded=["s01"], not_graded=["s02", "s03"], interrupted=True)
    assert stopped.exit_code() == 130
    assert stopped.text().splitlines()[-1] == ("interrupted: 2 not graded yet; "
                                               "run the command again (without --force) to grade only those")


def test_summary_of_a_run_stopped_by_a_lost_gradebook():
    """Does a run the gradebook's loss stopped say why, what is left and how to go on, with exit status 1?"""
    stopped = Summary(graded=["s01"], not_graded=["s02", "s03"],
                      stopped="the gradebook did not answer: connection refused (log: autograded/.grade-logs/cnn/s02.log)")
    assert stopped.text().splitlines()[-2:] == [
        "stopped: 2 not graded yet; run the command again (without --force) to grade only those",
        "stopped because the gradebook did not answer: connection refused (log: autograded/.grade-logs/cnn/s02.log)"]
    assert stopped.exit_code() == 1


NBGRADER_DATABASE_ERROR = [  # what nbgrader 0.9.6 logs when PostgreSQL is gone (abridged)
    "Traceback (most recent call last):\n  File \"nbgrader/api.py\", line 1290, in __init__\n"
    "sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at \"127.0.0.1\", "
    "port 5432 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?",
    "There was an error accessing the nbgrader database. This may occur if you recently upgraded nbgrader. To "
    "resolve the issue, first BACK UP your database and then run the command `nbgrader db upgrade`."]


def test_lost_database_is_named_not_blamed_on_an_upgrade():
    """Is a database that stopped answering reported as such, rather than with nbgrader's upgrade advice?"""
    reason = failure_reason(NBGRADER_DATABASE_ERROR, RuntimeError("autograde failed"))
    assert reason == ("the gradebook did not answer: (psycopg2.OperationalError) connection to server at "
                      "\"127.0.0.1\", port 5432 failed: Connection refused")
    assert reason.startswith(GRADEBOOK_LOST)
    wrapped = ["Traceback (most recent call last):\npsycopg2.OperationalError: server closed the connection unexpectedly\n"
               "\tThis probably means the server terminated abnormally\n\tbefore or while processing the request.\n"
               "nbgrader.api.InvalidEntry: (psycopg2.OperationalError) server closed the connection unexpectedly",
               "There was an error processing assignment 'cnn' for student 's05'"]  # from a commit nbgrader wraps
    assert failure_reason(wrapped, RuntimeError()) == ("the gradebook did not answer: server closed the connection "
                                                       "unexpectedly")
    assert failure_reason(["NameError: name 'x' is not defined"], RuntimeError()) == "NameError: name 'x' is not defined"
