"""Sandboxed kernels side by side, their cgroups, and grading where the sandbox is missing.

These start kernels directly (jupyter_client, or SandboxedExecute in this process): a few seconds
each, no nbgrader run.
"""
import asyncio
import logging
import os
import subprocess
import time

import psutil
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from helpers.grading.sandbox import cgroups
from helpers.grading.sandbox.command import PRIVATE_PREFIX
from helpers.grading.sandbox.execute import (METADATA_KEY, PrivateKernelManager, SandboxedExecute, SandboxKernelManager,
                                     SandboxUnavailable)
from helpers.grading.sandbox.protection import probe

MEMORY = 256 * 2**20
PROCESSES = 32
needs_sandbox = pytest.mark.skipif(bool(probe().missing), reason="; ".join(probe().missing) or "available")

BOMBS = '''
import numpy as np  # now: once the processes are at their limit, numpy cannot start its threads
import subprocess, sys
fork_bomb = "import os\\nwhile True:\\n    try:\\n        os.fork()\\n    except OSError:\\n        pass"
subprocess.Popen([sys.executable, "-c", fork_bomb])
'''
MEMORY_BOMB = "hog = [np.ones(2**23) for _ in range(1000)]"
NEIGHBOUR_WORK = '''
import subprocess, numpy as np
children = [subprocess.Popen(["true"]) for _ in range(8)]
print(sum(child.wait() for child in children), int(np.ones(2**23).sum()))
'''


class Kernel:
    """A sandboxed kernel with a cgroup of its own, driven from the test."""

    def __init__(self, workdir):
        self.workdir = str(workdir)
        self.manager = SandboxKernelManager()
        self.client = None

    async def start(self):
        arguments = ["--bwrap", probe().bwrap, "--memory-limit", str(MEMORY),
                     "--max-processes", str(PROCESSES), "--cgroups", "--"]
        await self.manager.start_kernel(cwd=self.workdir, extra_arguments=arguments)
        self.client = self.manager.client()
        self.client.start_channels()
        await self.client.wait_for_ready(timeout=60)

    def group(self) -> cgroups.KernelGroup:
        return cgroups.KernelGroup.of_launcher(self.launcher().pid)

    def launcher(self) -> psutil.Process:
        return psutil.Process(self.manager.provisioner.process.pid)

    async def run(self, code: str, timeout: float = 60) -> str | None:
        """What the code printed, or None if the kernel died before it replied."""
        printed = []
        execution = asyncio.ensure_future(self.client.execute_interactive(
            code, timeout=timeout, output_hook=lambda msg: printed.append(
                msg["content"].get("text", "") + msg["content"].get("evalue", ""))))
        death = asyncio.ensure_future(self.died())
        await asyncio.wait([execution, death], return_when=asyncio.FIRST_COMPLETED)
        if death.done():
            execution.cancel()
            return None
        death.cancel()
        execution.result()
        return "".join(printed)

    async def died(self):
        while await self.manager.is_alive():
            await asyncio.sleep(0.2)

    async def stop(self):
        self.client.stop_channels()
        await self.manager.shutdown_kernel(now=True)


def read(folder: str, name: str) -> str:
    with open(os.path.join(folder, name)) as f:
        return f.read()


@needs_sandbox
def test_bombs_in_one_kernel_do_not_stop_its_neighbour(tmp_path):
    """While one kernel's processes are at their limit and it then runs out of memory, does the kernel
    beside it still start processes, allocate memory and compute?"""
    async def scenario():
        bomber, neighbour = Kernel(tmp_path), Kernel(tmp_path)
        await asyncio.gather(bomber.start(), neighbour.start())
        try:
            await bomber.run(BOMBS)
            memory, pids = bomber.group().folders
            deadline = time.monotonic() + 30
            while int(read(pids, "pids.current")) < PROCESSES and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            saturated = int(read(pids, "pids.current"))
            first = await neighbour.run(NEIGHBOUR_WORK)
            bomb = await bomber.run(MEMORY_BOMB)
            second = await neighbour.run(NEIGHBOUR_WORK)
            alive = await bomber.manager.is_alive(), await neighbour.manager.is_alive()
            return saturated, first, second, bomb, alive
        finally:
            await asyncio.gather(bomber.stop(), neighbour.stop())

    saturated, first, second, bomb, alive = asyncio.run(scenario())
    assert saturated == PROCESSES
    assert first.split() == second.split() == ["0", str(2**23)]
    assert bomb is None and alive == (False, True)


@needs_sandbox
def test_a_killed_kernel_leaves_no_cgroup_behind(tmp_path):
    """When the grader kills a kernel outright (SIGKILL to its launcher), are its cgroups removed?"""
    async def scenario():
        kernel = Kernel(tmp_path)
        await kernel.start()
        group = kernel.group()
        existed = all(os.path.isdir(folder) for folder in group.folders)
        await kernel.stop()
        deadline = time.monotonic() + 15
        while any(os.path.isdir(folder) for folder in group.folders) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        return existed, [folder for folder in group.folders if os.path.isdir(folder)]

    existed, left = asyncio.run(scenario())
    assert existed and left == []


