"""Are submitted notebooks found the way instructors receive them: renamed, in subfolders, zipped?"""
import zipfile

import nbformat
import pytest

import support
from helpers.tools.grade.intake import inspect_submission, materialize

EXPECTED = {"cnn": {"pad", "pad_check", "dot", "dot_check"}}


def notebook(*grade_ids: str) -> str:
    """A notebook whose cells carry these nbgrader grade_ids."""
    cells = [nbformat.v4.new_code_cell(f"# {grade_id}", metadata={"nbgrader": {"grade_id": grade_id}})
             for grade_id in grade_ids]
    return nbformat.writes(nbformat.v4.new_notebook(cells=cells))


ASSIGNMENT = notebook("pad", "pad_check", "dot", "dot_check")


def inspect(folder):
    return inspect_submission(str(folder), "ada", EXPECTED, "submitted/ada/cnn")


@pytest.mark.parametrize("name", ["cnn (1).ipynb", "cnn-Copy1.ipynb", "Copy of cnn.ipynb",
                                  "Convolution_model_Step_by_Step_v2a.ipynb", "work/cnn.ipynb"])
def test_renamed_notebook_is_matched_by_its_cells(tmp_path, name):
    """Is a notebook holding the assignment's cells graded as cnn.ipynb whatever its name, original kept?"""
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(ASSIGNMENT)
    intake = inspect(tmp_path)
    assert intake.problem is None
    assert intake.notes == [f"graded {name!r} as cnn.ipynb"]
    materialize(str(tmp_path), intake)
    assert (tmp_path / "cnn.ipynb").read_text() == ASSIGNMENT
    assert (tmp_path / name).exists()


def test_notebook_inside_a_zip_is_extracted(tmp_path):
    """Is the notebook in a zip the student handed in extracted as cnn.ipynb, macOS debris ignored?"""
    with zipfile.ZipFile(tmp_path / "submission.zip", "w") as archive:
        archive.writestr("__MACOSX/cnn/._cnn.ipynb", "not a notebook")
        archive.writestr("cnn/.ipynb_checkpoints/cnn-checkpoint.ipynb", ASSIGNMENT)
        archive.writestr("cnn/cnn.ipynb", ASSIGNMENT)
    intake = inspect(tmp_path)
    assert intake.notes == ["graded 'submission.zip:cnn/cnn.ipynb' as cnn.ipynb"]
    materialize(str(tmp_path), intake)
    assert (tmp_path / "cnn.ipynb").read_text() == ASSIGNMENT


def test_the_copy_named_like_the_assignment_wins(tmp_path):
    """When two notebooks hold the cells, is the one named like the released notebook chosen?"""
    (tmp_path / "old attempt.ipynb").write_text(ASSIGNMENT)
    (tmp_path / "cnn (2).ipynb").write_text(ASSIGNMENT)
    intake = inspect(tmp_path)
    assert intake.copies["cnn"].path == "cnn (2).ipynb"
    assert intake.notes == ["graded 'cnn (2).ipynb' as cnn.ipynb", "ignored 'old attempt.ipynb'"]


def test_the_most_complete_copy_wins(tmp_path):
    """Is a notebook holding more of the assignment's cells preferred to one holding fewer?"""
    (tmp_path / "cnn (1).ipynb").write_text(notebook("pad"))
    (tmp_path / "final.ipynb").write_text(ASSIGNMENT)
    assert inspect(tmp_path).copies["cnn"].path == "final.ipynb"


def test_two_equal_candidates_are_reported_by_name(tmp_path):
    """Are two equally good notebooks with other names reported, both named, instead of guessed?"""
    (tmp_path / "draft.ipynb").write_text(ASSIGNMENT)
    (tmp_path / "final.ipynb").write_text(ASSIGNMENT)
    intake = inspect(tmp_path)
    assert intake.problem == ("submitted/ada/cnn: 'draft.ipynb' and 'final.ipynb' could each be cnn.ipynb: "
                              "keep the one to grade as cnn.ipynb")
    assert not intake.copies


def test_unrelated_notebook_is_reported_not_graded(tmp_path):
    """Is a notebook without the assignment's cells (another assignment, a fresh notebook) reported by name?"""
    (tmp_path / "scratch.ipynb").write_text(notebook("something_else"))
    intake = inspect(tmp_path)
    assert intake.problem == ("submitted/ada/cnn: no copy of cnn.ipynb: 'scratch.ipynb' has none of its cells "
                              "(rename it to cnn.ipynb if it is the assignment)")


def test_folder_without_notebook_lists_what_it_holds(tmp_path):
    """Does a folder holding only other files say so and list them?"""
    (tmp_path / "notes.txt").write_text("sorry")
    (tmp_path / "timestamp.txt").write_text("2025-01-15 09:00:00 UTC")
    assert inspect(tmp_path).problem == "submitted/ada/cnn holds no notebook (files: notes.txt, timestamp.txt)"


def test_released_name_is_used_as_is_and_extra_copies_noted(tmp_path):
    """With cnn.ipynb present, is nothing copied and another notebook noted as ignored?"""
    (tmp_path / "cnn.ipynb").write_text(ASSIGNMENT)
    (tmp_path / "cnn-Copy1.ipynb").write_text(notebook("pad"))
    intake = inspect(tmp_path)
    assert intake.problem is None and not intake.copies
    assert intake.notes == ["ignored 'cnn-Copy1.ipynb'"]


def test_copy_made_earlier_is_not_noted_again(tmp_path):
    """After a renamed notebook was copied to cnn.ipynb, does a later run stay quiet about the original?"""
    (tmp_path / "cnn (1).ipynb").write_text(ASSIGNMENT)
    materialize(str(tmp_path), inspect(tmp_path))
    intake = inspect(tmp_path)
    assert intake.problem is None and not intake.copies and intake.notes == []


@pytest.mark.parametrize("damage", [
    lambda folder: support.write_damaged_zip(folder / "work.zip", ASSIGNMENT),
    lambda folder: (folder / "mine.ipynb").write_text('{"cells": [{"metadata": "oops"}]}'),
    lambda folder: (folder / "mine.ipynb").write_text('{"cells": 5}'),
    lambda folder: (folder / "mine.ipynb").write_text("[1, 2]"),
    lambda folder: (folder / "mine.ipynb").write_bytes(b"\xff\xfe not json"),
], ids=["zip-checksum", "metadata-not-a-dict", "cells-not-a-list", "not-an-object", "not-text"])
def test_damaged_notebook_or_zip_is_reported_not_a_crash(tmp_path, damage):
    """Is a notebook that cannot be read, or a zip that fails its checksum, reported by name?"""
    damage(tmp_path)
    intake = inspect(tmp_path)
    assert intake.problem is not None and intake.problem.startswith("submitted/ada/cnn: no copy of cnn.ipynb: ")
    assert "has none of its cells" in intake.problem
