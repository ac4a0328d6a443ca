"""Are the generated files the same, byte for byte, whatever the CPU computes them with?

The stored expected values once went through OpenBLAS, whose kernel depends on the CPU: another
machine's `make release` changed the last bits of a few floats. Here the sources are regenerated
under other OpenBLAS kernels and with numpy's widest SIMD turned off (the ways to try another CPU
on one machine) and compared with the committed files.
"""
import filecmp
import os
import subprocess
import sys

import pytest

from helpers.course import ROOT, SOURCE_DIR


def cpu_flags() -> set:
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        return {flag for line in handle if line.startswith("flags") for flag in line.split(":", 1)[1].split()}


def simd_found() -> list:
    """numpy's dispatched SIMD targets that this CPU has, beyond the build's baseline (widest last)."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    return [name for name in __cpu_dispatch__ if __cpu_features__.get(name)]


# OpenBLAS kernels, each with a CPU flag it needs: a kernel the CPU lacks dies with an illegal instruction.
CORETYPES = {"Prescott": "sse3", "Sandybridge": "avx", "Haswell": "avx2", "SkylakeX": "avx512f"}


def variants():
    flags = cpu_flags()
    found = simd_found()
    out = [pytest.param({"OPENBLAS_CORETYPE": core}, id=f"openblas-{core}") for core, flag in CORETYPES.items()
           if flag in flags]
    if found:
        out.append(pytest.param({"NPY_DISABLE_CPU_FEATURES": found[-1]}, id=f"numpy-without-{found[-1]}"))
        out.append(pytest.param({"NPY_DISABLE_CPU_FEATURES": " ".join(found)}, id="numpy-baseline-only"))
    return out


def generated_files(folder):
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file() and p.suffix in (".ipynb", ".json", ".png"))


@pytest.mark.parametrize("env", variants())
def test_sources_are_the_same_on_another_cpu(env, tmp_path):
    """Does regenerating the notebook, the check data and the figures under env give the committed bytes?"""
    (tmp_path / "images").mkdir()
    code = f"from pathlib import Path; from helpers.tools import build; build.write_sources(Path({str(tmp_path)!r}))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    committed = generated_files(SOURCE_DIR)
    assert generated_files(tmp_path) == committed
    differ = [str(name) for name in committed if not filecmp.cmp(tmp_path / name, SOURCE_DIR / name, shallow=False)]
    assert not differ, f"differ from the committed files under {env}: {differ}"


def test_the_variants_really_change_the_kernels():
    """Do the variants compute the seeded conv_single_step differently through BLAS, as other CPUs do?"""
    code = ("import numpy as np; np.random.seed(1); a = np.random.randn(4, 4, 3); W = np.random.randn(4, 4, 3); "
            "b = np.random.randn(1, 1, 1); print(repr(float(np.tensordot(a, W, axes=3)) + b.item()))")
    outputs = set()
    for param in variants():
        env = {**os.environ, **param.values[0]}
        outputs.add(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                   check=True).stdout)
    assert len(outputs) > 1, f"every variant gave the same BLAS result: {outputs}"
