"""The bubblewrap command line that runs one grading kernel.

Inside the sandbox the kernel sees a fresh root made of read-only system folders (/usr, a few files
of /etc), the Python installation and the venv (read-only), a private /tmp, the folder holding its
connection file and ipc sockets, and a tmpfs at the notebook's own path holding its working copy.
The course (source/, release/, the gradebook, other students' folders) is simply not there.
It has no network, no capabilities, its own PID namespace, and no environment but what is set here.
"""
import os
import sys
from dataclasses import dataclass, field

# System folders: bound read-only, or recreated as the same symlinks (e.g. /lib -> usr/lib).
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# What of /etc Python, numpy and matplotlib read; /etc/shadow and friends stay out.
ETC_ENTRIES = (
    "alternatives", "fonts", "group", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime",
    "mime.types", "nsswitch.conf", "passwd",
)
PASSED_ENV = ("NBGRADER_EXECUTION", "LANG", "LC_ALL", "TZ")  # the rest of the grader's environment stays out
SANDBOX_UID = 65534  # "nobody" inside the sandbox's user namespace
HOME = "/tmp"
PRIVATE_PREFIX = "cnn-kernel-"  # connection folders cnn-kernel-<grader pid>-<random>, made by managers.private_folder
# The kernel finds the notebook's folder last on sys.path, after the standard library and the venv:
# python -I keeps it off at startup, the kernel appends it once started.
BOOT = (
    "import os, sys; sys.path.append(os.getcwd()); "
    "from ipykernel.kernelapp import launch_new_instance; launch_new_instance()"
)


@dataclass(frozen=True)
class Sandbox:
    """Where one kernel runs. Paths are absolute and the same inside the sandbox as outside."""

    workdir: str  # the notebook's folder; inside, a tmpfs holding the working copy
    private_dir: str  # connection file and ipc sockets, shared read-write with the grader
    tmpfs_bytes: int  # size of each tmpfs (/tmp and the working copy)
    python: str = sys.executable
    prefixes: tuple = field(default_factory=lambda: tuple(sorted({sys.base_prefix, sys.prefix})))


def system_binds() -> list:
    args = []
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for entry in ETC_ENTRIES:
        args += ["--ro-bind-try", os.path.join("/etc", entry), os.path.join("/etc", entry)]
    return args


def environment(passed: dict) -> list:
    """bwrap arguments that set the kernel's whole environment."""
    venv_bin = os.path.dirname(sys.executable)
    values = {
        "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": HOME,
        "IPYTHONDIR": f"{HOME}/.ipython",
        "MPLCONFIGDIR": f"{HOME}/.matplotlib",
        "JUPYTER_CONFIG_DIR": f"{HOME}/.jupyter",
        "JUPYTER_DATA_DIR": f"{HOME}/.jupyter/data",
        "JUPYTER_RUNTIME_DIR": f"{HOME}/.jupyter/runtime",
        "JUPYTER_PLATFORM_DIRS": "1",
        # pid 1 is bwrap's init, the kernel's parent in its PID namespace: ipykernel does not watch it
        # (the grader's JPY_PARENT_PID is a pid the sandbox cannot see: the kernel would exit at once)
        "JPY_PARENT_PID": "1",
    }
    values.update({name: passed[name] for name in PASSED_ENV if name in passed})
    args = ["--clearenv"]
    for name, value in values.items():
        args += ["--setenv", name, value]
    return args


def working_copy(sandbox: Sandbox, dirs: list, files: list) -> list:
    """Arguments that fill a tmpfs at the workdir: `files` is [(open file descriptor, relative path)]."""
    args = ["--size", str(sandbox.tmpfs_bytes), "--tmpfs", sandbox.workdir]
    for relative in dirs:
        args += ["--dir", os.path.join(sandbox.workdir, relative)]
    for fd, relative in files:
        args += ["--perms", "0644", "--file", str(fd), os.path.join(sandbox.workdir, relative)]
    return args


def bwrap_command(bwrap: str, sandbox: Sandbox, connection_file: str, dirs: list, files: list,
                  kernel_args: list, env: dict) -> list:
    """The whole command: bwrap, its options, then python running ipykernel."""
    isolation = [
        "--unshare-all", "--unshare-user", "--disable-userns", "--uid", str(SANDBOX_UID),
        "--gid", str(SANDBOX_UID), "--cap-drop", "ALL", "--die-with-parent", "--new-session",
        "--hostname", "grading-sandbox",
    ]
    filesystem = system_binds()
    filesystem += ["--proc", "/proc", "--dev", "/dev", "--size", str(sandbox.tmpfs_bytes), "--tmpfs", "/tmp"]
    for prefix in sandbox.prefixes:  # after the private /tmp, so that a venv under /tmp stays visible
        filesystem += ["--ro-bind", prefix, prefix]
    filesystem += ["--bind", sandbox.private_dir, sandbox.private_dir]
    filesystem += working_copy(sandbox, dirs, files)
    kernel = [sandbox.python, "-I", "-c", BOOT, "-f", connection_file, "--HistoryManager.enabled=False"]
    return [bwrap, *isolation, *filesystem, *environment(env), "--chdir", sandbox.workdir, "--", *kernel, *kernel_args]
