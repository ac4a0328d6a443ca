"""Shared fixtures: the project root on sys.path, temporary copies of the course, a numpy 1.x Python."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import support  # noqa: E402


@pytest.fixture(scope="session")
def course_factory(tmp_path_factory):
    """Make a fresh temporary course copy (assignment generated) under a name: course_factory("mutants")."""
    def make(name):
        return support.make_course(tmp_path_factory.mktemp(name) / "course")
    return make


@pytest.fixture(scope="session")
def numpy1_python():
    """A Python with the students' older numpy (requirements-numpy1.txt) and nothing else, made once in .cache/."""
    env_dir = ROOT / ".cache" / "numpy1"
    python = env_dir / "bin" / "python"
    lock = ROOT / "requirements-numpy1.txt"
    stamp = env_dir / ".installed"
    if not (stamp.exists() and stamp.read_text() == lock.read_text()):
        shutil.rmtree(env_dir, ignore_errors=True)
        uv = shutil.which("uv") or (None if subprocess.run([sys.executable, "-m", "uv", "--version"],
                                                           capture_output=True).returncode else f"{sys.executable} -m uv")
        if uv:
            subprocess.run([*uv.split(), "venv", "-q", "-p", sys.executable, str(env_dir)], check=True)
            subprocess.run([*uv.split(), "pip", "install", "-q", "-p", str(python), "-r", str(lock)], check=True)
        else:
            subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
            subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(lock)], check=True)
        stamp.write_text(lock.read_text())
    return python


# The markers of pytest.ini, given by what a test needs, so that `make test-fast` (everything that
# starts no kernel, browser, VM or database) selects itself: by the fixtures a test uses, and by
# module for tests that start kernels or sandboxes themselves.
FIXTURE_MARKERS = {"course_factory": "nbgrader", "numpy1_python": "nbgrader", "postgres_server": "postgres",
                   "browser": "browser", "vm": "vm"}
MODULE_MARKERS = {
    "test_sandbox_cgroup_v2": ("vm", "sandbox"), "test_sandbox_kernels": ("sandbox", "nbgrader"),
    "test_sandbox_attacks": ("sandbox", "nbgrader"), "test_sandbox_course": ("sandbox", "nbgrader"),
    "test_exchange": ("sandbox", "nbgrader"), "test_notebooks": ("nbgrader",), "test_lesson_exercises": ("nbgrader",),
    "test_lesson_activities": ("nbgrader",), "test_grade": ("nbgrader",), "test_grade_local": ("nbgrader",),
    "test_reproducible": ("nbgrader",), "test_validate": ("nbgrader",), "test_stderr": ("nbgrader",),
}


def pytest_collection_modifyitems(items):
    for item in items:
        names = {FIXTURE_MARKERS[name] for name in item.fixturenames if name in FIXTURE_MARKERS}
        names |= set(MODULE_MARKERS.get(item.module.__name__, ()))
        for name in sorted(names):
            item.add_marker(name)
