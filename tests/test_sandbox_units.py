"""The sandbox's parts, one by one, without starting a kernel."""
import io
import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from nbformat.v4 import new_output
from traitlets.config.loader import PyFileConfigLoader

from helpers.grading import leftovers
from helpers.course import ROOT
from helpers.grading.sandbox import cgroups, command, launcher, managers, outputs, workcopy
from helpers.grading.sandbox.execute import SandboxedExecute
from helpers.grading.sandbox.managers import KERNELS_DIR
from helpers.grading.sandbox.protection import Protection

# --- the kernel's working copy ------------------------------------------------------------------


@pytest.fixture
def submission(tmp_path):
    """A submission folder with the course's files, a helper of the student's, and shadowing files."""
    files = {"cnn.ipynb": "{}", "cnn_checks.py": "", "cnn_record.py": "", "mine.py": "", "images/a.png": "png",
             "numpy.py": "", "sitecustomize.py": "", "matplotlibrc": "", "cnn_checks/__init__.py": "",
             "cnn_record/__init__.py": "", "json/__init__.py": "",
             "__pycache__/mine.cpython-311.pyc": "", "notes/numpy.py": ""}
    for relative, text in files.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    (tmp_path / "link.txt").symlink_to("/etc/hostname")
    os.mkfifo(tmp_path / "pipe")
    return tmp_path


def test_the_working_copy_keeps_the_course_and_the_students_files(submission):
    """Do the notebook, the checks module, the student's own module and data files go to the kernel,
    with caches left out and a module name only shadowed at the top level?"""
    plan = workcopy.plan(str(submission), 2**30)
    assert plan.files == ["cnn.ipynb", "cnn_checks.py", "cnn_record.py", "mine.py", "images/a.png", "notes/numpy.py"]
    assert plan.dirs == ["images", "notes"]


def test_shadowing_files_and_links_are_left_out(submission):
    """Are installed module names, startup hooks, links and pipes left out, and only the package that
    would replace the course's cnn_checks.py or cnn_record.py marked as tampering?"""
    left_out = {entry.path: entry.tampering for entry in workcopy.plan(str(submission), 2**30).left_out}
    assert left_out == {"cnn_checks": True, "cnn_record": True, "json": False, "numpy.py": False, "sitecustomize.py": False,
                        "matplotlibrc": False, "link.txt": False, "pipe": False}


def test_the_working_copy_stops_at_its_budget(submission):
    """Does a folder with more files than the budget stop there, saying so once?"""
    plan = workcopy.plan(str(submission), 2**30, max_files=2)
    assert plan.files == ["cnn.ipynb", "cnn_checks.py"]
    assert [entry.path for entry in plan.left_out if "budget" in entry.reason] == ["cnn_record.py"]


def test_symbolic_links_are_found_at_any_depth(tmp_path):
    """Does symbolic_links list links to files and folders, nested or not, and nothing else?"""
    (tmp_path / "sub").mkdir()
    (tmp_path / "plain.txt").write_text("")
    (tmp_path / "top").symlink_to("/etc")
    (tmp_path / "sub" / "deep.db").symlink_to("/etc/hostname")
    assert workcopy.symbolic_links(str(tmp_path)) == ["sub/deep.db", "top"]


# --- outputs --------------------------------------------------------------------------------------


def test_text_is_cut_at_the_limit():
    """Does a stream keep exactly the allowance and mark the cell as cut?"""
    budget = outputs.Budget(text_limit=10, data_limit=100)
    content = {"name": "stdout", "text": "0123456789abc"}
    assert budget.trim("stream", content) and content["text"] == "0123456789" and budget.cut
    assert not budget.trim("stream", {"name": "stdout", "text": "more"})


def test_recorded_data_survives_a_flood_of_text():
    """After the text allowance is spent, is a display's JSON still kept, and its text/plain dropped?"""
    budget = outputs.Budget(text_limit=5, data_limit=1000)
    budget.trim("stream", {"name": "stdout", "text": "x" * 50})
    record = {"data": {"application/vnd.cnn-check+json": {"case": "a", "returned": [1, 2]}, "text/plain": "r"}}
    assert budget.trim("display_data", record)
    assert list(record["data"]) == ["application/vnd.cnn-check+json"]


