"""What of a submission's folder the grading kernel gets: its throwaway working copy.

The launcher copies the planned files into a tmpfs inside the sandbox, so nothing the kernel writes
reaches the autograded folder (and from there the student's feedback). The nbgrader process makes the
same plan to report, as flags, what was left out. Left out are files that would change how the
kernel starts or what it imports instead of the course's own code:

- a module or package whose name is one the kernel imports from elsewhere (numpy.py, numpy/,
  json.py, ...): the kernel finds the submission's folder last on sys.path, so these would not be
  imported anyway, and a beginner's random.py is an accident more often than an attack;
- startup hooks: sitecustomize, usercustomize, matplotlibrc;
- a package or extension module that would win over a .py file of the same name in the folder
  (e.g. cnn_checks/ or cnn_record.so beside the cnn_checks.py and cnn_record.py that autograde copies
  from source/): this would replace the course's own code, so it is also marked as tampering;
- anything beyond the size budget (max_files, max_bytes), symbolic links, pipes and devices.
"""
import importlib.machinery
import os
import stat
import sys
from dataclasses import dataclass, field

STARTUP_HOOKS = {"sitecustomize", "usercustomize"}
STARTUP_FILES = {"matplotlibrc"}
SKIPPED_DIRS = {"__pycache__", ".ipynb_checkpoints"}  # caches, rebuilt on demand: left out, not flagged


@dataclass(frozen=True)
class LeftOut:
    """A path of the submission (relative to its folder) that the kernel does not get, and why."""

    path: str
    reason: str
    tampering: bool = False  # it can only be an attempt on the grading, not an accident

    def text(self) -> str:
        return f"{self.path} in the submission {self.reason}"


@dataclass
class Plan:
    """The working copy: directories to create and files to copy (paths relative to the folder)."""

    dirs: list = field(default_factory=list)
    files: list = field(default_factory=list)
    left_out: list = field(default_factory=list)


def module_name(folder: str, entry: str) -> tuple[str, str] | None:
    """(module name, kind) that a top-level entry of `folder` provides to `import`, or None.

    kind is "source" for NAME.py, "package" for a folder with an __init__, "extension" for NAME.so.
    """
    path = os.path.join(folder, entry)
    if os.path.isdir(path):
        has_init = any(name.startswith("__init__.") for name in os.listdir(path))
        return (entry, "package") if has_init and entry.isidentifier() else None
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        if entry.endswith(suffix) and entry[: -len(suffix)].isidentifier():
            return entry[: -len(suffix)], "extension"
    stem, ext = os.path.splitext(entry)
    return (stem, "source") if ext == ".py" and stem.isidentifier() else None


def importable_elsewhere(name: str) -> bool:
    """Does the kernel's Python find a module `name` without the submission (stdlib, venv, builtin)?"""
    if name in sys.builtin_module_names:
        return True
    paths = [p for p in sys.path if p and os.path.isabs(p) and p.startswith((sys.base_prefix, sys.prefix))]
    return importlib.machinery.PathFinder.find_spec(name, paths) is not None


def shadow(folder: str, entry: str, sources: set) -> LeftOut | None:
    """Why a top-level entry must stay out of the kernel's copy, or None if it may go in."""
    if entry in STARTUP_FILES:
        return LeftOut(entry, "configures the kernel's startup")
    provided = module_name(folder, entry)
    if provided is None:
        return None
    name, kind = provided
    if name in STARTUP_HOOKS:
        return LeftOut(entry, "is a Python startup hook")
    if kind != "source" and name in sources:
        return LeftOut(entry, f"would be imported instead of {name}.py", tampering=True)
    if importable_elsewhere(name):
        return LeftOut(entry, f"has the name of the installed module {name!r}")
    return None


def plan(folder: str, memory_limit: int, max_files: int = 1000) -> Plan:
    """Plan the kernel's working copy of `folder`, in a stable (sorted) order. The copy lives in a
    tmpfs charged to the kernel's memory: it may take half of `memory_limit` bytes."""
    max_bytes = memory_limit // 2
    result = Plan()
    entries = sorted(os.listdir(folder))
    sources = {name for name, kind in filter(None, (module_name(folder, e) for e in entries)) if kind == "source"}
    shadows = {e: left_out for e in entries if (left_out := shadow(folder, e, sources))}
    total = 0
    for dirpath, dirnames, filenames in os.walk(folder):
        relative_dir = os.path.relpath(dirpath, folder)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        for name in dirnames + sorted(filenames):
            relative = os.path.normpath(os.path.join(relative_dir, name))
            path = os.path.join(folder, relative)
            if relative in shadows or os.path.islink(path):
                result.left_out.append(shadows.get(relative) or LeftOut(relative, "is a symbolic link"))
                if name in dirnames:
                    dirnames.remove(name)
                continue
            info = os.lstat(path)
            if stat.S_ISDIR(info.st_mode):
                result.dirs.append(relative)
            elif not stat.S_ISREG(info.st_mode):
                result.left_out.append(LeftOut(relative, "is not a regular file (a pipe, socket or device)"))
            elif len(result.files) >= max_files or total + info.st_size > max_bytes:
                budget = f"{max_files} files, {max_bytes} bytes"
                result.left_out.append(LeftOut(relative, f"and what follows it are beyond the working "
                                                         f"copy's budget ({budget})"))
                return result
            else:
                total += info.st_size
                result.files.append(relative)
    return result


def symbolic_links(folder: str) -> list:
    """Relative paths of the symbolic links under `folder` (nbgrader copies them as their targets)."""
    if not os.path.isdir(folder):
        return []
    links = []
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            if os.path.islink(os.path.join(dirpath, name)):
                links.append(os.path.relpath(os.path.join(dirpath, name), folder))
    return sorted(links)
