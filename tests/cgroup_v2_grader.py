"""Graders starting sandboxed kernels exactly as autograde does, run as a program in the cgroup v2 VM.

tests/test_sandbox_cgroup_v2.py boots the VM, whose script runs `python tests/cgroup_v2_grader.py WORKDIR JOB...`
as root once: after the imports, that process forks one child per JOB (at once up to a `then`, which
waits until those before have ended or started their memory bomb), which joins its cgroup, becomes its
user (as `setpriv --reuid --regid --clear-groups` would), and writes what it found to its file:
- `grade`: a grader (as root, and as an ordinary user in a delegated subtree) starting a bomber and a
  neighbour kernel; what it saw, as JSON, is judged by the test. It takes what autograde's
  SandboxedExecute takes: the protection probe (which prepares the cgroups), the launcher's arguments
  with SandboxedExecute's default limits (helpers.grading.sandbox.managers.launcher_arguments, which
  SandboxedExecute.launcher_arguments calls) and SandboxKernelManager, which runs kernelspec cnn-sandbox
  (launcher.py, bubblewrap, ipykernel);
- `ask`: what cgroups.prepare says about a broken tree.
One process imports for all (forking before any kernel, thread or event loop exists), and it imports
neither nbgrader nor pytest: under emulation each Python's imports cost seconds, nbgrader's minutes.
"""
import time

STARTED = time.time()  # before any other import: the seconds reported include the imports

import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402

from helpers.grading.sandbox import cgroups  # noqa: E402
from helpers.grading.sandbox.managers import SandboxKernelManager, launcher_arguments  # noqa: E402
from helpers.grading.sandbox.protection import probe  # noqa: E402

FORK_BOMB = '''
import os, time
children, failed = [], 0
for _ in range(200):
    try:
        pid = os.fork()
    except OSError:
        failed += 1
        continue
    if pid == 0:
        time.sleep(300)
        os._exit(0)
    children.append(pid)
print(len(children), failed)
'''
END_FORK_BOMB = '''
import signal
for pid in children:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
'''
MEMORY_BOMB = '''
import os, signal, time
hogs, codes = [], {}
for _ in range(3):  # 3 x 0.8 GiB, every page written: 2.4 GiB in all
    pid = os.fork()
    if pid == 0:
        hog = b"x" * (800 * 2**20)
        time.sleep(8)
        os._exit(0)
    hogs.append(pid)
while any(pid not in codes for pid in hogs):
    pid, status = os.wait()
    codes[pid] = os.waitstatus_to_exitcode(status)
    if codes[pid] == -9:  # killed by the limit: the others need not sleep on (SIGTERM: -15, not -9)
        for other in set(hogs) - set(codes):
            os.kill(other, signal.SIGTERM)
print(*[codes[pid] for pid in hogs])
'''
NEIGHBOUR_WORK = '''
import subprocess
data = b"y" * 2**27
print(sum(subprocess.Popen(["true"]).wait() for _ in range(8)), len(data))
'''


class Kernel:
    """A kernel started as autograde starts one, driven from here."""

    def __init__(self, workdir: str, arguments: list):
        self.workdir, self.arguments = workdir, arguments
        self.manager, self.client = SandboxKernelManager(), None

    async def start(self):
        await self.manager.start_kernel(cwd=self.workdir, extra_arguments=self.arguments)
        self.client = self.manager.client()
        self.client.start_channels()
        await self.client.wait_for_ready(timeout=120)

    def group(self) -> str:
        (folder,) = cgroups.KernelGroup.of_launcher(self.manager.provisioner.process.pid).folders
        return folder

    async def run(self, code: str) -> str:
        printed = []
        await self.client.execute_interactive(code, timeout=120, output_hook=lambda msg: printed.append(
            msg["content"].get("text", "") + msg["content"].get("evalue", "")))
        return "".join(printed).strip()

    async def stop(self):
        self.client.stop_channels()
        await self.manager.shutdown_kernel(now=True)


