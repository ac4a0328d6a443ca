"""One cgroup per grading kernel (memory and pids controllers): limits that hold per kernel.

cgroup v1 (and hybrid hosts that mount memory and pids as v1): as root, the launcher makes each
kernel's groups inside the launcher's own memory and pids groups, so whatever limits the machine
already puts on the grader still apply on top.

cgroup v2: two rules shape the layout. A group that holds processes cannot enable controllers for
its children, and moving a process needs write access to the `cgroup.procs` of the common ancestor.
So the grader runs in a subtree it may write to (as root any group; as another user a delegated one,
which it owns with its cgroup.procs, cgroup.subtree_control and cgroup.threads), moves every process
of that group into a leaf (LEAF), enables +memory +pids for the group's children, and each kernel's
group is a sibling of the leaf. `prepare` does this once per grader; a grader started later from a
shell in the leaf finds the subtree ready.

Groups are named after their launcher's pid and removed when the kernel ends; one whose launcher is
gone was left by a launcher killed together with its reaper (a service manager or a job runner killing
every process of the grader's own group) and is removed when the next kernel starts.
"""
import os
import signal
import time
from dataclasses import dataclass

from helpers.grading import leftovers

CONTROLLERS = ("memory", "pids")
CGROUP_ROOT = "/sys/fs/cgroup"
PREFIX = "cnn-kernel-"
LEAF = "cnn-grader"  # cgroup v2: where the processes of the grader's starting group go
DELEGATE = ("start autograde in a cgroup it may write to: as root `systemd-run --scope -p Delegate=yes "
            "nbgrader autograde ...`, as another user `systemd-run --user --scope -p Delegate=yes nbgrader "
            "autograde ...` from a login shell (README, \"Safety\")")
# (file, what it gets) in the order written: v1 memsw must not be below the memory limit, v2 keeps swap out
LIMIT_FILES = (("memory.limit_in_bytes", "memory"), ("memory.memsw.limit_in_bytes", "memory"),
               ("memory.max", "memory"), ("memory.swap.max", "no swap"), ("pids.max", "pids"))


class Unavailable(Exception):
    """No per-kernel groups here; the message says why and how to fix it."""


def own_group(controller: str, proc_cgroup: str = "/proc/self/cgroup") -> str | None:
    """Folder of this process's cgroup v1 group for `controller`, or None if it is not mounted."""
    try:
        with open(proc_cgroup) as lines:
            for line in lines:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                if controller in controllers.split(","):
                    folder = os.path.join(CGROUP_ROOT, controller) + path
                    return folder if os.path.isdir(folder) else None
    except OSError:
        return None
    return None


def unified_mount() -> str | None:
    """Where cgroup v2 is mounted: /sys/fs/cgroup (v2 only) or /sys/fs/cgroup/unified (hybrid)."""
    for folder in (CGROUP_ROOT, os.path.join(CGROUP_ROOT, "unified")):
        if os.path.exists(os.path.join(folder, "cgroup.controllers")):
            return folder
    return None


def unified_group(mount: str, proc_cgroup: str = "/proc/self/cgroup") -> str:
    """Folder of this process's cgroup v2 group (the `0::PATH` line)."""
    with open(proc_cgroup) as lines:
        path = next(line[3:].rstrip("\n") for line in lines if line.startswith("0::"))
    return mount.rstrip("/") + path.rstrip("/") if path != "/" else mount


def subtree(group: str) -> str:
    """The grader's subtree: its group, or the group's parent once the grader has moved into LEAF."""
    return os.path.dirname(group) if os.path.basename(group) == LEAF else group


def is_v1() -> bool:
    return all(own_group(c) is not None for c in CONTROLLERS)


def parents() -> tuple:
    """The folders kernel groups are made in: v1 the grader's memory and pids groups, v2 its subtree."""
    if is_v1():
        return tuple(own_group(c) for c in CONTROLLERS)
    mount = unified_mount()
    return (subtree(unified_group(mount)),)


def prepare() -> str | None:
    """Make per-kernel groups possible for this process and its children; why not, or None when they are."""
    try:
        if is_v1():
            prepare_v1()
        elif (mount := unified_mount()) is not None:
            prepare_v2(mount, subtree(unified_group(mount)))
        else:
            raise Unavailable(f"no cgroup hierarchy with the memory and pids controllers under {CGROUP_ROOT} "
                              "(neither v1 memory/ and pids/ nor v2)")
    except Unavailable as reason:
        return str(reason)
    return None


def prepare_v1() -> None:
    if os.geteuid() != 0:
        raise Unavailable("cgroup v1 groups need root (autograde runs as an unprivileged user; on cgroup v2 "
                          "a delegated subtree would do)")
    for folder in parents():
        if not os.access(folder, os.W_OK):
            raise Unavailable(f"{folder} is not writable")


def prepare_v2(mount: str, base: str) -> None:
    """Enable memory and pids for the children of `base`, after moving its processes into base/LEAF."""
    if os.statvfs(mount).f_flag & os.ST_RDONLY:
        raise Unavailable(f"cgroup v2 at {mount} is mounted read-only (a container?): mount it read-write, "
                          f"or {DELEGATE}")
    lacking = [c for c in CONTROLLERS if c not in read(mount, "cgroup.controllers").split()]
    if lacking:
        raise Unavailable(f"cgroup v2 at {mount} has no {' and '.join(lacking)} controller (bound to cgroup v1, "
                          "or disabled on the kernel command line): boot with systemd.unified_cgroup_hierarchy=1 "
                          "and without cgroup_disable=memory")
    not_writable = [name for name in ("", "cgroup.procs", "cgroup.subtree_control", "cgroup.threads")
                    if not os.access(os.path.join(base, name), os.W_OK)]
    if not_writable and base != mount:
        names = ", ".join(name or "the folder itself" for name in not_writable)
        raise Unavailable(f"{base}, the grader's cgroup, is not delegated to uid {os.geteuid()} (not writable: "
                          f"{names}): {DELEGATE}")
    enable_above(mount, base)
    if base != mount:  # the root group may hold processes (and holds kernel threads, which cannot move)
        move_into_leaf(base)
    try:
        enable(base)
    except OSError as error:
        raise Unavailable(f"cannot enable memory and pids for the children of {base}: {error}: {DELEGATE}")