def test_data_beyond_its_limit_is_dropped():
    """Is an image larger than the data allowance dropped, and the output with it?"""
    budget = outputs.Budget(text_limit=100, data_limit=10)
    assert not budget.trim("display_data", {"data": {"image/png": "A" * 11}}) and budget.cut


def test_errors_are_kept_with_their_text_cut():
    """Is an error kept (the cell must still fail) with its message and traceback cut?"""
    budget = outputs.Budget(text_limit=0, data_limit=0)
    content = {"ename": "ValueError", "evalue": "v" * 50_000, "traceback": ["t" * 1000] * 100}
    assert budget.trim("error", content)
    assert len(content["evalue"]) == outputs.ERROR_FLOOR // 2
    assert content["traceback"][-1] == "... [traceback cut]" and len(content["traceback"]) == 3


def test_the_note_goes_to_stdout():
    """Is the note a stdout stream (stderr output would fail a test cell)?"""
    note = outputs.note(100_000, 10_000_000)
    assert note == new_output("stream", name="stdout", text=note.text) and "100000 bytes" in note.text


# --- the bubblewrap command -----------------------------------------------------------------------


def sandbox_command(tmp_path, env=None):
    sandbox = command.Sandbox(workdir=str(tmp_path / "autograded/s/cnn"), private_dir="/tmp/cnn-kernel-x",
                              tmpfs_bytes=1000)
    return command.bwrap_command("bwrap", sandbox, "/tmp/cnn-kernel-x/kernel.json", ["images"],
                                 [(7, "cnn.ipynb")], ["--extra"], env or {})


def test_the_kernel_is_isolated(tmp_path):
    """Does the command drop every capability, unshare every namespace (network included) and forbid
    new user namespaces?"""
    argv = sandbox_command(tmp_path)
    for option in ("--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session"):
        assert option in argv
    assert argv[argv.index("--cap-drop") + 1] == "ALL" and "--share-net" not in argv


def test_only_the_working_copy_and_the_python_installation_are_visible(tmp_path):
    """Is nothing of the course bound in: the workdir is a tmpfs filled from file descriptors?"""
    argv = sandbox_command(tmp_path)
    binds = [argv[i + 1] for i, arg in enumerate(argv) if arg in ("--bind", "--ro-bind", "--ro-bind-try")]
    assert not any(path.startswith(str(tmp_path)) for path in binds)
    workdir = str(tmp_path / "autograded/s/cnn")
    tmpfs = argv.index("--tmpfs", argv.index("/tmp") + 1)
    assert argv[tmpfs + 1] == workdir
    assert argv[tmpfs + 2:tmpfs + 9] == ["--dir", f"{workdir}/images", "--perms", "0644", "--file", "7",
                                         f"{workdir}/cnn.ipynb"]
    assert "/etc/shadow" not in " ".join(binds) and "/etc/passwd" in binds


def test_the_kernel_gets_no_environment_but_its_own(tmp_path):
    """Are the grader's variables dropped, NBGRADER_EXECUTION passed, and JPY_PARENT_PID the sandbox's init?"""
    argv = sandbox_command(tmp_path, {"NBGRADER_EXECUTION": "autograde", "PGPASSWORD": "secret"})
    settings = {argv[i + 1]: argv[i + 2] for i, arg in enumerate(argv) if arg == "--setenv"}
    assert "--clearenv" in argv and "PGPASSWORD" not in settings and "secret" not in argv
    assert settings["NBGRADER_EXECUTION"] == "autograde" and settings["JPY_PARENT_PID"] == "1"
    assert settings["IPYTHONDIR"].startswith(command.HOME) and settings["MPLCONFIGDIR"].startswith(command.HOME)


