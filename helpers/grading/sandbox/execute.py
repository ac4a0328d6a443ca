"""nbgrader's Execute, with each kernel sandboxed and limited, and a dead kernel costing only its cell.

Put in place of nbgrader.preprocessors.Execute in c.Autograde.autograde_preprocessors. Per notebook:
- the kernel is the kernelspec cnn-sandbox (helpers/grading/sandbox/kernels): bubblewrap around ipykernel,
  with a cgroup limiting its memory and processes (helpers.grading.sandbox.launcher);
- each cell keeps at most `output_text_limit` bytes of text and `output_data_limit` bytes of other
  data, then a note that the output was cut;
- when the kernel dies in a cell (os._exit, out of memory, a crash) or does not come back from the
  timeout's interrupt, the cell gets an error, the kernel is restarted, the earlier cells are run
  again (without those that killed or hung a kernel, their outputs kept as they were) and the
  remaining cells are graded;
- what the sandbox did goes into the notebook's metadata, nb.metadata["cnn_sandbox"] =
  {"sandboxed": bool, "cgroups": bool, "missing": [what protection is missing],
   "flags": [tampering found: a package beside a course module, a symbolic link in the submission],
   "left_out": [files of the submission the kernel did not get, and why],
   "events": [kernels lost and restarted]}, and into the log. helpers.grading.verify.VerifyChecks reads
  "flags": a flagged submission fails its checks and goes to manual review. Kernel deaths are not
  flags: the cell that killed the kernel already carries the error and costs what it is worth.
Where bubblewrap or cgroups are missing it warns loudly, once per run and in every notebook's
"missing", or with require_sandbox = True refuses to grade.
"""
import copy
import os

from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, Unicode

from helpers.grading.sandbox import managers, outputs, workcopy
from helpers.grading.sandbox.managers import (KERNEL_NAME, MAX_PROCESSES, MEMORY_LIMIT, UNSANDBOXED_KERNEL,
                                              PrivateKernelManager, SandboxKernelManager)
from helpers.grading.sandbox.protection import probe

METADATA_KEY = "cnn_sandbox"  # read by helpers.grading.verify (SANDBOX_KEY)
WARNED = set()  # protections already warned about in this process (the warning comes once per run)
# How a kernel is lost in a cell: the cell's error name, what happened, the usual causes.
LOST = {
    DeadKernelError: ("KernelDied", "died", "while running this cell (os._exit, out of memory, a crash)"),
    CellTimeoutError: ("KernelHung", "did not stop",
                       "when this cell ran out of time (it ignored the interrupt or had too many processes)"),
}


class SandboxUnavailable(RuntimeError):
    """The sandbox is required (require_sandbox) but this machine cannot provide it."""


