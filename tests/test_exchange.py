"""A shared course server: nbgrader's exchange round trip between real Unix users, set up by server-setup.

Root creates an instructor and two students (removed at the end), copies the course into the
instructor's home and runs `python -m helpers server-setup`. Then each command runs as its user
(setpriv), with an environment all of them can run (a venv from /usr/bin/python3 in a world-readable
temporary folder; the project's venv is under /root): release_assignment, fetch_assignment (both),
edit (one right, one with a known mistake), submit (the second after the due date), collect,
autograde (one run, sandboxed, as the instructor), generate_feedback, release_feedback, fetch_feedback.
"""
import datetime
import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

import support
from helpers import mistakes
from helpers.course import ASSIGNMENT, COURSE_ID, NOTEBOOK, ROOT, UNITS, points
from helpers.grading.sandbox.protection import probe
from helpers.tools import server_setup
from helpers.tools.build import copy_course
from helpers.tools.submissions import reference_sources, with_solutions
from test_feedback_hidden import hidden_lines, page_text, quoted

TAG = secrets.token_hex(3)
INSTRUCTOR, ON_TIME, LATE = f"cnnx{TAG}t", f"cnnx{TAG}a", f"cnnx{TAG}b"
STUDENTS = (ON_TIME, LATE)
each_student = pytest.mark.parametrize("student", STUDENTS, ids=["on-time", "late"])  # ids the same in every xdist worker
MISTAKE = mistakes.MISTAKES_BY_SLUG["conv_stride_ignored"]  # the late student's bug: conv_forward loses its points
FULL = {unit.grade_id: points(unit) for unit in UNITS if unit.graded}
PROBE = """import json, os, sys
seen = {}
for path in json.loads(sys.argv[1]):
    try:
        os.listdir(path) if os.path.isdir(path) else open(path, "rb").read(1)
        seen[path] = "readable"
    except OSError as error:
        seen[path] = type(error).__name__
print(json.dumps(seen))"""


def home(name: str) -> Path:
    return Path(pwd.getpwnam(name).pw_dir)


def shared_env(path: Path) -> Path:
    """A venv with the course's requirements that every user can run, bytecode compiled (no user could write it):
    made under umask 022, whatever the umask of the test run."""
    previous = os.umask(0o022)
    try:
        support.make_env(path, "/usr/bin/python3", ROOT / "requirements.txt", compile_bytecode=True)
    finally:
        os.umask(previous)
    return path


def readable_by_all(folder: Path) -> None:
    """Everyone may read every file under folder and pass every folder in it (chmod -R a+r, and a+x on folders)."""
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | (0o555 if path.is_dir() else 0o444))


class Server:
    """Runs commands as the server's users, with the shared environment."""

    def __init__(self, base: Path):
        self.base, self.env, self.exchange = base, base / "env", base / "exchange"
        self.course = home(INSTRUCTOR) / "cnn-course"

    def run(self, name: str, *command, cwd=None, stdin=None, check=True):
        env = {"HOME": str(home(name)), "USER": name, "LOGNAME": name, "LANG": "C.UTF-8",
               "PATH": f"{self.env / 'bin'}:/usr/bin:/bin"}
        result = subprocess.run(["setpriv", f"--reuid={name}", f"--regid={pwd.getpwnam(name).pw_gid}",
                                 "--init-groups", "--", *command], cwd=cwd or home(name), env=env, input=stdin,
                                capture_output=True, text=True, timeout=900)
        if check and result.returncode != 0:
            raise AssertionError(f"{name}: {' '.join(command)} failed ({result.returncode}):\n{result.stderr[-4000:]}")
        return result

    def nbgrader(self, name: str, *args):
        return self.run(name, "nbgrader", *args, "--log-level=WARN",
                        cwd=self.course if name == INSTRUCTOR else None)

    def readable(self, name: str, paths) -> dict:
        """{path: "readable" or the error} for each path as the user tries to list (a folder) or read (a file) it."""
        return json.loads(self.run(name, "python", "-c", PROBE, json.dumps([str(p) for p in paths])).stdout)

    def setup(self, course=None, exchange=None):
        """Run `python -m helpers server-setup` as root for this server (or another course or exchange path)."""
        return subprocess.run(
            [sys.executable, "-m", "helpers", "server-setup", "--instructor", INSTRUCTOR, "--student", ON_TIME,
             "--student", LATE, "--course", str(course or self.course), "--exchange", str(exchange or self.exchange),
             "--config", str(self.env / "etc" / "jupyter" / "nbgrader_config.py")],
            cwd=ROOT, capture_output=True, text=True, timeout=300)

    def private_paths(self, other: str) -> list[Path]:
        """What a student must not reach: the other's home and files, the instructor's course, the exchange's lists."""
        theirs = home(other)
        course = self.course
        return [self.exchange / COURSE_ID / "inbound", self.exchange / COURSE_ID / "feedback",
                theirs, theirs / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
                theirs / ".local" / "share" / "jupyter" / "nbgrader_cache",
                *sorted((theirs / ASSIGNMENT / "feedback").rglob("*.html")),
                course / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", course / "gradebook.db", course / "autograded",
                course / "autograded" / other / ASSIGNMENT / f"{NOTEBOOK}.ipynb", course / "submitted",
                course / "feedback"]


