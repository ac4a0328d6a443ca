"""The modules shipped beside the notebook (source/<assignment>/), loaded for the grader's side:
`cnn_checks` (CHECKS_MODULE: the visible checks, the judging and the codec) and `cnn_record`
(RECORD_MODULE: the hidden tests' recording of results, and the cases' arguments made from their seeds).

There is one copy of the comparison, message and recording code: the files shipped beside the notebook.
"""
import importlib.util
import sys

from helpers.course import CHECKS_MODULE, RECORD_MODULE, SOURCE_DIR


def _load(name, imports=None):
    """source/<assignment>/<name>.py as the module helpers._<name>.

    imports -- {plain name: module} that its own `from <plain name> import ...` get while it loads:
    the shipped modules import each other by the plain names they have in the kernel.
    """
    imports = imports or {}
    spec = importlib.util.spec_from_file_location(f"helpers._{name}", SOURCE_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    saved = {plain: sys.modules.get(plain) for plain in imports}
    sys.modules.update(imports)
    try:
        spec.loader.exec_module(module)
    finally:
        for plain, previous in saved.items():
            if previous is None:
                del sys.modules[plain]
            else:
                sys.modules[plain] = previous
    return module


cnn_checks = _load(CHECKS_MODULE)
cnn_record = _load(RECORD_MODULE, {CHECKS_MODULE: cnn_checks})