class SandboxedExecute(Execute):
    """Execute each submission in a sandboxed, limited kernel that may die without sinking the rest."""

    require_sandbox = Bool(False, help=(
        "Refuse to grade (raise) when bubblewrap or per-kernel cgroups are unavailable, instead of "
        "warning once per run and recording it in every notebook (cnn_sandbox.missing).")).tag(config=True)
    bwrap = Unicode("bwrap", help="The bubblewrap executable (a name on PATH or a path).").tag(config=True)
    memory_limit = Integer(MEMORY_LIMIT, help=(
        "Bytes of memory for one kernel and all its processes (its cgroup; without cgroups, per "
        "process). Beyond it the kernel is killed, which costs the cell that used it.")).tag(config=True)
    max_processes = Integer(MAX_PROCESSES, help=(
        "Processes and threads one kernel may have at once (its cgroup's pids.max): a fork bomb "
        "stops there.")).tag(config=True)
    output_text_limit = Integer(100_000, help=(
        "Bytes of text output (prints, error messages, text representations) kept per cell; "
        "the rest is replaced by a note.")).tag(config=True)
    output_data_limit = Integer(10_000_000, help=(
        "Bytes of other output data (images, JSON such as recorded check results) kept per cell."
    )).tag(config=True)
    max_kernel_restarts = Integer(3, help=(
        "Kernel restarts per notebook after a kernel died or hung; after that the remaining cells "
        "are not run and get an error.")).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        resources = resources if resources is not None else {}
        self.protection = probe(self.bwrap)
        self.report = {"sandboxed": self.protection.sandboxed, "cgroups": self.protection.cgroups,
                       "missing": list(self.protection.missing), "flags": [], "left_out": [], "events": []}
        self.student = resources.get("nbgrader", {}).get("student", "?")
        workdir = resources.get("metadata", {}).get("path") or os.getcwd()
        self.check_protection()
        self.refuse_symbolic_links(nb, resources, workdir)
        for left_out in workcopy.plan(workdir, self.memory_limit).left_out:
            if self.protection.sandboxed:  # unsandboxed, the kernel runs in the folder itself
                self.note("left_out", left_out.text())
            if left_out.tampering:
                self.flag(left_out.text())
        self.history, self.restarts, self.gave_up = [], 0, False
        self.budgets, self.timed_out, self.current_cell = {}, False, None
        nb, resources = super().preprocess(nb, resources, km)
        nb.metadata[METADATA_KEY] = self.report
        return nb, resources

    # -- protection: what is available, warnings, flags -------------------------------------------

    def check_protection(self) -> None:
        """Refuse (require_sandbox) or warn, loudly and once per run, about missing protection."""
        if not self.protection.missing:
            return
        if self.require_sandbox:
            raise SandboxUnavailable("refusing to grade without the sandbox (require_sandbox): "
                                     + "; ".join(self.protection.missing))
        if self.protection in WARNED:
            return
        what = ("kernels are NOT sandboxed: a submission can read source/ and the gradebook and "
                "rewrite grades" if not self.protection.sandboxed else
                "kernels are sandboxed but share no per-kernel cgroup: memory is limited per process, "
                "processes are not limited")
        # one warning of three lines, once per process: what is not protected, what is missing, where to read more
        self.log.warning("%s.\n  missing: %s\n  Each autograded notebook records it (%s.missing); docs/threat-model.md "
                         "says how to get it; c.SandboxedExecute.require_sandbox = True refuses instead.",
                         what, "; ".join(self.protection.missing), METADATA_KEY)
        WARNED.add(self.protection)

    def flag(self, text: str) -> None:
        """Tampering found: the submission fails its checks and goes to manual review."""
        self.report["flags"].append(text)
        self.log.warning("%s: flagged by the sandbox: %s", self.student, text)

    def note(self, key: str, text: str) -> None:
        self.report[key].append(text)
        self.log.warning("%s: %s", self.student, text)

    def refuse_symbolic_links(self, nb, resources: dict, workdir: str) -> None:
        """nbgrader reads and copies a submitted symbolic link as the file it points to, with the
        grader's rights (the source notebook, the gradebook, ...): remove such copies before the kernel
        or the feedback sees them; a linked notebook keeps none of the code it linked to."""
        info = resources.get("nbgrader", {})
        if "assignment" not in info:
            return
        coursedir = CourseDirectory(config=self.config)
        submitted = coursedir.format_path(coursedir.submitted_directory, self.student, info["assignment"])
        for relative in workcopy.symbolic_links(submitted):
            if relative == f"{info.get('notebook')}.ipynb":
                for cell in nb.cells:
                    if cell.metadata.get("nbgrader", {}).get("solution"):
                        cell.source = "# (this notebook was submitted as a symbolic link)"
            elif os.path.isfile(os.path.join(workdir, relative)):
                os.remove(os.path.join(workdir, relative))
            self.flag(f"{relative} in the submission is a symbolic link: the grader did not follow it")

    # -- kernels ----------------------------------------------------------------------------------

    def create_kernel_manager(self):
        if self.protection.sandboxed:
            self.kernel_name = KERNEL_NAME
            self.km = SandboxKernelManager(config=self.config)
        else:  # never the kernel named in the (student's) notebook metadata
            self.kernel_name = UNSANDBOXED_KERNEL
            self.km = PrivateKernelManager(kernel_name=UNSANDBOXED_KERNEL, config=self.config)
        return self.km

    def launcher_arguments(self) -> list:
        return managers.launcher_arguments(self.protection, self.memory_limit, self.max_processes,
                                           self.extra_arguments)

    async def async_start_new_kernel(self, **kwargs) -> None:
        kwargs.setdefault("cwd", self.resources.get("metadata", {}).get("path") or None)
        arguments = self.launcher_arguments() if self.protection.sandboxed else self.extra_arguments
        await ensure_async(self.km.start_kernel(extra_arguments=arguments, **kwargs))

    start_new_kernel = run_sync(async_start_new_kernel)  # nbclient's wraps its own coroutine

    async def async_discard_kernel(self) -> None:
        """Kill the kernel at once (it may be hung) and forget it."""
        try:
            if await ensure_async(self.km.is_alive()):
                await ensure_async(self.km.shutdown_kernel(now=True))
        finally:
            await ensure_async(self.km.cleanup_resources())
            if self.kc is not None:
                await ensure_async(self.kc.stop_channels())
            self.km, self.kc = None, None

    def replace_kernel(self) -> None:
        run_sync(self.async_discard_kernel)()
        self.km = self.create_kernel_manager()
        self.start_new_kernel()
        self.start_new_kernel_client()

    # -- cells: timeouts, dead kernels, replays ---------------------------------------------------

    async def _async_handle_timeout(self, timeout, cell=None):
        self.timed_out = True
        return await super()._async_handle_timeout(timeout, cell)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, self.resources
        if self.gave_up:
            cell.outputs = [error_output("KernelRestartLimit", (
                f"not run: the kernel was lost again after {self.restarts} restarts in this notebook"))]
            return cell, self.resources
        self.timed_out = False
        try:
            cell = self.execute_cell(cell, index, store_history=True)
        except (DeadKernelError, CellTimeoutError) as error:
            ename, what, causes = LOST[type(error)]
            cell.outputs.append(error_output(ename, (
                f"the kernel {what} {causes}; it was restarted and the cells before this one were run again")))
            self.note("events", f"the kernel {what} in {cell_label(cell, index)}; restarted")
            self.recover()
        else:
            if not self.timed_out:
                self.history.append(index)  # replayed after a restart; a timed-out cell would time out again
        return cell, self.resources

    def recover(self) -> None:
        """Restart the kernel and rerun the cells that ran before; give up after max_kernel_restarts."""
        while self.restarts < self.max_kernel_restarts:
            self.restarts += 1
            self.replace_kernel()
            if self.replay():
                return
        self.gave_up = True
        self.note("events", f"gave up after {self.restarts} kernel restarts: the later cells were not run")

    def replay(self) -> bool:
        """Rerun the cells in history on a copy (their outputs stay as first recorded).
        False if the new kernel died or hung: that cell leaves the history."""
        for index in list(self.history):
            original = self.nb.cells[index]
            self.timed_out = False
            try:
                self.execute_cell(copy.deepcopy(original), index, store_history=True)
            except (DeadKernelError, CellTimeoutError):
                self.history.remove(index)
                return False
            finally:
                self.nb.cells[index] = original
            if self.timed_out:
                self.history.remove(index)
        return True

    # -- outputs: the per-cell allowance ----------------------------------------------------------

    def budget(self, cell_index: int, outs: list) -> outputs.Budget:
        if not outs or self.clear_before_next_output or cell_index not in self.budgets:
            self.budgets[cell_index] = outputs.Budget(self.output_text_limit, self.output_data_limit)
        return self.budgets[cell_index]

    def process_message(self, msg, cell, cell_index):
        self.current_cell = (cell, cell_index)
        return super().process_message(msg, cell, cell_index)

    def output(self, outs, msg, display_id, cell_index):
        budget = self.budget(cell_index, outs)
        kind = msg["msg_type"]
        kept = kind not in outputs.TRIMMED or budget.trim(kind, msg["content"]) or display_id
        out = super().output(outs, msg, display_id, cell_index) if kept else None
        self.note_cut(outs, budget)
        return out

    def _update_display_id(self, display_id, msg):
        if self.current_cell is not None:
            cell, cell_index = self.current_cell
            budget = self.budget(cell_index, cell.outputs)
            budget.trim("display_data", msg["content"])
            self.note_cut(cell.outputs, budget)
        return super()._update_display_id(display_id, msg)

    def on_cell_executed(self, **kwargs):
        reply = kwargs["execute_reply"]
        if reply["content"].get("status") == "error":  # nbgrader may copy the reply's error into the cell
            self.budget(kwargs["cell_index"], kwargs["cell"].outputs).trim_error(reply["content"])
        return super().on_cell_executed(**kwargs)

    def note_cut(self, outs: list, budget: outputs.Budget) -> None:
        if budget.cut and not budget.noted:
            outs.append(outputs.note(self.output_text_limit, self.output_data_limit))
            budget.noted = True


def error_output(ename: str, evalue: str):
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def cell_label(cell, index: int) -> str:
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    return f"cell {index}" + (f" ({grade_id})" if grade_id else "")