def left_by_a_killed_run(base: str):
    """A kernel group whose launcher is gone with a process still in it, as a run killed together with
    its reapers leaves one: (its folder, the process)."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    stale = os.path.join(base, f"{cgroups.PREFIX}{gone.pid}")
    os.mkdir(stale)
    stray = subprocess.Popen(["sleep", "600"])
    cgroups.write(stale, "cgroup.procs", stray.pid)
    return stale, stray


async def grade_probes(workdir: str, bombing=lambda: None) -> dict:
    """What a grader here sees when a bomber and a neighbour kernel run side by side; `bombing` is
    called as the memory bomb starts."""
    seconds = {"imports": time.time() - STARTED}

    def mark(phase: str) -> None:
        seconds[phase] = round(time.time() - STARTED, 1)

    protection = probe()
    arguments = launcher_arguments(protection)  # SandboxedExecute's default limits: 2 GiB, 64 processes
    (base,) = cgroups.parents()
    found = {"missing": list(protection.missing), "arguments": arguments, "base": base, "started": STARTED,
             "in leaf": sorted(Path(f"/proc/{pid}/comm").read_text().strip() for pid in
                               cgroups.read(os.path.join(base, cgroups.LEAF), "cgroup.procs").split())}
    stale, stray = left_by_a_killed_run(base)
    bomber, neighbour = Kernel(workdir, arguments), Kernel(workdir, arguments)
    mark("probe")
    await asyncio.gather(bomber.start(), neighbour.start())
    mark("kernels started")
    found["stale"] = [os.path.isdir(stale), stray.wait(timeout=30)]
    try:
        group = found["group"] = bomber.group()
        found["limits"] = {name: cgroups.read(group, name).strip()
                           for name in ("memory.max", "memory.swap.max", "pids.max")}
        found["forks"] = await bomber.run(FORK_BOMB)
        found["pids.current"] = int(cgroups.read(group, "pids.current"))
        mark("fork bomb")
        found["neighbour"] = [await neighbour.run(NEIGHBOUR_WORK)]
        await bomber.run(END_FORK_BOMB)
        bombing()
        hogs, work = await asyncio.gather(bomber.run(MEMORY_BOMB), neighbour.run(NEIGHBOUR_WORK))
        found["hogs"], found["neighbour"] = hogs, found["neighbour"] + [work]
        mark("memory bomb")
        found["memory.events"] = cgroups.read(group, "memory.events")
        found["memory.peak"] = int(cgroups.read(group, "memory.peak"))
        found["alive"] = [await bomber.manager.is_alive(), await neighbour.manager.is_alive()]
    finally:
        await asyncio.gather(bomber.stop(), neighbour.stop())
    deadline = time.monotonic() + 15
    while (left := [n for n in os.listdir(base) if n.startswith(cgroups.PREFIX)]) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    mark("kernels stopped")
    found["left"], found["seconds"] = left, seconds
    return found


def run(job: str, workdir: str, bombing) -> int:
    """In a child: KIND:GROUP:UID:HOME:OUTPUT[:CGROUP_ROOT] (GROUP - to stay in the parent's group).
    Output and errors go to OUTPUT (opened before the user changes), a grader's errors to OUTPUT's .err."""
    kind, group, uid, home, output, *root = job.split(":")
    times = os.dup(1)  # the parent's output: where this child says when it ended
    if group != "-":
        cgroups.write(group, "cgroup.procs", 0)  # 0: the writing process
    out = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    err = os.open(output[:-5] + ".err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644) if output.endswith(".json") else out
    os.dup2(out, 1)
    os.dup2(err, 2)
    if int(uid):
        os.setgroups([])
        os.setresgid(int(uid), int(uid), int(uid))
        os.setresuid(int(uid), int(uid), int(uid))
    os.environ["HOME"] = home
    if root:
        cgroups.CGROUP_ROOT = root[0]
    if kind == "grade":
        print(json.dumps(asyncio.run(grade_probes(workdir, bombing))))
    else:
        print(cgroups.prepare())
    os.write(times, f"{os.path.basename(output)} {time.time()}\n".encode())
    return 0


def main(workdir: str, jobs: list) -> int:
    """Fork a child per job, at once up to a `then`, which waits until those before have ended or
    started their memory bomb (its kernels mostly sleep then, while those after it start theirs).
    Each child prints when it ended (seconds since the epoch) to this process's output."""
    children, pending, failed = {}, [], 0
    for job in jobs:
        if job == "then":
            for signal_end in pending:
                os.read(signal_end, 1)  # a byte when the bomb starts, nothing (end of file) when the child ends
                os.close(signal_end)
            pending = []
            continue
        signal_end, signal_start = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(signal_end)
            code = 1
            try:
                code = run(job, workdir, lambda: os.write(signal_start, b"m"))
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        os.close(signal_start)
        children[pid] = job
        pending.append(signal_end)
    while children:
        pid, status = os.wait()
        failed |= status != 0
        children.pop(pid)
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
