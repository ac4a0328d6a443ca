"""One cgroup (v1 memory and pids controllers) per grading kernel: limits that hold per kernel.

Groups are made by the launcher (as root) inside the launcher's own groups, so whatever limits the
machine already puts on the grader still apply on top, and are removed when the kernel ends. A group
is named after its launcher's pid; one whose launcher is gone was left by a launcher killed together
with its reaper (a service manager or a job runner killing every process of the grader's own group)
and is removed when the next kernel starts.
"""
import os
import signal
import time
from dataclasses import dataclass

from helpers.grading import leftovers

CONTROLLERS = ("memory", "pids")
CGROUP_ROOT = "/sys/fs/cgroup"
PREFIX = "cnn-kernel-"


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


def missing() -> str | None:
    """Why per-kernel groups cannot be made here, or None when they can."""
    if os.geteuid() != 0:
        return "per-kernel cgroups need root (autograde runs as an unprivileged user)"
    for controller in CONTROLLERS:
        folder = own_group(controller)
        if folder is None:
            return f"the cgroup v1 {controller} controller is not mounted under {CGROUP_ROOT}/{controller}"
        if not os.access(folder, os.W_OK):
            return f"{folder} is not writable"
    return None


@dataclass(frozen=True)
class KernelGroup:
    """The memory and pids groups of one kernel (folders under /sys/fs/cgroup/<controller>/...)."""

    folders: tuple

    @classmethod
    def of_launcher(cls, pid: int) -> "KernelGroup":
        """The groups of the kernel started by launcher `pid` (which may not exist yet)."""
        return cls(tuple(os.path.join(own_group(c), f"{PREFIX}{pid}") for c in CONTROLLERS))

    def create(self, memory_bytes: int, max_processes: int) -> None:
        memory, pids = self.folders
        for folder in self.folders:
            os.makedirs(folder, exist_ok=True)  # remove_stale could not empty an old one
        write(memory, "memory.limit_in_bytes", memory_bytes)
        if os.path.exists(os.path.join(memory, "memory.memsw.limit_in_bytes")):
            write(memory, "memory.memsw.limit_in_bytes", memory_bytes)  # no escape into swap
        write(pids, "pids.max", max_processes)

    def join(self) -> None:
        """Move the calling process into the groups (its children follow)."""
        for folder in self.folders:
            write(folder, "cgroup.procs", os.getpid())

    def pids(self) -> set:
        found = set()
        for folder in self.folders:
            try:
                with open(os.path.join(folder, "cgroup.procs")) as procs:
                    found.update(int(pid) for pid in procs.read().split())
            except OSError:
                pass
        return found

    def remove(self, timeout: float = 10.0) -> None:
        """Kill every process left in the groups, then remove the groups."""
        deadline = time.monotonic() + timeout
        left = list(self.folders)
        while left and time.monotonic() < deadline:
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
    pids = {leftovers.owner(name, PREFIX) for c in CONTROLLERS for name in os.listdir(own_group(c))} - {None}
    for pid in pids:
        if pid == launcher or not leftovers.alive(pid):
            KernelGroup.of_launcher(pid).remove(timeout)


def write(folder: str, name: str, value: int) -> None:
    with open(os.path.join(folder, name), "w") as control:
        control.write(str(value))
