"""Restore the hidden tests of check cells that the student left as released (an autograde sanitizer).

The release's check cells lack their hidden tests, so nbgrader's OverwriteCells, which compares
each locked cell with the source's, would report every one as changed ("Attribute 'checksum' for
cell ... has changed!") and restore it. Placed before OverwriteCells, RestoreHiddenTests puts the
source's text back in the cells whose text is exactly the released one, so that nbgrader's
warning is left for a check cell the student really edited.
"""
import copy

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor


class RestoreHiddenTests(NbGraderPreprocessor):
    """Give a locked cell identical to its released version the source's text, hidden tests included."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        clear = ClearHiddenTests(parent=self)  # the release's own way of removing the hidden region
        with Gradebook(info["db_url"]) as gradebook:
            for cell in nb.cells:
                meta = cell.metadata.get("nbgrader", {})
                if not meta.get("locked") or "grade_id" not in meta:
                    continue
                try:
                    source_cell = gradebook.find_source_cell(meta["grade_id"], info["notebook"], info["assignment"])
                except MissingEntry:
                    continue  # OverwriteCells reports it
                released = copy.deepcopy(cell)
                released.source = source_cell.source
                clear._remove_hidden_test_region(released)
                if cell.source == released.source:
                    cell.source = source_cell.source
        return nb, resources