def test_the_kernel_runs_isolated_python_with_the_workdir_last(tmp_path):
    """Does the kernel run python -I (no workdir on sys.path at startup), appending the workdir later?"""
    argv = sandbox_command(tmp_path)
    kernel = argv[argv.index("--", argv.index("--chdir")) + 1:]
    assert kernel[1:3] == ["-I", "-c"] and "sys.path.append(os.getcwd())" in kernel[3]
    assert kernel[-1] == "--extra"


# --- the launcher ---------------------------------------------------------------------------------


def connection_file(folder: Path, **info) -> str:
    folder.mkdir()
    path = folder / "kernel.json"
    path.write_text(json.dumps(info))
    return str(path)


def test_the_launcher_wants_ipc_in_a_private_folder(tmp_path):
    """Does the launcher refuse TCP, and a connection file outside a cnn-kernel-* folder?"""
    private = tmp_path / "cnn-kernel-a"
    good = connection_file(private, transport="ipc", ip=str(private / "ipc"))
    assert launcher.private_dir_of(good) == str(private)
    with pytest.raises(SystemExit, match="transport 'ipc'"):
        launcher.private_dir_of(connection_file(tmp_path / "cnn-kernel-b", transport="tcp", ip="127.0.0.1"))
    with pytest.raises(SystemExit, match="private"):
        launcher.private_dir_of(connection_file(tmp_path / "shared", transport="ipc", ip=str(tmp_path / "ipc")))


def test_the_launcher_separates_its_options_from_the_kernels():
    """Do the options after -- go to the kernel untouched?"""
    args = launcher.parse(["/tmp/c.json", "--memory-limit", "5", "--cgroups", "--", "--memory-limit", "x"])
    assert (args.memory_limit, args.cgroups, args.kernel_args) == (5, True, ["--memory-limit", "x"])


def test_the_kernels_raw_output_is_bounded():
    """Does the launcher pass on only the first bytes of what the kernel writes to its own stdout?"""
    sink = io.BytesIO()
    launcher.pass_on(io.BufferedReader(io.BytesIO(b"z" * 100_000)), sink, 10)
    assert sink.getvalue().startswith(b"z" * 10 + b"\n[cnn-sandbox: 99990 more bytes")


def test_the_kernelspec_interrupts_by_message_and_starts_the_launcher():
    """Does the kernelspec interrupt over the control channel (SIGINT would not reach into the PID
    namespace) and run the launcher with python -I?"""
    spec = json.loads((Path(KERNELS_DIR) / "cnn-sandbox" / "kernel.json").read_text())
    assert spec["interrupt_mode"] == "message"
    assert spec["argv"][:2] == ["python", "-I"]
    assert (Path(KERNELS_DIR) / "cnn-sandbox" / spec["argv"][2].replace("{resource_dir}/", "")).resolve() == \
        Path(launcher.__file__).resolve()


# --- cgroups --------------------------------------------------------------------------------------


def test_own_group_reads_the_v1_hierarchy(tmp_path, monkeypatch):
    """Does own_group find this process's memory group, and None for a controller that is not mounted?"""
    monkeypatch.setattr(cgroups, "CGROUP_ROOT", str(tmp_path))
    (tmp_path / "memory" / "grader" / "a").mkdir(parents=True)
    proc = tmp_path / "cgroup"
    proc.write_text("9:name=systemd:/\n4:memory:/grader/a\n0::/\n")
    assert cgroups.own_group("memory", str(proc)) == str(tmp_path / "memory" / "grader" / "a")
    assert cgroups.own_group("pids", str(proc)) is None



def gone_pid() -> int:
    finished = subprocess.Popen(["true"])
    finished.wait()
    return finished.pid


def test_remove_stale_keeps_only_groups_of_living_launchers(tmp_path, monkeypatch):
    """Are the groups of gone launchers removed, and the one named after this launcher's own (reused) pid,
    while a living launcher's group stays?"""
    monkeypatch.setattr(cgroups, "own_group", lambda controller: str(tmp_path / controller))
    gone = gone_pid()
    living, own = os.getppid(), os.getpid()
    for controller in cgroups.CONTROLLERS:
        for pid in (gone, living, own):
            (tmp_path / controller / f"{cgroups.PREFIX}{pid}").mkdir(parents=True)
    cgroups.remove_stale(own)
    assert {p.name for p in tmp_path.glob("*/*")} == {f"{cgroups.PREFIX}{living}"}



