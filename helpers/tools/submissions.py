"""Making submissions from the release: solution cells filled with given code."""
import inspect

import nbformat

from helpers import reference
from helpers.course import UNITS


def reference_sources() -> dict:
    """{function name: the instructor's source} for every function of the assignment."""
    return {unit.function: inspect.getsource(getattr(reference, unit.function)) for unit in UNITS}


def with_solutions(notebook, sources: dict):
    """A copy of notebook whose solution cells for the named functions hold the given code."""
    notebook = nbformat.from_dict(notebook)
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") in sources:
            cell.source = sources[meta["grade_id"]]
    return notebook
