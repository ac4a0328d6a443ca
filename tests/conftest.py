"""Shared fixtures: the project root on sys.path, and temporary copies of the course."""
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
