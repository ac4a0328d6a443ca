"""Submissions as instructors get them: find each student's notebook in their submitted folder.

A notebook renamed by the student or the browser ("cnn (1).ipynb", "cnn-Copy1.ipynb",
"Copy of cnn.ipynb"), one in a subfolder, or one inside a zip the student handed in (or that
`nbgrader zip_collect` collected from a learning platform under the platform's file name) is
recognised by its content, the nbgrader cell ids of the assignment's notebook, and copied beside
the original under the released name; the original stays. When several could be it, the one named
like the released notebook wins; if that does not settle it, or none matches, the folder is
reported with the names it holds and the student is not graded: never a silent 0.
"""
import hashlib
import json
import os
import re
import shutil
import time
import zipfile
from dataclasses import dataclass, field

MAX_NOTEBOOK_BYTES = 100 * 2**20  # a zip member larger than this is not read
COPY_SUFFIX = re.compile(r"(\s*\(\d+\)|[-_ ]copy\d*|\s+-\s+copy)+$")


@dataclass
class Candidate:
    """A notebook in a submitted folder: a file (member None) or a member of a zip file."""

    path: str  # relative to the student's folder
    member: str | None = None
    cell_ids: frozenset = frozenset()
    digest: str = ""  # of the notebook's bytes

    @property
    def name(self) -> str:
        return f"{self.path}:{self.member}" if self.member else self.path

    def normalised_stem(self) -> str:
        stem = os.path.splitext(os.path.basename(self.member or self.path))[0].lower()
        return COPY_SUFFIX.sub("", stem.removeprefix("copy of ")).strip()

    def read(self, folder: str) -> bytes:
        if self.member is None:
            with open(os.path.join(folder, self.path), "rb") as handle:
                return handle.read()
        with zipfile.ZipFile(os.path.join(folder, self.path)) as archive:
            return archive.read(self.member)


@dataclass
class Intake:
    """What a student's folder holds for grading: copies to make, or why it cannot be graded."""

    student: str
    copies: dict[str, Candidate] = field(default_factory=dict)  # expected notebook -> where it is
    problem: str | None = None
    notes: list[str] = field(default_factory=list)


def candidates(folder: str, skip: frozenset = frozenset()) -> list[Candidate]:
    """Every notebook in the folder, its subfolders and its zip files (except the paths in skip),
    with its nbgrader cell ids."""
    found = []
    for directory, subdirs, files in os.walk(folder):
        subdirs[:] = [d for d in subdirs if not d.startswith(".") and d != "__MACOSX"]
        for name in sorted(files):
            path = os.path.relpath(os.path.join(directory, name), folder)
            if name.endswith(".ipynb") and path not in skip:
                found.append(Candidate(path))
            elif name.endswith(".zip"):
                found.extend(_zip_members(folder, path))
    return [Candidate(c.path, c.member, _cell_ids(data), hashlib.sha256(data).hexdigest())
            for c in found for data in [_read_or_nothing(c, folder)]]


def inspect_submission(folder: str, student: str, expected: dict[str, set[str]], shown: str) -> Intake:
    """Match the notebooks in folder to the assignment's notebooks (name -> cell ids).

    `shown` is how the folder is named in messages (relative to the course root).
    """
    intake = Intake(student)
    if not os.path.isdir(folder):
        intake.problem = f"{shown} does not exist"
        return intake
    present = {f"{name}.ipynb" for name in expected if os.path.isfile(os.path.join(folder, f"{name}.ipynb"))}
    found = candidates(folder, skip=frozenset(present))
    if not present and not found:
        files = sorted(os.listdir(folder))
        intake.problem = f"{shown} holds no notebook ({'files: ' + ', '.join(files) if files else 'it is empty'})"
        return intake
    for name, cell_ids in expected.items():
        if f"{name}.ipynb" in present:
            continue
        best = _best_match(found, name, cell_ids)
        if isinstance(best, Candidate):
            intake.copies[name] = best
            intake.notes.append(f"graded {best.name!r} as {name}.ipynb")
        elif present or intake.copies:
            intake.notes.append(f"no {name}.ipynb: nbgrader scores it 0")
        else:
            intake.problem = f"{shown}: {best}"
            return intake
    matched = {c.name for c in intake.copies.values()}
    others = [c for c in found if c.name not in matched and c.member is None]
    if others:
        copied = {_digest(os.path.join(folder, name)) for name in present}  # originals of earlier copies
        ignored = [c.name for c in others if c.digest not in copied]
        if ignored:
            intake.notes.append("ignored " + ", ".join(repr(name) for name in ignored))
    return intake


def materialize(folder: str, intake: Intake) -> None:
    """Copy each matched notebook beside the original under its released name."""
    for name, candidate in intake.copies.items():
        target = os.path.join(folder, f"{name}.ipynb")
        if candidate.member is None:
            shutil.copy2(os.path.join(folder, candidate.path), target)
            continue
        with zipfile.ZipFile(os.path.join(folder, candidate.path)) as archive:
            info = archive.getinfo(candidate.member)
            with open(target, "wb") as handle:
                handle.write(archive.read(info))
        stamp = time.mktime(info.date_time + (0, 0, -1))
        os.utime(target, (stamp, stamp))


def _best_match(found: list[Candidate], name: str, cell_ids: set[str]) -> "Candidate | str":
    """The candidate that is notebook `name`, or a sentence saying why there is none."""
    overlap = {c.name: len(c.cell_ids & cell_ids) for c in found}
    top = max(overlap.values(), default=0)
    best = [c for c in found if top and overlap[c.name] == top]
    if len(best) > 1:
        best = [c for c in best if c.normalised_stem() == name.lower()] or best
    if len(best) == 1:
        return best[0]
    if best:
        names = " and ".join(repr(c.name) for c in best)
        return f"{names} could each be {name}.ipynb: keep the one to grade as {name}.ipynb"
    names = ", ".join(repr(c.name) for c in found)
    return (f"no copy of {name}.ipynb: {names} has none of its cells "
            f"(rename it to {name}.ipynb if it is the assignment)")


def _digest(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _zip_members(folder: str, path: str) -> list[Candidate]:
    try:
        with zipfile.ZipFile(os.path.join(folder, path)) as archive:
            return [Candidate(path, info.filename) for info in archive.infolist()
                    if info.filename.endswith(".ipynb") and info.file_size <= MAX_NOTEBOOK_BYTES
                    and not any(part.startswith(".") or part == "__MACOSX" for part in info.filename.split("/"))]
    except zipfile.BadZipFile:
        return []


def _read_or_nothing(candidate: Candidate, folder: str) -> bytes:
    """The candidate's bytes, or none if it cannot be read (a damaged zip, a file without permission)."""
    try:
        return candidate.read(folder)
    except (OSError, zipfile.BadZipFile, EOFError, RuntimeError, NotImplementedError):  # what zipfile raises
        return b""


def _cell_ids(data: bytes) -> frozenset:
    """The nbgrader grade_ids in a notebook's JSON (empty if it is not a readable notebook)."""
    try:
        cells = json.loads(data).get("cells", [])
        return frozenset(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                         for cell in cells if isinstance(cell, dict)) - {None}
    except (ValueError, AttributeError, TypeError):  # not JSON, or not shaped like a notebook
        return frozenset()
