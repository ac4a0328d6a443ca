"""Per-kernel cgroups on cgroup v2, for real, in a VM booted here (this host is cgroup v1).

The VM (virtme-ng, qemu without KVM, Debian's kernel from /boot) sees this machine's files read-only
and runs VM_SCRIPT as root. That script runs this module as a program (`grade_probes`) twice, each
time a grader starting sandboxed kernels exactly as autograde does (the protection probe, which
prepares the cgroups, SandboxedExecute's launcher arguments, SandboxKernelManager), beside a
group left by a killed run:
- as root, in a non-root group that also holds a `sleep`: the grader must move both into a leaf;
- as an ordinary user (nobody) in a subtree delegated by hand the way systemd's Delegate=yes leaves it
  (the folder and its cgroup.procs, cgroup.subtree_control, cgroup.threads chowned, the shell moved in).
In each, a bomber kernel starts 200 processes (limit 64), then spreads 2.4 GiB over three processes
(limit 2 GiB), while a neighbour kernel starts processes and allocates memory beside it. Meanwhile
the script asks `cgroups.prepare` about broken trees (half delegated, no memory controller, read-only).
Everything measured comes back as JSON; the tests below judge it. One boot: 6 to 8 minutes on a busy
2-core machine, most of it the graders importing nbgrader under emulation.
"""
import asyncio
import glob
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
USER = 65534  # nobody, whose passwd entry the VM sees
SITE = sysconfig.get_paths()["purelib"]
PYTHONS = {sys.executable: sysconfig.get_paths()["stdlib"], "/usr/bin/python3.11": "/usr/lib/python3.11"}
# what a grader and a kernel import as they start (hot_files)
STARTUP = "helpers.grading.sandbox.execute, helpers.grading.sandbox.launcher, ipykernel.kernelapp, ipykernel.ipkernel"
GIB = 2**30

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
import os, time
hogs = []
for _ in range(3):  # 3 x 0.8 GiB, every page written: 2.4 GiB in all
    pid = os.fork()
    if pid == 0:
        hog = b"x" * (800 * 2**20)
        time.sleep(8)
        os._exit(0)
    hogs.append(pid)