def enable_above(mount: str, base: str) -> None:
    """Enable memory and pids from the root down to `base`'s parent where `base` does not get them yet
    (root can; a delegated subtree gets them from whoever delegated it)."""
    lacking = [c for c in CONTROLLERS if c not in read(base, "cgroup.controllers").split()]
    if base == mount or not lacking:
        return
    above = [mount]
    for part in os.path.relpath(os.path.dirname(base), mount).split(os.sep):
        if part != ".":
            above.append(os.path.join(above[-1], part))
    for folder in above:
        try:
            enable(folder)
        except OSError as error:
            raise Unavailable(f"{base} does not get the {' and '.join(lacking)} controller and it cannot be "
                              f"enabled above it ({error}): as root `echo '+memory +pids' > "
                              f"{folder}/cgroup.subtree_control`, or {DELEGATE}")


def enable(folder: str) -> None:
    if not all(c in read(folder, "cgroup.subtree_control").split() for c in CONTROLLERS):
        write(folder, "cgroup.subtree_control", " ".join(f"+{c}" for c in CONTROLLERS))


def move_into_leaf(base: str) -> None:
    """Move every process of `base` into base/LEAF ("no internal processes": then `base` may enable
    controllers for its children). Processes forked meanwhile are caught by the next round."""
    leaf = os.path.join(base, LEAF)
    os.makedirs(leaf, exist_ok=True)
    for _ in range(100):
        pids = read(base, "cgroup.procs").split()
        if not pids:
            return
        for pid in pids:
            try:
                write(leaf, "cgroup.procs", pid)
            except ProcessLookupError:  # exited meanwhile
                pass
            except OSError as error:
                raise Unavailable(f"cannot move process {pid} from {base} into {leaf}: {error}: {DELEGATE}")
    raise Unavailable(f"processes keep appearing in {base}: {DELEGATE}")


@dataclass(frozen=True)
class KernelGroup:
    """The groups of one kernel: v1 one folder per controller, v2 one folder."""

    folders: tuple

    @classmethod
    def of_launcher(cls, pid: int) -> "KernelGroup":
        """The groups of the kernel started by launcher `pid` (which may not exist yet)."""
        return cls(tuple(os.path.join(parent, f"{PREFIX}{pid}") for parent in parents()))

    def create(self, memory_bytes: int, max_processes: int) -> None:
        """Make the groups and set every limit file there is; fail unless memory and pids got limits."""
        values = {"memory": memory_bytes, "no swap": 0, "pids": max_processes}
        limited = set()
        for folder in self.folders:
            os.makedirs(folder, exist_ok=True)  # remove_stale could not empty an old one
            for name, what in LIMIT_FILES:
                if os.path.exists(os.path.join(folder, name)):
                    write(folder, name, values[what])
                    limited.add(what)
        if not {"memory", "pids"} <= limited:
            raise Unavailable(f"{self.folders} offer no memory or pids limit (controllers not enabled)")

    def join(self) -> None:
        """Move the calling process into the groups (its children follow)."""
        for folder in self.folders:
            write(folder, "cgroup.procs", os.getpid())

    def pids(self) -> set:
        found = set()
        for folder in self.folders:
            try:
                found.update(int(pid) for pid in read(folder, "cgroup.procs").split())
            except OSError:
                pass
        return found

    def remove(self, timeout: float = 10.0) -> None:
        """Kill every process left in the groups (v2 cgroup.kill where the kernel has it), then remove them."""
        deadline = time.monotonic() + timeout
        left = list(self.folders)
        while left and time.monotonic() < deadline:
            for folder in left:
                if os.path.exists(os.path.join(folder, "cgroup.kill")):
                    try:
                        write(folder, "cgroup.kill", 1)
                    except OSError:
                        pass
            for pid in self.pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            for folder in list(left):
                try:
                    os.rmdir(folder)
                    left.remove(folder)
                except FileNotFoundError:
                    left.remove(folder)
                except OSError:  # EBUSY while killed processes are still exiting
                    pass
            if left:
                time.sleep(0.05)


def remove_stale(launcher: int, timeout: float = 1.0) -> None:
    """Remove the groups whose launcher is gone, and one left under the pid of `launcher` (this one).
    A group that cannot be emptied within `timeout` s is left to the next launcher: a kernel's start
    never waits long on another's leftovers."""
    pids = {leftovers.owner(name, PREFIX) for parent in parents() for name in os.listdir(parent)} - {None}
    for pid in pids:
        if pid == launcher or not leftovers.alive(pid):
            KernelGroup.of_launcher(pid).remove(timeout)


def read(folder: str, name: str) -> str:
    with open(os.path.join(folder, name)) as control:
        return control.read()


def write(folder: str, name: str, value) -> None:
    with open(os.path.join(folder, name), "w") as control:
        control.write(str(value))