def test_a_group_that_cannot_be_removed_does_not_hold_up_a_kernel(tmp_path, monkeypatch):
    """Does a launcher give up on a stale group it cannot remove after a second, instead of the ten
    seconds a reaper waits for its own kernel's group, leaving it to the next launcher?"""
    monkeypatch.setattr(cgroups, "own_group", lambda controller: str(tmp_path / controller))
    stuck = tmp_path / "pids" / f"{cgroups.PREFIX}{gone_pid()}"
    stuck.mkdir(parents=True)
    (stuck / "busy").touch()  # rmdir fails, as it does (EBUSY) while a process in the group lives on
    (tmp_path / "memory").mkdir()
    started = time.monotonic()
    cgroups.remove_stale(os.getpid())
    assert stuck.exists() and time.monotonic() - started < 5


def test_owner_reads_the_pid_in_a_name():
    """Is the pid found in PREFIX<pid> and PREFIX<pid>-..., and nothing in other names?"""
    names = ["cnn-kernel-42", "cnn-kernel-42-x1_y", "cnn-kernel-4x2_abc", "cnn-kernel-", "grade-gradebook-42-a.db"]
    assert [leftovers.owner(name, "cnn-kernel-") for name in names] == [42, 42, None, None, None]


def test_private_folders_of_gone_graders_are_removed(tmp_path, monkeypatch):
    """Does a new kernel's connection folder, named after this grader, come with the removal of the
    folders (and their contents) of graders that are gone, and only theirs?"""
    monkeypatch.setattr(managers, "SHM", str(tmp_path))
    gone, living = tmp_path / f"cnn-kernel-{gone_pid()}-abc", tmp_path / f"cnn-kernel-{os.getppid()}-abc"
    for folder in (gone, living, tmp_path / "cnn-kernel-unnamed"):
        folder.mkdir()
        (folder / "fill").write_bytes(bytes(1000))
    new = Path(managers.private_folder())
    assert new.parent == tmp_path and leftovers.owner(new.name, command.PRIVATE_PREFIX) == os.getpid()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([living.name, "cnn-kernel-unnamed", new.name])


# --- configuration --------------------------------------------------------------------------------


def test_autograde_uses_the_sandboxed_execute():
    """Does the course's config put SandboxedExecute where nbgrader's Execute was, and nowhere else?"""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    preprocessors = config.Autograde.autograde_preprocessors
    assert preprocessors[0] == "helpers.grading.sandbox.execute.SandboxedExecute"
    assert "nbgrader.preprocessors.Execute" not in preprocessors
    assert config.SandboxedExecute.require_sandbox is False


def test_limits_are_documented_options_with_the_issues_defaults():
    """Is every option of SandboxedExecute configurable and explained, with the defaults asked for?"""
    own = {name: trait for name, trait in SandboxedExecute.class_own_traits().items()}
    assert all(trait.metadata.get("config") and trait.help for trait in own.values())
    defaults = SandboxedExecute()
    assert (defaults.memory_limit, defaults.max_processes, defaults.output_text_limit) == (2 * 2**30, 64, 100_000)


def test_the_launchers_arguments_by_default_are_those_the_cgroup_v2_vm_test_uses():
    """Does SandboxedExecute with its defaults give the launcher what managers.launcher_arguments gives
    with its own (which the cgroup v2 VM test's grader uses, not to import nbgrader under emulation)?"""
    for protection in (Protection("/usr/bin/bwrap", True, ()), Protection("/usr/bin/bwrap", False, ("no cgroups",))):
        executor = SandboxedExecute()
        executor.protection = protection
        assert executor.launcher_arguments() == managers.launcher_arguments(protection)
    assert managers.launcher_arguments(protection) == [
        "--bwrap", "/usr/bin/bwrap", "--memory-limit", str(2 * 2**30), "--max-processes", "64", "--"]