def edited(notebook, student: str):
    """The student's work: every function right, or the late student's with the known mistake in conv_forward."""
    sources = reference_sources()
    if student == LATE:
        sources[MISTAKE.function] = MISTAKE.source()
    return with_solutions(notebook, sources)


@pytest.fixture(scope="module")
def server():
    """The whole round trip on a fresh server; users and files removed at the end."""
    if os.geteuid() != 0:
        pytest.skip("needs root: it creates Unix users and runs commands as them")
    base = Path(tempfile.mkdtemp(prefix="cnn-server-"))
    base.chmod(0o755)
    made = []
    try:
        shared_env(base / "env")
        for name in (INSTRUCTOR, *STUDENTS):
            subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", name], check=True)
            made.append(name)
            home(name).chmod(0o755)  # as Debian's useradd leaves a home (HOME_MODE unset, UMASK 022)
        s = Server(base)
        copy_course(s.course)
        readable_by_all(s.course)  # as a copy made under umask 022 is, whatever this run's umask: what setup closes
        s.before = s.readable(LATE, s.private_paths(ON_TIME))
        s.setups = [s.setup(), s.setup()]
        assert s.setups[0].returncode == 0, s.setups[0].stderr

        s.nbgrader(INSTRUCTOR, "release_assignment", ASSIGNMENT)
        for student in STUDENTS:
            s.nbgrader(student, "fetch_assignment", ASSIGNMENT)
            fetched = home(student) / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
            text = nbformat.writes(edited(nbformat.read(str(fetched), as_version=4), student))
            s.run(student, "tee", str(fetched), stdin=text)
        s.nbgrader(ON_TIME, "submit", ASSIGNMENT)
        due = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
        s.nbgrader(INSTRUCTOR, "db", "assignment", "add", ASSIGNMENT, f"--duedate={due}")
        s.nbgrader(LATE, "submit", ASSIGNMENT)

        for command in ("collect", "autograde", "generate_feedback", "release_feedback"):
            s.nbgrader(INSTRUCTOR, command, ASSIGNMENT)
        for student in STUDENTS:
            s.nbgrader(student, "fetch_feedback", ASSIGNMENT)
        s.after = {student: s.readable(student, s.private_paths(other))
                   for student, other in ((ON_TIME, LATE), (LATE, ON_TIME))}
        yield s
    finally:
        for name in made:
            subprocess.run(["userdel", "--remove", name], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def test_setup_is_idempotent(server):
    """Does server-setup say what it changed the first time, and change nothing the second?"""
    first, second = (run.stdout for run in server.setups)
    assert "mode 0755 -> 0700" in first and "owner root -> " + INSTRUCTOR in first, first
    *items, policy = second.splitlines()
    assert len(items) == 12 and all("already" in line for line in items), second
    assert "penalty method 'zero'" in policy


def test_exchange_has_nbgrader_modes(server):
    """Are the exchange's folders as nbgrader makes them, owned by root (the root) and the instructor (the rest)?"""
    course = server.exchange / COURSE_ID
    expected = {server.exchange: (0o1777, "root"), course: (0o755, INSTRUCTOR),
                course / "outbound": (0o755, INSTRUCTOR), course / "inbound": (0o2733, INSTRUCTOR),
                course / "feedback": (0o711, INSTRUCTOR)}
    for path, (mode, owner) in expected.items():
        info = path.stat()
        assert (info.st_mode & 0o7777, pwd.getpwuid(info.st_uid).pw_name) == (mode, owner), path


def test_both_grades_are_right(server):
    """Does the right student get every point, and the one with the known mistake lose conv_forward's only?"""
    assert support.scores(server.course, ON_TIME) == {grade_id: (full, False) for grade_id, full in FULL.items()}
    wrong = {**FULL, "conv_forward_check": 0}
    assert support.scores(server.course, LATE) == {grade_id: (score, False) for grade_id, score in wrong.items()}


def test_autograde_ran_in_the_sandbox(server):
    """Did the non-root instructor's autograde use the course's sandbox?"""
    for student in STUDENTS:
        path = server.course / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
        sandbox = nbformat.read(str(path), as_version=4).metadata["cnn_sandbox"]
        assert sandbox["sandboxed"] == probe().sandboxed and not sandbox["flags"], sandbox


def test_late_submission_scores_zero(server):
    """Is the submission after the due date late, with the penalty of nbgrader's "zero" method, and the other not?"""
    with Gradebook(f"sqlite:///{server.course / 'gradebook.db'}") as gradebook:
        on_time = gradebook.find_submission(ASSIGNMENT, ON_TIME)
        late = gradebook.find_submission(ASSIGNMENT, LATE)
        assert on_time.total_seconds_late == 0 and on_time.late_submission_penalty == 0
        assert late.total_seconds_late > 0
        assert late.score == sum(FULL.values()) - FULL["conv_forward_check"]
        assert late.late_submission_penalty == late.score


def test_setup_closed_what_useradd_left_open(server):
    """Before server-setup, could a student read the other's home and the instructor's solutions (so the test sees)?"""
    assert server.before[str(home(ON_TIME))] == "readable"
    assert server.before[str(server.course / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")] == "readable"


@each_student
def test_a_student_reaches_nothing_private(server, student):
    """Can the student neither list the exchange's inbox or feedback, nor read the other's home, nor the course?"""
    seen = server.after[student]
    assert len(seen) == 12 and any(path.endswith(".html") for path in seen)  # the other's fetched feedback too
    assert {path: result for path, result in seen.items() if result != "PermissionError"} == {}


def test_a_known_submission_path_is_readable(server):
    """The threat model's caveat: nbgrader submits with open modes, so a path someone knows can be read."""
    inbound = server.exchange / COURSE_ID / "inbound"
    folder = next(path for path in inbound.iterdir() if path.name.startswith(ON_TIME + "+"))
    assert folder.stat().st_mode & 0o777 == 0o777
    assert server.readable(LATE, [folder / f"{NOTEBOOK}.ipynb"]) == {str(folder / f"{NOTEBOOK}.ipynb"): "readable"}


@each_student
def test_fetched_feedback_holds_no_hidden_test(server, student):
    """Does the feedback each student fetched show the verdicts but no hidden test's code or inputs?"""
    pages = sorted((home(student) / ASSIGNMENT / "feedback").rglob(f"{NOTEBOOK}.html"))
    assert len(pages) == 1
    text = page_text(pages[0])
    assert hidden_lines(server.course) and "BEGIN HIDDEN TESTS" not in text and "run_hidden" not in text
    assert quoted(server.course, text) == []
    assert (MISTAKE.message in text) == (student == LATE)


def test_setup_refuses_a_link_and_a_folder_someone_else_made(server):
    """Does server-setup refuse, changing nothing, a course path through a link and a student's exchange folder?"""
    link = server.base / "course-link"
    link.symlink_to(server.course)
    refused = server.setup(course=link)
    assert refused.returncode == 2 and "leads through a symbolic link" in refused.stderr, refused.stderr
    squatted = server.base / "squatted"
    (squatted / COURSE_ID).mkdir(parents=True)
    squatted.chmod(0o755)  # as under umask 022, whatever this run's umask (setup would make it 1777)
    os.chown(squatted / COURSE_ID, pwd.getpwnam(LATE).pw_uid, -1)
    refused = server.setup(exchange=squatted)
    assert refused.returncode == 2 and f"belongs to {LATE}, not the instructor" in refused.stderr, refused.stderr
    assert squatted.stat().st_mode & 0o7777 == 0o755 and refused.stdout == ""


def test_setup_refuses_without_root(monkeypatch, capsys):
    """Does server-setup refuse with a clear message, and exit 2, when not run as root?"""
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert server_setup.main(["--instructor", "nobody", "--student", "nobody", "--course", str(ROOT)]) == 2
    assert "server-setup must run as root" in capsys.readouterr().err
