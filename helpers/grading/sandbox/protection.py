"""What protection this machine gives grading kernels: a working bubblewrap, per-kernel cgroups."""
import functools
import shutil
import subprocess
import sys
from dataclasses import dataclass

from helpers.grading.sandbox import cgroups


@dataclass(frozen=True)
class Protection:
    bwrap: str | None  # path of a bubblewrap that made a sandbox here, None if none could
    cgroups: bool  # one cgroup per kernel can be made (v1 as root, v2 as root or in a delegated subtree)
    missing: tuple  # what is missing, in words an instructor can act on

    @property
    def sandboxed(self) -> bool:
        return self.bwrap is not None


def bwrap_missing(name: str) -> tuple[str | None, str | None]:
    """(path of a bubblewrap that works, None) or (None, why there is none)."""
    if not sys.platform.startswith("linux"):
        return None, f"no sandbox on {sys.platform}: bubblewrap needs Linux"
    path = shutil.which(name)
    if path is None:
        return None, f"bubblewrap ({name!r}) is not installed: apt-get install bubblewrap"
    trial = [path, "--unshare-all", "--unshare-user", "--disable-userns", "--cap-drop", "ALL",
             "--ro-bind", "/", "/", "true"]
    try:
        run = subprocess.run(trial, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, f"{path} could not make a sandbox: {error}"
    if run.returncode != 0:
        return None, f"{path} could not make a sandbox here: {run.stderr.strip() or run.returncode}"
    return path, None


@functools.lru_cache(maxsize=None)
def probe(bwrap: str = "bwrap") -> Protection:
    """Check once per process (a trial sandbox takes a few milliseconds). On cgroup v2 this also moves
    the grader's starting group into a leaf (cgroups.prepare): its kernels' groups go beside it."""
    path, no_bwrap = bwrap_missing(bwrap)
    no_cgroups = cgroups.prepare() if sys.platform.startswith("linux") else "cgroups need Linux"
    missing = tuple(reason for reason in (no_bwrap, no_cgroups) if reason)
    return Protection(bwrap=path, cgroups=no_cgroups is None, missing=missing)
