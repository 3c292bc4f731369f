"""A plain install (no numba) collects and runs: simulated by a ``numba`` whose import fails."""

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _run(tmp_path, *args):
    fake = tmp_path / "numba"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('numba is not installed (simulated)')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]))
    env.pop("LUCID_NO_NUMBA", None)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_the_doctest_collection_passes_when_numba_cannot_be_imported(tmp_path):
    result = _run(tmp_path, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only", "lucid")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "_numba" not in result.stdout


def test_the_kernels_fall_back_to_numpy_leaves_when_numba_cannot_be_imported(tmp_path):
    code = ("import numpy as np; from lucid.kernels import conv; "
            "case = conv.make_case((1, 4, 64), (4, 4, 3), 64, 1, 1, 1, 1); "
            "names = [leaf.name for op in conv.OPS for leaf in conv.applicable(op, case)]; "
            "assert not any(n.endswith('_compiled') for n in names), names; "
            "y = conv.conv1d(np.ones((1, 4, 64)), np.ones((4, 4, 3)), 1, 1, 1, 1); assert y[0, 0, 5] == 12.0")
    result = _run(tmp_path, "-c", code)
    assert result.returncode == 0, result.stdout + result.stderr
