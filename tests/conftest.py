"""Shared fixtures: temporary copies of the course, the graded courses several modules read, a numpy 1.x Python.

pytest.ini puts the project root and tests/ on sys.path (`pythonpath`).
"""
import shutil
import sys
from pathlib import Path

import pytest

import graded_class
import support
import variants

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def course_factory(tmp_path_factory):
    """Make a fresh temporary course copy (assignment generated) under a name: course_factory("mutants").

    The assignment is generated once per session (per worker), in a template that each course copies."""
    template = []

    def make(name):
        if not template:
            template.append(support.make_course(tmp_path_factory.mktemp("template") / "course"))
        return shutil.copytree(template[0], tmp_path_factory.mktemp(name) / "course", symlinks=True)
    return make


@pytest.fixture(scope="session")
def variants_course(course_factory):
    """The catalog's submissions (tests/variants.py) graded in one autograde run and fed back: test_mutants and
    test_alternatives read it."""
    return variants.grade(course_factory("variants"))


@pytest.fixture(scope="session")
def class_grading(course_factory):
    """The class of six (tests/graded_class.py) graded and fed back: (course, autograde's CompletedProcess)."""
    return graded_class.grade(course_factory("graded-class"))


@pytest.fixture(scope="session")
def class_course(class_grading):
    """The course of class_grading: test_report and test_browser read it."""
    return class_grading[0]


@pytest.fixture(scope="session")
def students_course(course_factory):
    """A course copy in which test_validate, test_stderr and test_feedback_hidden grade each their own students
    (autograde --student=PREFIX*)."""
    return course_factory("students-view")


@pytest.fixture(scope="session")
def numpy1_python():
    """A Python with the students' older numpy (requirements-numpy1.txt) and nothing else, made once in .cache/."""
    env_dir = ROOT / ".cache" / "numpy1"
    python = env_dir / "bin" / "python"
    lock = ROOT / "requirements-numpy1.txt"
    stamp = env_dir / ".installed"
    if not (stamp.exists() and stamp.read_text() == lock.read_text()):
        shutil.rmtree(env_dir, ignore_errors=True)
        support.make_env(env_dir, sys.executable, lock)
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


# `make test` runs the suite with pytest-xdist, one worker more than the cores, a group at a time on each
# worker: a group is a module, or the modules that read one session fixture's work (made once per
# worker that runs them: so they run on one).
SHARED_WORK = {"test_mutants": "variants", "test_alternatives": "variants",  # tests/variants.py
               "test_report": "graded_class", "test_browser": "graded_class",  # tests/graded_class.py
               "test_numpy_forms": "numpy1", "test_lesson_exercises": "numpy1"}  # the numpy1_python env
# The groups that take 10 s or more, longest first (bench/test_suite.py prints them), started first so
# that the workers end together; the others, a few seconds each, follow in file order.
LONGEST_FIRST = ("test_grade", "test_sandbox_cgroup_v2", "graded_class", "variants", "test_sandbox_attacks",
                 "test_quiet", "test_verdict_only", "test_exchange", "numpy1", "test_validate", "test_sandbox_course",
                 "test_feedback_hidden", "test_stderr", "test_grading", "test_tampering", "test_chain_rule",
                 "test_reproducible")


def group_of(module: str) -> str:
    return SHARED_WORK.get(module, module)


def pytest_collection_modifyitems(items):
    for item in items:
        names = {FIXTURE_MARKERS[name] for name in item.fixturenames if name in FIXTURE_MARKERS}
        names |= set(MODULE_MARKERS.get(item.module.__name__, ()))
        for name in sorted(names):
            item.add_marker(name)
    rank = {group: index for index, group in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(group_of(item.module.__name__), len(rank)))  # stable: file order within


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Hand out whole groups, in collection order (xdist's loadgroup marks do not survive pytest 9.2's node ids)."""
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(Path(nodeid.split("::")[0]).stem)

    config.option.loadscopereorder = False
    return GroupScheduling(config, log)