print(*[os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in hogs])
'''
NEIGHBOUR_WORK = '''
import subprocess
data = b"y" * 2**27
print(sum(subprocess.Popen(["true"]).wait() for _ in range(8)), len(data))
'''


# --- inside the VM: a grader starting kernels --------------------------------------------------------


class Kernel:
    """A kernel started as autograde starts one, driven from here."""

    def __init__(self, workdir: str, arguments: list):
        from helpers.grading.sandbox.execute import SandboxKernelManager
        self.workdir, self.arguments = workdir, arguments
        self.manager, self.client = SandboxKernelManager(), None

    async def start(self):
        await self.manager.start_kernel(cwd=self.workdir, extra_arguments=self.arguments)
        self.client = self.manager.client()
        self.client.start_channels()
        await self.client.wait_for_ready(timeout=120)

    def group(self) -> str:
        from helpers.grading.sandbox import cgroups
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
    from helpers.grading.sandbox import cgroups
    gone = subprocess.Popen(["true"])
    gone.wait()
    stale = os.path.join(base, f"{cgroups.PREFIX}{gone.pid}")
    os.mkdir(stale)
    stray = subprocess.Popen(["sleep", "600"])
    cgroups.write(stale, "cgroup.procs", stray.pid)
    return stale, stray


async def grade_probes(workdir: str) -> dict:
    """What a grader here sees when a bomber and a neighbour kernel run side by side."""
    from helpers.grading.sandbox import cgroups
    from helpers.grading.sandbox.execute import SandboxedExecute
    from helpers.grading.sandbox.protection import probe

    began = time.monotonic()
    seconds = {}
    protection = probe()
    executor = SandboxedExecute()
    executor.protection = protection
    arguments = executor.launcher_arguments()  # the default limits: 2 GiB, 64 processes
    (base,) = cgroups.parents()
    found = {"missing": list(protection.missing), "arguments": arguments, "base": base,
             "in leaf": sorted(Path(f"/proc/{pid}/comm").read_text().strip() for pid in
                               cgroups.read(os.path.join(base, cgroups.LEAF), "cgroup.procs").split())}
    stale, stray = left_by_a_killed_run(base)
    bomber, neighbour = Kernel(workdir, arguments), Kernel(workdir, arguments)
    seconds["imports, probe"] = time.monotonic() - began
    await asyncio.gather(bomber.start(), neighbour.start())
    seconds["kernels started"] = time.monotonic() - began
    found["stale"] = [os.path.isdir(stale), stray.wait(timeout=30)]
    try:
        group = found["group"] = bomber.group()
        found["limits"] = {name: cgroups.read(group, name).strip()
                           for name in ("memory.max", "memory.swap.max", "pids.max")}
        found["forks"] = await bomber.run(FORK_BOMB)
        found["pids.current"] = int(cgroups.read(group, "pids.current"))
        seconds["fork bomb"] = time.monotonic() - began
        found["neighbour"] = [await neighbour.run(NEIGHBOUR_WORK)]
        await bomber.run(END_FORK_BOMB)
        hogs, work = await asyncio.gather(bomber.run(MEMORY_BOMB), neighbour.run(NEIGHBOUR_WORK))
        found["hogs"], found["neighbour"] = hogs, found["neighbour"] + [work]
        seconds["memory bomb"] = time.monotonic() - began
        found["memory.events"] = cgroups.read(group, "memory.events")
        found["memory.peak"] = int(cgroups.read(group, "memory.peak"))
        found["alive"] = [await bomber.manager.is_alive(), await neighbour.manager.is_alive()]
    finally:
        await asyncio.gather(bomber.stop(), neighbour.stop())
    deadline = time.monotonic() + 15
    while (left := [n for n in os.listdir(base) if n.startswith(cgroups.PREFIX)]) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    found["left"], found["seconds"] = left, seconds
    seconds["kernels stopped"] = time.monotonic() - began
    return found


# --- the VM ------------------------------------------------------------------------------------------

VM_SCRIPT = r'''#!/bin/sh
# Runs as root in the VM; emulated, it is slow, so the graders and the broken-tree questions run at
# once, each started in its own group. Results go to OUT (shared with the host). The ordinary user
# gets a VM-local tmpfs (it cannot create files in the share) and a venv made from Debian's python
# (the project's links its python into /root, mode 700) onto which the project's packages are mounted.
set -eu
OUT={out} REPO={repo} SITE={site} U={user}
CG=/sys/fs/cgroup W=/run/cnn
export PYTHONPATH=$REPO PATH=/usr/bin:/bin
probe="$REPO/tests/test_sandbox_cgroup_v2.py"
mkdir -p $W/home $W/work /run/hot
tar -C /run/hot -xf $OUT/hot.tar
for d in {hot_dirs}; do mount -t overlay overlay -o lowerdir=/run/hot$d:$d $d; done
echo "print(1)" > $W/work/notebook.py
chown $U $W/home $W/work
/usr/bin/python3.11 -m venv --without-pip $W/venv
mount --bind $SITE $W/venv/lib/python3.11/site-packages
user="setpriv --reuid=$U --regid=$U --clear-groups env HOME=$W/home"
in_group() {{ sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$@"; }}
started() {{ until grep -q . $1/cgroup.procs; do sleep 0.1; done; }}
delegate() {{ chown $U $1 $1/cgroup.procs $1/cgroup.subtree_control $1/cgroup.threads; }}  # as Delegate=yes
ask='import os; from helpers.grading.sandbox import cgroups
cgroups.CGROUP_ROOT = os.environ.get("CG_ROOT", cgroups.CGROUP_ROOT); print(cgroups.prepare())'
echo "+memory +pids" > $CG/cgroup.subtree_control

# root, in a group that also holds a sleep
mkdir $CG/grader
in_group $CG/grader sleep 600 &
started $CG/grader
in_group $CG/grader env HOME=/tmp $REPO/.venv/bin/python $probe $W/work > $OUT/root.json 2> $OUT/root.err &
root=$!

# nobody, in a subtree delegated by hand, with a sleep of its own
mkdir $CG/delegated
delegate $CG/delegated
in_group $CG/delegated $user sleep 600 &
started $CG/delegated
in_group $CG/delegated $user $W/venv/bin/python $probe $W/work > $W/user.json 2> $W/user.err &
nobody=$!

# broken trees: half delegated, no memory controller, read-only
mkdir $CG/half && chown $U $CG/half
in_group $CG/half $user $W/venv/bin/python -c "$ask" > $OUT/half.txt 2>&1 &
half=$!
mkdir -p $CG/nomem/inner && echo +pids > $CG/nomem/cgroup.subtree_control
delegate $CG/nomem/inner
in_group $CG/nomem/inner $user $W/venv/bin/python -c "$ask" > $OUT/nomem.txt 2>&1 &
nomem=$!
mkdir $W/ro && mount -t cgroup2 -o ro cgroup2 $W/ro
CG_ROOT=$W/ro $W/venv/bin/python -c "$ask" > $OUT/readonly.txt 2>&1 &
wait $root $nobody $half $nomem $! || true  # not the sleeps
cp $W/user.json $W/user.err $OUT/
echo done > $OUT/done
'''


def hot_files() -> set:
    """The files both Pythons used in the VM read to start a grader and a kernel (modules, their
    bytecode, extensions). Read through the VM's 9p share they cost minutes under emulation; VM_SCRIPT
    lays a tmpfs copy over their folders (what is not copied is still found underneath)."""
    code = (f"import sys; sys.path[:0] = [{str(REPO)!r}, {SITE!r}]; import {STARTUP}; "
            "print(*(getattr(m, '__file__', None) or '' for m in list(sys.modules.values())))")
    files = set()
    for python, stdlib in PYTHONS.items():
        imported = subprocess.run([python, "-I", "-c", code], capture_output=True, text=True, check=True)
        for name in imported.stdout.split():
            if name.startswith((SITE + "/", stdlib + "/")):
                cached = importlib.util.cache_from_source(name) if name.endswith(".py") else name
                files |= {name} | ({cached} if os.path.exists(cached) else set())
    return files


def vm_tools():
    """(vng, kernel image) or the reason the VM cannot be booted here."""
    vng = shutil.which("vng", path=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    images = [image for image in sorted(glob.glob("/boot/vmlinuz-*")) if os.access(image, os.R_OK)]
    missing = [what for what, found in (("qemu-system-x86_64 (apt-get install qemu-system-x86)",
                                         shutil.which("qemu-system-x86_64")),
                                        ("a readable kernel in /boot (apt-get install linux-image-amd64)", images),
                                        ("vng (virtme-ng, in requirements.txt)", vng)) if not found]
    return vng, images[-1] if images else None, missing


@pytest.fixture(scope="module")
def vm():
    """Boot the VM once, run VM_SCRIPT, return what it wrote and how long it took."""
    vng, image, missing = vm_tools()
    if missing:
        pytest.skip("no VM: missing " + ", ".join(missing) + " (make system-deps)")
    out = Path(tempfile.mkdtemp(prefix="cnn-cgroup-v2-vm-"))  # not pytest's: other runs prune those
    with tarfile.open(out / "hot.tar", "w") as tar:
        for name in sorted(hot_files()):
            tar.add(name, recursive=False)
    script = out / "vm.sh"
    script.write_text(VM_SCRIPT.format(out=out, repo=REPO, site=SITE, user=USER,
                                       hot_dirs=" ".join([SITE, *PYTHONS.values()])))
    script.chmod(0o755)
    env = dict(os.environ, PATH=f"{Path(vng).parent}:{os.environ.get('PATH', '')}")
    started = time.monotonic()
    boot = subprocess.run([vng, "--run", image, "--disable-kvm", "--memory", "4G", "--cpus", "2",
                           "--rwdir", str(out), "--exec", str(script)],
                          env=env, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    seconds = time.monotonic() - started
    print(f"cgroup v2 VM: {seconds:.0f} s")
    assert (out / "done").exists(), f"the VM did not run its script (exit {boot.returncode}):\n" \
        f"{boot.stdout[-3000:]}\n{boot.stderr[-3000:]}"
    yield out, seconds
    shutil.rmtree(out)


def results(out: Path, who: str) -> dict:
    text = (out / f"{who}.json").read_text()
    assert text, (out / f"{who}.err").read_text()[-3000:]
    return json.loads(text)


@pytest.mark.vm
@pytest.mark.parametrize("who, base", [("root", "/sys/fs/cgroup/grader"), ("user", "/sys/fs/cgroup/delegated")])
def test_kernel_limits_hold_on_cgroup_v2(vm, who, base):
    """Root in a shared group, and an ordinary user in a delegated subtree: did the grader move its
    group's other process into a leaf, give each kernel a group beside it with 2 GiB (no swap) and 64
    processes, stop 200 processes and a 2.4 GiB bomb spread over three processes, while the neighbour
    kernel worked on, and leave no kernel group behind, removing (and emptying) one a killed run left?"""
    out, _ = vm
    found = results(out, who)
    print(who, "seconds since the grader started:", found["seconds"])
    assert found["missing"] == [] and "--cgroups" in found["arguments"]
    assert "sleep" in found["in leaf"]  # moved there by the grader, which ran beside it
    assert os.path.dirname(found["group"]) == base == found["base"]
    assert found["limits"] == {"memory.max": str(2 * GIB), "memory.swap.max": "0", "pids.max": "64"}
    started, failed = map(int, found["forks"].split())
    assert 32 < started < 64 and failed == 200 - started and found["pids.current"] == 64
    assert -9 in map(int, found["hogs"].split())  # the limit killed a hog: 2.4 GiB did not fit
    assert "oom_kill 0" not in found["memory.events"] and found["memory.peak"] <= 2 * GIB
    assert found["neighbour"] == [f"0 {2**27}"] * 2 and found["alive"] == [True, True]
    assert found["left"] == [] and found["stale"] == [False, -9]  # and the killed run's group went


@pytest.mark.vm
@pytest.mark.parametrize("case, words", [
    ("half", ["/sys/fs/cgroup/half", "not delegated", "cgroup.procs", "cgroup.subtree_control",
              "systemd-run --user --scope -p Delegate=yes"]),
    ("nomem", ["/sys/fs/cgroup/nomem/inner", "memory", "/sys/fs/cgroup/nomem/cgroup.subtree_control"]),
    ("readonly", ["read-only", "Delegate=yes"]),
])
def test_a_broken_cgroup_tree_is_named_with_its_fix(vm, case, words):
    """A half-delegated subtree, one without the memory controller, a read-only mount: does the
    grader say what is wrong and how to fix it, instead of grading without limits unannounced?"""
    out, _ = vm
    message = (out / f"{case}.txt").read_text()
    assert all(word in message for word in words), message


def test_the_grader_finds_its_v2_subtree_also_from_its_leaf(tmp_path):
    """Does the grader's subtree come from the `0::` line (v2 alone or hybrid), and stay the same once
    the grader (or a shell it moved) runs in the leaf?"""
    from helpers.grading.sandbox import cgroups
    proc = tmp_path / "cgroup"
    proc.write_text("4:memory:/x\n0::/user.slice/grader\n")
    assert cgroups.unified_group("/sys/fs/cgroup/unified", str(proc)) == "/sys/fs/cgroup/unified/user.slice/grader"
    proc.write_text("0::/\n")
    assert cgroups.unified_group("/sys/fs/cgroup", str(proc)) == "/sys/fs/cgroup"
    assert cgroups.subtree("/sys/fs/cgroup/g/cnn-grader") == cgroups.subtree("/sys/fs/cgroup/g") == "/sys/fs/cgroup/g"


if __name__ == "__main__":  # in the VM, run by VM_SCRIPT
    print(json.dumps(asyncio.run(grade_probes(sys.argv[1]))))
