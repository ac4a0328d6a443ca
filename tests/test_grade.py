"""Does `python -m helpers grade` grade a class exactly as sequential `nbgrader autograde` does?

A class of 8 generated submissions (correct, with mistakes, untouched, a kernel that dies, a cell
that never ends, notebooks renamed or zipped) is graded once by stock sequential nbgrader, then by
the command with 1 worker, 2 local workers and a Dask cluster (SQLite gradebook), and by the Dask
cluster and 2 local workers against a real PostgreSQL server: every column of every grade must
agree. Runs that
are interrupted (a worker killed, the coordinator stopped) are run again and must end with every
student graded exactly once. The class uses a three-function course, so kernels are small and
quick; one test grades a few submissions of the real course the same two ways.
"""
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import psutil
import psycopg2
import pytest
from nbgrader.api import Gradebook

import support
from helpers.course import tool_env
from helpers.tools.grade import sample_class

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CLASS_SIZE = 8  # every variant and every renamed form of sample_class
DASK_TIMEOUT = "180"  # seconds for a Dask worker's first task, which imports the course (slow on a loaded machine)
TIMEOUT = 3  # c.Execute.timeout of the test courses: the "hang" student's first cell runs out of it
DUEDATE = "2025-01-15 08:00:00 UTC"  # the class submits at sample_class.TIMESTAMP, an hour late: penalties
GRADED_LINE = re.compile(r"^\[\d+/\d+\] (\S+) graded", re.MULTILINE)
IGNORE = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")