@needs_sandbox
def test_groups_left_by_a_killed_reaper_go_with_the_next_kernel(tmp_path):
    """When a launcher is killed together with its reaper (as a service manager stops every process of
    the grader), are the groups left behind, and what still runs in them, removed by the next kernel?"""
    async def scenario(stray):
        first = Kernel(tmp_path)
        await first.start()
        group, launcher = first.group(), first.launcher()
        for folder in group.folders:
            with open(os.path.join(folder, "cgroup.procs"), "w") as procs:
                procs.write(str(stray.pid))
        for process in [*launcher.children(), launcher]:  # the reaper is the launcher's child
            process.kill()
        # seen before the launcher is reaped: until then its pid lives on, and no kernel that another
        # test starts meanwhile (pytest-xdist) takes the groups for a killed run's
        left = [folder for folder in group.folders if os.path.isdir(folder)]
        first.client.stop_channels()
        await first.manager.shutdown_kernel(now=True)
        second = Kernel(tmp_path)
        await second.start()
        await second.stop()
        deadline = time.monotonic() + 10
        while stray.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        return left, [folder for folder in group.folders if os.path.isdir(folder)], stray.poll()

    stray = subprocess.Popen(["sleep", "600"])  # stands for a kernel process that outlived its launcher
    try:
        left_by_the_kill, left_after_next_start, stray_status = asyncio.run(scenario(stray))
    finally:
        stray.kill()
        stray.wait()
    assert len(left_by_the_kill) == len(cgroups.CONTROLLERS)
    assert left_after_next_start == [] and stray_status == -9


def graded_without_sandbox(tmp_path, caplog, **options):
    """Run SandboxedExecute in this process with a bubblewrap that does not exist."""
    notebook = new_notebook(cells=[new_code_cell("print(6 * 7)")])
    executor = SandboxedExecute(bwrap="no-such-bwrap", log=logging.getLogger("sandbox-test"), **options)
    resources = {"metadata": {"path": str(tmp_path)}}
    with caplog.at_level(logging.WARNING, logger="sandbox-test"):
        notebook, _ = executor.preprocess(notebook, resources)
    return notebook


def test_without_bubblewrap_grading_goes_on_with_a_loud_warning(tmp_path, caplog):
    """Without bubblewrap, does the notebook still run, with one warning of at most three lines naming
    what is missing, and does the notebook say it was not sandboxed?"""
    notebook = graded_without_sandbox(tmp_path, caplog)
    assert notebook.cells[0].outputs[0].text == "42\n"
    report = notebook.metadata[METADATA_KEY]
    assert report["sandboxed"] is False and report["flags"] == []
    assert any("no-such-bwrap" in reason and "apt-get install bubblewrap" in reason for reason in report["missing"])
    warnings = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(warnings) == 1 and len(warnings[0].splitlines()) <= 3, warnings
    assert "kernels are NOT sandboxed" in warnings[0] and "no-such-bwrap" in warnings[0]


def test_a_required_sandbox_refuses_to_grade_without_bubblewrap(tmp_path, caplog):
    """With require_sandbox, does grading stop with an error that says what is missing?"""
    with pytest.raises(SandboxUnavailable, match="no-such-bwrap"):
        graded_without_sandbox(tmp_path, caplog, require_sandbox=True)


def test_kernels_use_private_ipc_sockets_not_tcp_ports(tmp_path):
    """Does every grading kernel, sandboxed or not, reach its grader through ipc sockets in a private folder
    removed afterwards, so that two workers starting kernels at once never pick the same TCP port?"""
    async def scenario():
        manager = PrivateKernelManager(kernel_name="python3")
        await manager.start_kernel(cwd=str(tmp_path))
        client = manager.client()
        client.start_channels()
        await client.wait_for_ready(timeout=60)
        reply = await client.execute_interactive("print('over ipc')", timeout=60)
        client.stop_channels()
        connection = manager.get_connection_info()
        await manager.shutdown_kernel(now=True)
        return manager, reply["content"]["status"], connection

    manager, status, connection = asyncio.run(scenario())
    assert status == "ok" and connection["transport"] == "ipc"
    assert os.path.dirname(connection["ip"]) == manager.private_dir
    assert os.path.basename(manager.private_dir).startswith(PRIVATE_PREFIX) and not os.path.exists(manager.private_dir)
    executor = SandboxedExecute(bwrap="no-such-bwrap", log=logging.getLogger("sandbox-test"))
    executor.protection = probe("no-such-bwrap")
    fallback = executor.create_kernel_manager()
    asyncio.run(fallback.cleanup_resources())
    assert isinstance(fallback, PrivateKernelManager) and not os.path.exists(fallback.private_dir)  # the fallback too
