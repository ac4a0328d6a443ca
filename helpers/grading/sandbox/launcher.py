"""Start one grading kernel inside bubblewrap, with its own cgroup; the argv of kernelspec cnn-sandbox.

jupyter_client runs it as `python -I launcher.py CONNECTION_FILE [options] [-- KERNEL_ARGS]` with
the notebook's folder as working directory, as the grader (root when autograde runs as root).
-I keeps the submission's folder off sys.path: nothing in it is imported by this process.

It plans the kernel's working copy (helpers.grading.sandbox.workcopy), removes groups left by launchers
killed together with their reapers, forks a reaper that kills what is left in the kernel's cgroup
and removes it once this launcher is gone (also when it is killed), makes that cgroup, runs bwrap,
and passes on at most --max-log-bytes of what the kernel writes to its raw stdout/stderr (what
Python code prints goes to the notebook, not here).
"""
import sys
from pathlib import Path

if __name__ == "__main__":  # run as a script under python -I: make the helpers package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

import argparse  # noqa: E402
import ctypes  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402

from helpers.grading.sandbox import cgroups, workcopy  # noqa: E402
from helpers.grading.sandbox.command import PRIVATE_PREFIX, Sandbox, bwrap_command  # noqa: E402

PR_SET_PDEATHSIG = 1  # prctl option, <linux/prctl.h>


def parse(argv: list) -> argparse.Namespace:
    kernel_args = argv[argv.index("--") + 1:] if "--" in argv else []
    own_args = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(
        prog="python -I helpers/grading/sandbox/launcher.py",
        description="Run an IPython kernel in a bubblewrap sandbox (started by jupyter_client).",
        epilog="example: python -I helpers/grading/sandbox/launcher.py /tmp/cnn-kernel-x/kernel.json "
               "--memory-limit 2147483648 --max-processes 64 --cgroups",
    )
    parser.add_argument("connection_file", help="the kernel's connection file (transport ipc)")
    parser.add_argument("--bwrap", default="bwrap", help="the bubblewrap executable")
    parser.add_argument("--memory-limit", type=int, default=2 * 2**30, help="bytes for the whole kernel")
    parser.add_argument("--max-processes", type=int, default=64, help="processes and threads of the kernel")
    parser.add_argument("--cgroups", action="store_true",
                        help="limit memory and processes with a cgroup per kernel (root); "
                             "without it memory is limited per process (RLIMIT_AS)")
    parser.add_argument("--max-files", type=int, default=1000, help="files in the working copy")
    parser.add_argument("--max-log-bytes", type=int, default=64 * 1024,
                        help="bytes of the kernel's raw stdout/stderr passed on")
    args = parser.parse_args(own_args)
    args.kernel_args = kernel_args
    return args


def private_dir_of(connection_file: str) -> str:
    """The folder the kernel may write to: its connection file's, which must hold the ipc sockets."""
    folder = os.path.dirname(os.path.abspath(connection_file))
    with open(connection_file) as f:
        info = json.load(f)
    if not os.path.basename(folder).startswith(PRIVATE_PREFIX):
        raise SystemExit(f"cnn-sandbox: {connection_file} is not in a private {PRIVATE_PREFIX}* folder; "
                         "start the kernel through helpers.grading.sandbox.SandboxedExecute")
    if info.get("transport") != "ipc" or os.path.dirname(info.get("ip", "")) != folder:
        raise SystemExit(f"cnn-sandbox: {connection_file} must use transport 'ipc' with sockets in {folder} "
                         f"(the sandbox has no network); it has transport {info.get('transport')!r}, "
                         f"ip {info.get('ip')!r}")
    return folder


def start_reaper(group: cgroups.KernelGroup) -> None:
    """Fork a process, outside the launcher's process group, that removes `group` after the launcher."""
    read_end, write_end = os.pipe()
    if os.fork() == 0:
        os.setsid()  # jupyter_client kills the launcher's process group, not this
        os.close(write_end)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # hold none of the grader's pipes open
            os.dup2(devnull, fd)
        os.read(read_end, 1)  # returns (EOF) when the launcher has ended, however it ended
        group.remove()
        os._exit(0)
    os.close(read_end)  # write_end stays open, in this process only, until it ends


def open_files(folder: str, relatives: list) -> list:
    """[(file descriptor, relative path)] for bwrap --file, never following a symbolic link."""
    return [(os.open(os.path.join(folder, r), os.O_RDONLY | os.O_NOFOLLOW), r) for r in relatives]


def enter_limits(group: cgroups.KernelGroup | None, memory_limit: int) -> None:
    """In the child, before bwrap starts: join the kernel's cgroup, or fall back on rlimits."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if group is not None:
        group.join()
    else:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))


def pass_on(stream, sink, limit: int) -> None:
    """Copy `stream` to `sink` until EOF, keeping only the first `limit` bytes."""
    passed = 0
    while chunk := stream.read1(65536):
        if passed < limit:
            sink.write(chunk[: limit - passed])
            sink.flush()
        passed += len(chunk)
    if passed > limit:
        sink.write(f"\n[cnn-sandbox: {passed - limit} more bytes of kernel output dropped]\n".encode())
        sink.flush()


def die_with_parent() -> None:
    """Be killed (SIGKILL) when the grader that started this launcher dies, as bwrap's kernel is."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def main(argv=None) -> int:
    args = parse(sys.argv[1:] if argv is None else list(argv))
    die_with_parent()
    workdir = os.getcwd()
    sandbox = Sandbox(workdir=workdir, private_dir=private_dir_of(args.connection_file),
                      tmpfs_bytes=args.memory_limit)
    copy = workcopy.plan(workdir, args.memory_limit, max_files=args.max_files)
    group = None
    if args.cgroups:
        cgroups.remove_stale(os.getpid())
        group = cgroups.KernelGroup.of_launcher(os.getpid())
        start_reaper(group)  # before the group exists: no moment when it could be left behind
        try:
            group.create(args.memory_limit, args.max_processes)
        except (OSError, cgroups.Unavailable) as error:
            raise SystemExit(f"cnn-sandbox: the kernel's cgroup could not be made: {error}")
    files = open_files(workdir, copy.files)
    command = bwrap_command(args.bwrap, sandbox, os.path.abspath(args.connection_file), copy.dirs, files,
                            args.kernel_args, dict(os.environ))
    kernel = subprocess.Popen(
        command, pass_fds=[fd for fd, _ in files], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, preexec_fn=lambda: enter_limits(group, args.memory_limit),
    )
    for fd, _ in files:
        os.close(fd)
    pass_on(kernel.stdout, sys.stderr.buffer, args.max_log_bytes)
    return kernel.wait()


if __name__ == "__main__":
    sys.exit(main())