def grade(course: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """`python -m helpers grade cnn ARGS` run in the course (its own copy of helpers/)."""
    return subprocess.run([sys.executable, "-m", "helpers", "grade", "cnn", *args], cwd=course, env=tool_env(),
                          capture_output=True, text=True, timeout=timeout)


def start_grade(course: Path, *args: str, name: str = "run") -> tuple[subprocess.Popen, Path]:
    """Start the command in its own session (as a terminal would); its stderr goes to course/<name>.err.

    It gets SIGINT's default action, as a command typed in a terminal does, also where this process
    ignores SIGINT: a shell without job control starts its background commands with SIGINT ignored,
    their children inherit that, and Python keeps it (the Ctrl-C test would see the run finish, not stop)."""
    err = course / f"{name}.err"
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # reset to the default in the child
    try:
        process = subprocess.Popen([sys.executable, "-m", "helpers", "grade", "cnn", *args], cwd=course,
                                   env=tool_env(), stdout=open(course / f"{name}.out", "w"), stderr=open(err, "w"),
                                   start_new_session=True)
    finally:
        signal.signal(signal.SIGINT, previous)
    return process, err


def graded_students(stderr: str) -> list[str]:
    """Students the progress lines report as graded, in order (a student twice would be a bug)."""
    return GRADED_LINE.findall(stderr)


def wait_for(predicate, what: str, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def gradebook_rows(url: str) -> dict:
    """Every autograde-relevant column of every submission, notebook, grade and comment."""
    rows = {}
    with Gradebook(url) as gb:
        for sub in gb.find_assignment("cnn").submissions:
            rows[sub.student_id, "submission"] = (str(sub.timestamp), sub.extension)
            for nb in sub.notebooks:
                rows[sub.student_id, nb.name] = (nb.flagged, nb.late_submission_penalty)
                for g in nb.grades:
                    rows[sub.student_id, nb.name, g.name] = (
                        g.auto_score, g.manual_score, g.extra_credit, g.needs_manual_grade, g.max_score)
                for c in nb.comments:
                    rows[sub.student_id, nb.name, "comment", c.name] = (c.auto_comment, c.manual_comment)
        gb.engine.dispose()
    return rows


def of(rows: dict, students) -> dict:
    return {key: value for key, value in rows.items() if key[0] in students}


def autograded(course: Path) -> dict[str, int]:
    """student -> modification time (ns) of their autograded notebook."""
    return {path.parts[-3]: path.stat().st_mtime_ns for path in (course / "autograded").glob("*/cnn/cnn.ipynb")}


def processes_in(course: Path) -> list:
    """Processes (workers, kernels) working in a folder of the course."""
    return [p for p in psutil.process_iter(["cwd"]) if (p.info["cwd"] or "").startswith(f"{course}{os.sep}")
            or p.info["cwd"] == str(course)]


def sqlite_url(course: Path) -> str:
    return f"sqlite:///{course / 'gradebook.db'}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the class ---------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> Path:
    """The three-function course with its assignment generated (gradebook holds it), no submissions."""
    root = sample_class.make_tiny_course(tmp_path_factory.mktemp("tiny") / "course")
    shutil.copytree(REPO / "helpers", root / "helpers", ignore=IGNORE)
    with open(root / "nbgrader_config.py", "a") as config:
        config.write(f"c.Execute.timeout = {TIMEOUT}\nc.LateSubmissionPlugin.penalty_method = 'zero'\n")
    generate(root)
    return root


def generate(course: Path) -> None:
    """Add the assignment to the course's gradebook, due an hour before the class submitted."""
    support.nbgrader(course, "generate_assignment", "cnn", "--force")
    support.nbgrader(course, "db", "assignment", "add", "cnn", f"--duedate={DUEDATE}")


@pytest.fixture(scope="session")
def new_class(tiny, tmp_path_factory):
    """Make a copy of the tiny course holding the class: new_class(name, renamed=True, db_url=None)."""
    def make(name: str, renamed: bool = True, db_url: str | None = None) -> Path:
        course = tmp_path_factory.mktemp(name) / "course"
        shutil.copytree(tiny, course)
        if db_url:
            with open(course / "nbgrader_config.py", "a") as config:
                config.write(f"c.CourseDirectory.db_url = {db_url!r}\n")
        sample_class.make_class(course, "cnn", CLASS_SIZE, renamed=renamed)
        return course
    return make


@pytest.fixture(scope="session")
def students() -> list:
    return sample_class.roster(CLASS_SIZE)


@pytest.fixture(scope="session")
def reference(new_class) -> dict:
    """The gradebook of the class graded by stock, sequential `nbgrader autograde` (names as released)."""
    course = new_class("reference", renamed=False)
    support.nbgrader(course, "autograde", "cnn", check=False)
    return gradebook_rows(sqlite_url(course))


@pytest.fixture(scope="session")
def one_worker(new_class):
    course = new_class("one-worker")
    return course, grade(course, "--workers", "1"), sqlite_url(course)


@pytest.fixture(scope="session")
def two_workers(new_class):
    course = new_class("two-workers")
    return course, grade(course, "--workers", "2"), sqlite_url(course)


@contextlib.contextmanager
def dask_cluster(tiny: Path):
    """A Dask scheduler and 2 workers on loopback, started with Dask's own commands: (address, nannies).

    Stopped on leaving: idle, the five processes take about a tenth of a core with their heartbeats."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{free_port()}"
    cluster_env = tool_env(PYTHONPATH=str(tiny))
    started = [subprocess.Popen([BIN / "dask", "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                 "--no-dashboard"], cwd=tiny, env=cluster_env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    started += [subprocess.Popen([BIN / "dask", "worker", address, "--nthreads", "1", "--no-dashboard"],
                                 cwd=tiny, env=cluster_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for _ in range(2)]
    try:
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield address, started[1:]
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="session")
def dask_runs(new_class, tiny, request) -> dict:
    """The class graded twice on one Dask cluster, stopped after: {"dask_run": ..., "dask_postgres_run": ...},
    each (course, CompletedProcess, gradebook url).

    dask_run: one worker process is killed after a few students. dask_postgres_run: the 2 workers write
    to a PostgreSQL gradebook at once; left out where PostgreSQL is not installed (its test then skips)."""
    runs = {}
    with dask_cluster(tiny) as (address, nannies):
        on_cluster = ("--scheduler", address, "--connect-timeout", DASK_TIMEOUT)
        course = new_class("dask")
        process, err = start_grade(course, *on_cluster)
        wait_for(lambda: len(graded_students(err.read_text())) >= 3, "3 students graded")
        assert process.poll() is None, "the run ended before a worker could be killed"
        psutil.Process(nannies[0].pid).children()[0].kill()  # the worker process under its nanny
        process.wait(600)
        result = subprocess.CompletedProcess(process.args, process.returncode,
                                             (course / "run.out").read_text(), err.read_text())
        runs["dask_run"] = course, result, sqlite_url(course)
        if postgres_bin():
            url = request.getfixturevalue("postgres_database")("dask")
            course = new_class("dask-postgres", db_url=url)
            runs["dask_postgres_run"] = course, grade(course, *on_cluster), url
    return runs


@pytest.fixture(scope="session")
def dask_run(dask_runs):
    return dask_runs["dask_run"]


@pytest.fixture(scope="session")
def dask_postgres_run(dask_runs, postgres_database):  # postgres_database skips, loudly, without PostgreSQL
    return dask_runs["dask_postgres_run"]


RUNS = ["one_worker", "two_workers", "dask_run", "dask_postgres_run"]


def test_reference_class_holds_every_kind_of_submission(reference, students):
    """Does the sequential reference show full marks, zeros, a dead kernel and a timed-out cell where expected?"""
    def scores(variant):
        student = next(s.student_id for s in students if s.variant == variant)
        return [reference[student, "cnn", f"{part}_check"][0] for part in ("pad", "dot", "peak")]
    assert scores("correct") == [2, 3, 5]
    assert scores("untouched") == [0, 0, 0]
    assert 0 < sum(scores("wrong")) < 10 and 0 < sum(scores("partial")) < 10
    assert scores("crash") == [None, None, None]  # the whole submission failed: left for manual grading
    assert scores("hang") == [0, 3, 5]  # the first cell ran out of time; the rest was graded
    correct = next(s.student_id for s in students if s.variant == "correct")
    assert reference[correct, "cnn"] == (False, 10.0)  # late: penalty method "zero" takes the whole score


@pytest.mark.parametrize("run", RUNS)
def test_same_grades_as_sequential_nbgrader(run, request, reference):
    """Does every cell of every student get the grade sequential `nbgrader autograde` gives?"""
    course, result, url = request.getfixturevalue(run)
    assert gradebook_rows(url) == reference, result.stdout + result.stderr


@pytest.mark.parametrize("run", RUNS)
def test_each_student_graded_once_and_failures_explained(run, request, students):
    """Is each student graded exactly once, and is the one whose kernel dies reported with the reason?"""
    course, result, url = request.getfixturevalue(run)
    crashed = {s.student_id for s in students if s.crashes_kernel}
    graded = graded_students(result.stderr)
    assert sorted(graded) == sorted(set(s.student_id for s in students) - crashed), result.stderr
    assert result.returncode == 1
    for student in crashed:
        assert re.search(rf"^  {student}: the kernel died while running the notebook .*log: ", result.stdout, re.M)
        assert "Kernel died" in (course / "autograded" / ".grade-logs" / "cnn" / f"{student}.log").read_text()
    assert sorted(autograded(course)) == sorted(graded)
    assert not (course / "autograded" / ".staging").exists()


def test_renamed_and_zipped_notebooks_are_matched_and_reported(two_workers, students):
    """Are "cnn (1).ipynb", "cnn-Copy1.ipynb", "Copy of cnn.ipynb" and a zip graded, and named in the summary?"""
    course, result, _ = two_workers
    renamed = [s for s in students if s.filename != "cnn.ipynb"]
    assert len(renamed) >= 4
    for student in renamed:
        if student.crashes_kernel:
            continue
        assert re.search(rf"^  {student.student_id}: graded '{re.escape(student.filename)}(:[^']*)?' as cnn.ipynb$",
                         result.stdout, re.M), result.stdout
        assert (course / "submitted" / student.student_id / "cnn" / student.filename).exists()  # original kept


def test_rerun_grades_nothing_and_force_regrades(two_workers, reference, students):
    """Does a second run skip everyone graded, and does --force regrade the students named?"""
    course, _, url = two_workers
    before = autograded(course)
    crashed = [s for s in students if s.crashes_kernel]
    again = grade(course, "--workers", "2")
    assert graded_students(again.stderr) == []
    assert re.search(rf"graded 0, failed {len(crashed)}, skipped {len(before)} ", again.stdout), again.stdout
    assert autograded(course) == before
    forced = grade(course, "--student", "s01", "--student", "s03", "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert sorted(graded_students(forced.stderr)) == ["s01", "s03"]
    after = autograded(course)
    assert after["s01"] != before["s01"] and after["s02"] == before["s02"]
    assert gradebook_rows(url) == reference


def test_folder_left_without_grades_is_regraded(new_class, reference):
    """Is an autograded folder whose gradebook entry has no scores (a killed stock run) graded again, not skipped?"""
    course = new_class("leftover", renamed=False)
    folder = course / "autograded" / "s01" / "cnn"
    folder.mkdir(parents=True)
    shutil.copy(course / "submitted" / "s01" / "cnn" / "cnn.ipynb", folder / "cnn.ipynb")
    result = grade(course, "--student", "s01")
    assert result.returncode == 0, result.stdout + result.stderr
    assert graded_students(result.stderr) == ["s01"]
    assert gradebook_rows(sqlite_url(course)) == of(reference, {"s01"})


# --- interruptions -----------------------------------------------------------------------------

def interrupt_then_rerun(course: Path, stop: signal.Signals, url: str, reference: dict, crashed: set) -> None:
    """Kill one worker after 1 student, stop the coordinator after 3, check, rerun, check again."""
    process, err = start_grade(course, "--workers", "2", name="first")
    wait_for(lambda: len(graded_students(err.read_text())) >= 1, "1 student graded")
    workers = psutil.Process(process.pid).children()
    workers[0].kill()
    wait_for(lambda: len(graded_students(err.read_text())) >= 3, "3 students graded")
    workers = psutil.Process(process.pid).children()
    os.killpg(process.pid, stop)
    process.wait(120)
    _, alive = psutil.wait_procs(workers, timeout=60)
    assert not alive, f"workers outlived the coordinator: {alive}"
    wait_for(lambda: not processes_in(course), "the kernels of the stopped run to end", timeout=60)
    assert process.returncode == (130 if stop == signal.SIGINT else -stop), err.read_text()
    first = autograded(course)
    reported = graded_students(err.read_text())
    assert set(reported) <= set(first) and len(reported) == len(set(reported))
    assert 3 <= len(first) < CLASS_SIZE - len(crashed)
    assert of(gradebook_rows(url), first) == of(reference, first)  # every folder in place is recorded

    rerun = grade(course, "--workers", "2")
    second = graded_students(rerun.stderr)
    assert set(second).isdisjoint(first), rerun.stderr
    assert sorted(set(first) | set(second)) == sorted({key[0] for key in reference} - crashed)
    assert len(second) == len(set(second))
    assert {s: t for s, t in autograded(course).items() if s in first} == first  # not graded again
    assert gradebook_rows(url) == reference
    assert not (course / "autograded" / ".staging").exists()


def test_interrupted_run_resumes(new_class, reference, students):
    """After a killed worker and a Ctrl-C, does a rerun grade only what is missing, each student once?"""
    course = new_class("interrupted")
    crashed = {s.student_id for s in students if s.crashes_kernel}
    interrupt_then_rerun(course, signal.SIGINT, sqlite_url(course), reference, crashed)


# --- PostgreSQL --------------------------------------------------------------------------------

def postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


class PostgresServer:
    """A PostgreSQL server of the tests' own, on loopback, in a temporary folder."""

    def __init__(self, bin_dir: Path):
        self.bin_dir, self.port = bin_dir, free_port()
        self.data = Path(tempfile.mkdtemp(prefix="grade-pg-"))  # not under pytest's 0700 folders: postgres reads it
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres")
        self.pg(["initdb", "-D", self.data / "db", "-U", "postgres", "--auth=trust", "-E", "UTF8"])
        self.url = f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}"

    def pg(self, command: list) -> None:
        subprocess.run([*self.as_user, self.bin_dir / command[0], *command[1:]], check=True, capture_output=True)

    def start(self) -> None:
        self.pg(["pg_ctl", "-D", self.data / "db", "-l", self.data / "log", "-w", "start", "-o",
                 f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c max_connections=200"])

    def stop(self, mode: str = "fast") -> None:
        self.pg(["pg_ctl", "-D", self.data / "db", "-m", mode, "-w", "stop"])


@pytest.fixture(scope="session")
def postgres_server():
    """The tests' PostgreSQL server, started (`.ci/system-deps` installs PostgreSQL; tests install nothing)."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL SKIPPED LOUDLY: no /usr/lib/postgresql/*/bin/initdb: run `make system-deps` as "
                    "root, or `apt-get install postgresql`")
    server = PostgresServer(bin_dir)
    server.start()
    yield server
    with contextlib.suppress(subprocess.CalledProcessError):
        server.stop("immediate")
    shutil.rmtree(server.data, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres(postgres_server) -> str:
    """The URL of the tests' PostgreSQL server (no database)."""
    return postgres_server.url


@pytest.fixture(scope="session")
def postgres_database(postgres, tiny, tmp_path_factory):
    """Make a new database holding the assignment: postgres_database(name) -> its URL."""
    def create(name: str, template: str | None = None) -> str:
        connection = psycopg2.connect(f"{postgres.replace('+psycopg2', '')}/postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        connection.close()
        return f"{postgres}/{name}"

    course = tmp_path_factory.mktemp("pg-template") / "course"
    shutil.copytree(tiny, course)
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"c.CourseDirectory.db_url = {create('gradebook_template')!r}\n")
    generate(course)
    return lambda name: create(name, "gradebook_template")


def test_interrupted_run_resumes_with_postgres(new_class, postgres_database, reference, students):
    """With PostgreSQL written by 2 workers at once, after a killed worker and a killed coordinator,
    does a rerun finish the class with the grades sequential nbgrader gives?"""
    url = postgres_database("interrupted")
    course = new_class("pg-interrupted", db_url=url)
    crashed = {s.student_id for s in students if s.crashes_kernel}
    interrupt_then_rerun(course, signal.SIGKILL, url, reference, crashed)


def test_run_stops_when_the_gradebook_goes_away(new_class, postgres_server, postgres_database, reference, students):
    """When PostgreSQL stops answering half way, does the run stop at once and say so (instead of failing every
    student with nbgrader's advice to upgrade the database), and does a rerun once it is back finish the class?"""
    url = postgres_database("outage")
    course = new_class("pg-outage", db_url=url)
    crashed = {s.student_id for s in students if s.crashes_kernel}
    process, err = start_grade(course, "--workers", "2", name="first")
    wait_for(lambda: len(graded_students(err.read_text())) >= 3, "3 students graded")
    postgres_server.stop()
    try:
        process.wait(120)
        out = (course / "first.out").read_text()
        assert process.returncode == 1, out + err.read_text()
        assert re.search(r"^stopped because the gradebook did not answer: \S", out, re.M), out
        assert "db upgrade" not in out
        failures = out.split("failed:\n")[1].split("\nnotes:")[0].splitlines() if "failed:\n" in out else []
        assert all(re.match(r"  s\d+: (the kernel died|the gradebook did not answer)", line) for line in failures), out
        first = autograded(course)
        assert 3 <= len(first) < CLASS_SIZE - len(crashed)
        assert re.search(r"^stopped: \d+ not graded yet; run the command again", out, re.M), out
    finally:
        postgres_server.start()
    rerun = grade(course, "--workers", "2")
    assert set(graded_students(rerun.stderr)).isdisjoint(first)
    assert sorted(autograded(course)) == sorted({key[0] for key in reference} - crashed)
    assert gradebook_rows(url) == reference


# --- bad input changes nothing -----------------------------------------------------------------

def tree(course: Path) -> dict:
    """Every file under the course with its size and modification time."""
    return {str(p.relative_to(course)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in course.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="session")
def small_class(tiny, tmp_path_factory) -> Path:
    """Three ungraded students and one folder holding no notebook."""
    course = tmp_path_factory.mktemp("small") / "course"
    shutil.copytree(tiny, course)
    sample_class.make_class(course, "cnn", 3)
    empty = course / "submitted" / "s99" / "cnn"
    empty.mkdir(parents=True)
    (empty / "notes.txt").write_text("I could not upload my notebook")
    return course


@pytest.mark.parametrize("args, config, message", [
    (["nope"], "", r"unknown assignment 'nope': the gradebook has cnn \(run `nbgrader generate_assignment nope`"),
    (["cnn", "--student", "bob"], "",
     r"no submission for 'bob' \(expected .*submitted/bob/cnn\); students with a submission: s01, s02, s03, s99"),
    (["cnn", "--student", "s99"], "", r"submitted/s99/cnn holds no notebook \(files: notes.txt\)"),
    (["cnn", "--scheduler", "tcp://127.0.0.1:{port}", "--connect-timeout", "2"], "",
     r"cannot reach the Dask scheduler at tcp://127.0.0.1:\d+"),
    (["cnn", "--scheduler", "http://127.0.0.1:{port}", "--connect-timeout", "2"], "",
     r"cannot reach the Dask scheduler at http://127.0.0.1:\d+"),
    (["cnn"], "c.CourseDirectory.db_url = 'postgresql+psycopg2://postgres@127.0.0.1:{port}/gradebook'\n",
     r"the gradebook at postgresql\+psycopg2://postgres@127\.0\.0\.1:\d+/gradebook does not answer"),
    (["cnn"], "c.CourseDirectory.db_url = 'sqlite:///{course}/missing.db'\n", r"no gradebook at .*missing.db"),
], ids=["unknown-assignment", "unknown-student", "no-notebook", "no-scheduler", "not-a-scheduler-address",
        "no-database", "no-sqlite-file"])
def test_bad_input_is_refused_and_changes_nothing(small_class, args, config, message, tmp_path):
    """Is bad input refused with exit status 2 and a message saying what and where, with nothing changed?"""
    course = tmp_path / "course"
    shutil.copytree(small_class, course)
    port = free_port()  # nothing listens there
    if config:
        with open(course / "nbgrader_config.py", "a") as handle:
            handle.write(config.format(port=port, course=course))
    before = tree(course)
    result = subprocess.run([sys.executable, "-m", "helpers", "grade", *[a.format(port=port) for a in args]],
                            cwd=course, env=tool_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert re.search(message, result.stderr), result.stderr
    assert "Traceback" not in result.stderr
    assert tree(course) == before


def test_class_run_reports_a_folder_without_notebook_and_grades_the_rest(small_class, tmp_path):
    """In a whole-class run, is a folder with no notebook reported by name while the others are graded?"""
    course = tmp_path / "course"
    shutil.copytree(small_class, course)
    result = grade(course, "--workers", "2")
    assert result.returncode == 1
    assert re.search(r"^  s99: submitted/s99/cnn holds no notebook \(files: notes.txt\)$", result.stdout, re.M)
    assert sorted(graded_students(result.stderr)) == ["s01", "s02", "s03"]


def test_unreadable_folders_are_reported_and_the_rest_graded(small_class, tmp_path):
    """Do a damaged zip, a notebook that is not one, and a garbled timestamp.txt each cost only their
    own student, reported by name, while the others are graded?"""
    course = tmp_path / "course"
    shutil.copytree(small_class, course)
    shutil.rmtree(course / "submitted" / "s99")
    assert grade(course, "--workers", "2").returncode == 0
    damaged = course / "submitted" / "s04" / "cnn"
    damaged.mkdir(parents=True)
    (damaged / "cnn (1).ipynb").write_text('{"cells": 5}')
    support.write_damaged_zip(damaged / "work.zip", (course / "submitted" / "s02" / "cnn" / "cnn.ipynb").read_text())
    (course / "submitted" / "s01" / "cnn" / "timestamp.txt").write_text("the day before the deadline")
    (course / "submitted" / "s03" / "cnn" / "timestamp.txt").write_text("2099-01-01 00:00:00")  # newer: regraded

    result = grade(course, "--workers", "2")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert re.search(r"^  s01: submitted/s01/cnn/timestamp.txt holds 'the day before the deadline', not a time ",
                     result.stdout, re.M), result.stdout
    assert re.search(r"^  s04: submitted/s04/cnn: no copy of cnn.ipynb: 'cnn \(1\).ipynb', 'work.zip:cnn.ipynb' "
                     r"has none of its cells", result.stdout, re.M), result.stdout
    assert graded_students(result.stderr) == ["s03"]
    assert re.search(r"graded 1, failed 2, skipped 1 ", result.stdout), result.stdout


def test_interrupted_force_regrade_leaves_no_stale_result(new_class, reference, students):
    """When a --force regrade of the class is killed half way, is every autograded folder left in place
    one that run recorded, so that a plain rerun regrades exactly the others?"""
    course = new_class("force-interrupted", renamed=False)
    first = grade(course, "--workers", "2")
    assert first.returncode == 1, first.stdout + first.stderr  # the crashing student
    before = autograded(course)
    process, err = start_grade(course, "--workers", "2", "--force", name="force")
    wait_for(lambda: len(graded_students(err.read_text())) >= 3, "3 students regraded")
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(60)
    regraded = set(graded_students(err.read_text()))
    left = autograded(course)
    assert all(left[s] != before[s] for s in left), "an old autograded folder survived the --force run"
    assert regraded <= set(left) and len(left) < len(before)

    rerun = grade(course, "--workers", "2")
    assert set(graded_students(rerun.stderr)) == set(before) - set(left)
    assert autograded(course).keys() == before.keys()
    assert gradebook_rows(sqlite_url(course)) == reference


def test_zip_collect_submissions_are_matched(tiny, tmp_path):
    """Are notebooks that `nbgrader zip_collect` took from a learning platform's archive graded under their odd names?"""
    course = tmp_path / "course"
    shutil.copytree(tiny, course)
    made = tmp_path / "made-class"
    shutil.copytree(tiny, made)
    sample_class.make_class(made, "cnn", 1, renamed=False)
    archive = course / "downloaded" / "cnn" / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "platform-export.zip", "w") as export:
        export.write(made / "submitted" / "s01" / "cnn" / "cnn.ipynb", "cnn_ada_attempt_2025-01-15-09-00-00_cnn (2).ipynb")
    with open(course / "nbgrader_config.py", "a") as config:
        config.write('c.FileNameCollectorPlugin.named_regexp = '
                     r'r".*_(?P<student_id>\w+)_attempt_(?P<timestamp>[0-9\-]+)_(?P<file_id>.+)"' "\n")
    support.nbgrader(course, "zip_collect", "cnn")
    assert (course / "submitted" / "ada" / "cnn" / "cnn (2).ipynb").exists()
    result = grade(course, "--workers", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ada: graded 'cnn (2).ipynb' as cnn.ipynb" in result.stdout
    assert autograded(course).keys() == {"ada"}


# --- the real course ---------------------------------------------------------------------------

def test_real_course_grades_match_sequential_nbgrader(course_factory, tmp_path_factory):
    """On the real course and its own configuration (sandbox, checks verified outside the kernel),
    do 2 workers give the gradebook sequential nbgrader gives, renamed notebooks included?"""
    template = course_factory("real")
    stock, ours = tmp_path_factory.mktemp("real-stock") / "course", tmp_path_factory.mktemp("real-ours") / "course"
    for course, renamed in ((stock, False), (ours, True)):
        shutil.copytree(template, course)
        sample_class.make_class(course, "cnn", 5, renamed=renamed)  # correct, untouched, wrong, partial, crash
    support.nbgrader(stock, "autograde", "cnn", check=False)
    result = grade(ours, "--workers", "2")
    assert sorted(graded_students(result.stderr)) == sorted(autograded(stock)), result.stdout + result.stderr
    assert "s03: graded 'cnn (1).ipynb' as cnn.ipynb" in result.stdout
    assert "s04: graded 'Copy of cnn.ipynb' as cnn.ipynb" in result.stdout
    assert gradebook_rows(sqlite_url(ours)) == gradebook_rows(sqlite_url(stock))
