"""The demo: a short run trains, checkpoints, reloads identically and writes its figure."""

import os
import subprocess
import sys

import pytest


def test_a_short_demo_run_lowers_the_loss_and_reloads_identically(tmp_path, capsys):
    pytest.importorskip("tqdm")
    pytest.importorskip("matplotlib")
    from lucid import demo

    result = demo.main(["--steps", "15", "--seed", "3", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert result["identical"] is True
    assert result["end_loss"] < result["start_loss"]
    assert len(result["losses"]) == 15
    assert os.path.getsize(result["figure"]) > 10_000 and os.path.isfile(result["checkpoint"])
    assert "validation MSE: start" in out and "outputs identical = True" in out


def test_the_demo_runs_as_a_module_with_its_flags(tmp_path):
    pytest.importorskip("tqdm")
    pytest.importorskip("matplotlib")
    done = subprocess.run([sys.executable, "-m", "lucid.demo", "--steps", "3", "--out", str(tmp_path / "run")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert os.path.isfile(tmp_path / "run" / "demo.png")


def test_the_demo_rejects_a_non_positive_step_count(tmp_path):
    from lucid import demo

    with pytest.raises(SystemExit):
        demo.main(["--steps", "0", "--out", str(tmp_path)])


def test_without_the_demo_extra_the_demo_says_what_to_install(tmp_path, monkeypatch):
    from lucid import demo

    monkeypatch.setitem(sys.modules, "tqdm", None)  # makes `import tqdm` raise ImportError
    with pytest.raises(SystemExit, match=r'pip install "\.\[demo\]"'):
        demo.main(["--steps", "1", "--out", str(tmp_path)])
