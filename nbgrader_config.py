"""nbgrader configuration for the course. Run nbgrader commands from this folder."""
import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)  # the project's `helpers` package provides the preprocessors below

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.root = HERE
c.CourseDirectory.course_id = "cnn-step-by-step"

# Student version: each solution region becomes this stub.
c.ClearSolutions.code_stub = {
    "python": '# YOUR CODE HERE\nraise NotImplementedError("not implemented yet: replace this line with your code")'
}
# The optional backward checks are locked cells that are not graded while they are worth 0 points;
# their hidden tests are removed from the release and restored at autograde like any locked cell.
c.ClearHiddenTests.enforce_metadata = False

# Seconds a cell may run; a correct loop solution needs well under 5 s for the slowest check cell.
c.Execute.timeout = 120
# Once the last cell has run, stop the kernel at once: every output is in, and waiting for a graceful
# shutdown of the sandboxed kernel cost about 0.85 s per submission (measured: 6 submissions, 25.7 s -> 20.6 s).
c.Execute.shutdown_kernel = "immediate"

# nbgrader 0.9.6 reads a new submission's cells before adding it to the SQLAlchemy 2 session, which
# warns three times per student; nbgrader adds the submission right after, so nothing is lost.
warnings.filterwarnings("ignore", message=r"Object of type <Submitted\w+> not in session", module="nbgrader")

# The release's check cells lack their hidden tests: RestoreHiddenTests gives those left as released
# their source's text back before OverwriteCells compares them, so that nbgrader's "Attribute
# 'checksum' ... has changed" warning is left for a check cell the student really edited.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "helpers.grading.restore.RestoreHiddenTests",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Checks are judged outside the student's kernel: the kernel only records what the student's
# functions returned; VerifyChecks recomputes every expected value and rewrites the check cells'
# outputs with the verdicts before nbgrader scores them; FlagForReview marks tampering for review.
c.Autograde.autograde_preprocessors = [
    "helpers.grading.sandbox.execute.SandboxedExecute",  # nbgrader's Execute, sandboxed (block at the end)
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "helpers.grading.verify.VerifyChecks",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "helpers.grading.verify.FlagForReview",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# Late submissions (submitted after the due date, set with `nbgrader db assignment add cnn --duedate=...`)
# score 0: nbgrader's "zero" method makes the late penalty equal to the score. The default, "none", ignores lateness.
c.LateSubmissionPlugin.penalty_method = "zero"

# What students get back: hidden tests' code, inputs and expected values never reach them.
c.GenerateFeedback.preprocessors = [
    "helpers.grading.feedback.HideHiddenTests",
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# --- Sandbox (helpers/grading/sandbox, docs/threat-model.md) -------------------------------------------
# SandboxedExecute (first autograde preprocessor above) runs each submission in a bubblewrap
# sandbox with a cgroup per kernel: 2 GiB of memory, 64 processes, 100 kB of text output kept per
# cell; a kernel that dies costs only its cell. Where bubblewrap or cgroups are missing, autograde
# warns and records it in each notebook; True makes it refuse to grade instead.
c.SandboxedExecute.require_sandbox = False
# --- end of sandbox block ----------------------------------------------------------------------
