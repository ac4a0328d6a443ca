"""nbgrader's own view of a course: its configuration, loaded once per process, and the paths it implies.

The configuration is loaded exactly as `nbgrader autograde` loads it when started in the course
root (system and user nbgrader_config.py, then the course's), so workers run the same
preprocessors with the same settings as the stock command.
"""
import logging
import os

from nbgrader.apps import AutogradeApp
from nbgrader.coursedir import CourseDirectory

STAGING = ".staging"  # under the autograded folder: where workers write before results move into place
LOGS = ".grade-logs"  # under the autograded folder: nbgrader's log of each failed student, worker output

_APPS: dict[str, tuple[int, AutogradeApp]] = {}  # course root -> (config file's mtime, app)


class CourseError(Exception):
    """The course cannot be graded as asked; the message says what and where."""


def first_line(error: BaseException) -> str:
    """An error in one line: its type and the first line of its message."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"


def nbgrader_app(course_root: str) -> AutogradeApp:
    """The course's AutogradeApp, initialised as `nbgrader autograde` is in the course root.

    Cached per process until the course's nbgrader_config.py changes (Dask workers live long).
    Its console log handler is removed: workers capture each student's log themselves.
    """
    root = os.path.realpath(course_root)
    config = os.path.join(root, "nbgrader_config.py")
    if not os.path.isfile(config):
        raise CourseError(f"{root} is not an nbgrader course: it has no nbgrader_config.py")
    version = os.stat(config).st_mtime_ns
    if _APPS.get(root, (None,))[0] != version:
        previous = os.getcwd()
        os.chdir(root)
        try:
            app = AutogradeApp()
            app.initialize([])
        except SystemExit as error:
            raise CourseError(f"nbgrader could not load the configuration in {root} (exit {error.code})") from None
        finally:
            os.chdir(previous)
        for handler in list(app.log.handlers):
            if type(handler) is logging.StreamHandler:
                app.log.removeHandler(handler)
        _APPS[root] = (version, app)
    return _APPS[root][1]


def coursedir(app: AutogradeApp, assignment: str, student: str = "*", **overrides) -> CourseDirectory:
    """A fresh CourseDirectory with the course's configuration, for one assignment (and student)."""
    directory = CourseDirectory(parent=app, root=app.coursedir.root)
    directory.assignment_id = assignment
    directory.student_id = student
    for name, value in overrides.items():
        setattr(directory, name, value)
    return directory


def check_layout(directory: CourseDirectory) -> None:
    """Staging inside the autograded folder needs nbgrader's step-first directory structure."""
    if not directory.directory_structure.startswith("{nbgrader_step}"):
        raise CourseError(
            f"CourseDirectory.directory_structure is {directory.directory_structure!r}; "
            "grading a class needs it to start with '{nbgrader_step}' (nbgrader's default)")


def submitted_folder(directory: CourseDirectory, student: str) -> str:
    return directory.format_path(directory.submitted_directory, student, directory.assignment_id)


def autograded_folder(directory: CourseDirectory, student: str) -> str:
    return directory.format_path(directory.autograded_directory, student, directory.assignment_id)


def staging_step(directory: CourseDirectory, run_id: str, token: str) -> str:
    """The nbgrader step (relative to the root) a worker writes one student's attempt under."""
    return os.path.join(directory.autograded_directory, STAGING, run_id, token)


def staging_root(directory: CourseDirectory) -> str:
    return os.path.join(directory.root, directory.autograded_directory, STAGING)


def logs_root(directory: CourseDirectory) -> str:
    return os.path.join(directory.root, directory.autograded_directory, LOGS)
