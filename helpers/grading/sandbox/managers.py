"""What a grader needs to start a sandboxed kernel, without nbgrader: the kernel managers and the launcher's arguments.

execute.SandboxedExecute (nbgrader's side) starts its kernels with these. They live apart so that a
program starting kernels exactly as autograde does need not import nbgrader, nbclient or nbformat
(seconds here, minutes in the emulated VM of tests/test_sandbox_cgroup_v2.py): jupyter_client only.
"""
import os
import shutil
import tempfile
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager

from helpers.grading import leftovers
from helpers.grading.sandbox.command import PRIVATE_PREFIX

KERNEL_NAME = "cnn-sandbox"
KERNELS_DIR = str(Path(__file__).resolve().parent / "kernels")
UNSANDBOXED_KERNEL = "python3"
SHM = "/dev/shm"
MEMORY_LIMIT = 2 * 2**30  # SandboxedExecute.memory_limit's default
MAX_PROCESSES = 64  # SandboxedExecute.max_processes's default


def private_folder() -> str:
    """A new folder for a kernel's connection file and sockets, named after this grader's pid, on the tmpfs
    /dev/shm where there is one. Folders of graders that are gone (killed before they could remove
    theirs, possibly holding what a kernel wrote there) are removed first."""
    parent = SHM if os.access(SHM, os.W_OK) else tempfile.gettempdir()
    for name in leftovers.orphans(parent, PRIVATE_PREFIX):
        shutil.rmtree(os.path.join(parent, name), ignore_errors=True)
    return tempfile.mkdtemp(prefix=f"{PRIVATE_PREFIX}{os.getpid()}-", dir=parent)


class PrivateKernelManager(AsyncKernelManager):
    """A kernel whose connection file and ipc sockets live in a private folder: no TCP port, so kernels
    started at the same moment by parallel graders never collide on one, and no other user's process
    can connect. The folder is on a tmpfs (/dev/shm) where there is one: what a sandboxed kernel writes
    there counts against its memory limit, where a folder on disk would let it fill the disk."""

    def __init__(self, **kwargs):
        self.private_dir = private_folder()
        kwargs.update(
            transport="ipc",
            ip=os.path.join(self.private_dir, "ipc"),
            connection_file=os.path.join(self.private_dir, "kernel.json"),
        )
        super().__init__(**kwargs)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self.private_dir, ignore_errors=True)

    cleanup_resources = _async_cleanup_resources


class SandboxKernelManager(PrivateKernelManager):
    """Starts kernelspec cnn-sandbox, which binds the private folder read-write (the sandbox has no network)."""

    def __init__(self, **kwargs):
        kwargs.update(kernel_name=KERNEL_NAME, kernel_spec_manager=KernelSpecManager(kernel_dirs=[KERNELS_DIR]))
        super().__init__(**kwargs)


def launcher_arguments(protection, memory_limit: int = MEMORY_LIMIT, max_processes: int = MAX_PROCESSES,
                       kernel_arguments: list = ()) -> list:
    """The arguments for launcher.py (the kernelspec's command) on a machine with this protection
    (protection.probe()); those after "--" go to the kernel."""
    arguments = ["--bwrap", protection.bwrap, "--memory-limit", str(memory_limit),
                 "--max-processes", str(max_processes)]
    if protection.cgroups:
        arguments.append("--cgroups")
    return arguments + ["--", *kernel_arguments]
