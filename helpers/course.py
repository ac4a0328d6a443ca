"""The assignment's facts: where things live, the graded units and their points.

This module is the one place where points are defined; the notebook builder writes them into
the cells' nbgrader metadata and the README's table is checked against them.
"""
import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE_ID = "cnn-step-by-step"
ASSIGNMENT = "cnn"
NOTEBOOK = "cnn"  # the notebook is <assignment>/cnn.ipynb
SOURCE_DIR = ROOT / "source" / ASSIGNMENT
RELEASE_DIR = ROOT / "release" / ASSIGNMENT
CHECKS_MODULE = "cnn_checks"  # shipped beside the notebook: the visible checks, numpy only
RECORD_MODULE = "cnn_record"  # shipped beside it too, imported by the hidden tests only: the recording for the grader
COURSE_FILES = ("nbgrader_config.py", "helpers", "source", "release")  # what a copy of the course needs

# The documented switch: make the optional backward part count. With the environment variable
# CNN_BACKWARD_COUNTS=1 at `make release`, its checks become graded cells with the points below;
# by default they are locked, ungraded cells that are still checked and reported.
BACKWARD_COUNTS = os.environ.get("CNN_BACKWARD_COUNTS", "0") == "1"


@dataclass(frozen=True)
class Unit:
    """One check cell: what it checks and what it is worth."""

    grade_id: str
    function: str
    points: int
    short: str  # column name in tables
    mode: str | None = None  # pooling mode for the pool_forward units
    optional: bool = False  # part of the optional backward section

    @property
    def graded(self) -> bool:
        return not self.optional or BACKWARD_COUNTS

    @property
    def label(self) -> str:
        """The function checked, with its pooling mode: "pool_forward (max)"."""
        return f"{self.function} ({self.mode})" if self.mode else self.function


UNITS = (
    Unit("zero_pad_check", "zero_pad", 10, "pad"),
    Unit("conv_single_step_check", "conv_single_step", 10, "step"),
    Unit("conv_forward_check", "conv_forward", 40, "conv"),
    Unit("pool_forward_max_check", "pool_forward", 20, "max", mode="max"),
    Unit("pool_forward_average_check", "pool_forward", 20, "avg", mode="average"),
    Unit("conv_backward_check", "conv_backward", 10, "conv_b", optional=True),
    Unit("create_mask_from_window_check", "create_mask_from_window", 5, "mask", optional=True),
    Unit("distribute_value_check", "distribute_value", 5, "dist", optional=True),
    Unit("pool_backward_check", "pool_backward", 10, "pool_b", optional=True),
)
UNITS_BY_ID = {unit.grade_id: unit for unit in UNITS}

# The helpers each function calls. While a function is graded, the instructor's versions stand in
# for them (a bug is charged once, where it is); its visible check first makes sure they pass their
# own. The shipped checks module keeps a copy (cnn_checks.HELPERS, numpy only), which a test compares.
HELPERS = {
    "conv_forward": ("zero_pad", "conv_single_step"),
    "conv_backward": ("zero_pad",),
    "pool_backward": ("create_mask_from_window", "distribute_value"),
}


def helper_units(function: str) -> tuple:
    """The check cells of the helpers that function calls."""
    return tuple(unit for helper in HELPERS.get(function, ()) for unit in UNITS if unit.function == helper)


def points(unit: Unit) -> int:
    """Points the unit is worth in the current build (0 for the optional part unless switched on)."""
    return unit.points if unit.graded else 0


def total_points() -> int:
    return sum(points(unit) for unit in UNITS)


def tool_env(**extra) -> dict:
    """The environment for nbgrader and the tools it starts: this Python's bin/ first on PATH.

    nbgrader runs `alembic` by name, so the venv's bin/ must be on PATH even when nbgrader is
    started as `.venv/bin/python -m nbgrader`.
    """
    bin_dir = os.path.dirname(sys.executable)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", **extra}
