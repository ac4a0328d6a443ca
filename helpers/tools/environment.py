"""Writes environment.yml, the conda environment, from the lock: `make lock` runs it after compiling.

The conda environment is Python 3.11 and pip, with every pin of requirements-test.txt (the whole
locked set: the course and its tests) installed by pip, so conda users get exactly the versions
that `make test` installs. Standard library only: `python3 helpers/tools/environment.py` works
before any venv exists. `--check` exits 1 if environment.yml is not what the lock gives.
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
LOCK = ROOT / "requirements-test.txt"
ENVIRONMENT = ROOT / "environment.yml"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)==([^\s;#]+)", re.M)

HEADER = """\
# Generated from requirements-test.txt by `make lock` (helpers/tools/environment.py): do not edit.
# For conda users: the same pinned versions that `make test` installs, the course and its tests.
{left_out}# The README's commands do not need conda: `make demo` and `make test` set up a venv.
name: cnn-step-by-step
channels:
  - conda-forge
dependencies:
  - python=3.11
  - pip
  - pip:
"""


def pins(lock_text: str) -> list[tuple[str, str]]:
    """The (name, version) pins of a compiled requirements file, in its order."""
    return PIN.findall(lock_text)


def left_out(lock_text: str) -> list[str]:
    """The packages that uv's --no-emit-package kept out of a compiled requirements file, in its order."""
    _, found, listed = lock_text.partition("# The following packages were excluded from the output:\n")
    return re.findall(r"^# (\S+)$", listed, re.M) if found else []


def render(lock_text: str) -> str:
    """environment.yml's text for the lock's text."""
    missing = left_out(lock_text)
    note = f"# pip adds {' and '.join(missing)}, which the venv leaves out (LEFT_OUT in the Makefile) but nothing needs.\n"
    return (HEADER.format(left_out=note if missing else "")
            + "".join(f"      - {name}=={version}\n" for name, version in pins(lock_text)))


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    text = render(LOCK.read_text(encoding="utf-8"))
    if "--check" in argv:
        same = ENVIRONMENT.exists() and ENVIRONMENT.read_text(encoding="utf-8") == text
        print(f"{ENVIRONMENT.name} {'matches' if same else 'does not match'} {LOCK.name}"
              + ("" if same else ": run `make lock`"))
        return 0 if same else 1
    ENVIRONMENT.write_text(text, encoding="utf-8")
    print(f"wrote {ENVIRONMENT.name} from {LOCK.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
