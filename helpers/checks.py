"""The released checks module (source/<assignment>/cnn_checks.py), loaded as `cnn_checks` for the grader's side.

There is one copy of the comparison and message code: the file shipped beside the notebook.
"""
import importlib.util
import sys

from helpers.course import CHECKS_MODULE, SOURCE_DIR


def _load():
    path = SOURCE_DIR / f"{CHECKS_MODULE}.py"
    spec = importlib.util.spec_from_file_location(f"helpers._{CHECKS_MODULE}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


cnn_checks = _load()
