"""Grading kernels that student code cannot use against the grades: see docs/threat-model.md.

helpers.grading.sandbox.execute.SandboxedExecute replaces nbgrader's Execute in the autograde preprocessors:
each notebook runs in a bubblewrap sandbox (kernelspec kernels/cnn-sandbox, started by launcher.py)
with a cgroup per kernel, bounded outputs, and recovery from a kernel that dies or hangs. What it
finds goes into the notebook's metadata (execute.METADATA_KEY), where helpers.grading.verify reads it. This file imports nothing: the launcher, started for
every kernel, loads only the small modules it needs. The kernel managers and the launcher's arguments
are in managers.py, which does not import nbgrader (SandboxedExecute uses them).
"""
