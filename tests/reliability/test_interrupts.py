"""Issue #12 items 6 and 10: SIGTERM / SIGINT mid-run and Ctrl-C during start-up (real subprocesses).

Each run must end with one stderr line, the conventional exit status, and nothing left behind: no
published output and no hidden temp file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest
from media_factory import make_clip
from reliability.helpers import ROOT, error_lines, snapshot


def _start(args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT), ANON_THREADS="1")
    # SIGINT must not be inherited as ignored (background shells ignore it): restore the default
    return subprocess.Popen([sys.executable, "-m", "anon_core.cli.main", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _wait_for_work(proc, folder, timeout=90):
    """Until a temp output with content exists (encoding/writing has begun)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"finished before it could be interrupted: {proc.communicate()}")
        for p in folder.rglob(".*"):
            if p.is_file() and p.stat().st_size > 0 or p.is_dir() and any(p.iterdir()):
                return
        time.sleep(0.05)
    proc.kill()
    pytest.fail("no temp output appeared")


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_video_interrupted_mid_run_leaves_nothing(tmp_path, sig, code):
    make_clip(tmp_path / "clip.mp4", frames=600, size=(320, 240))
    before = snapshot(tmp_path)
    proc = _start(["video", "clip.mp4", "-o", "out/anon.mp4", "--report", "out/r.json", "--method", "fill",
                   "--no-progress"], tmp_path)
    _wait_for_work(proc, tmp_path)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    lines = error_lines(err)
    assert len(lines) == 1 and "interrupted" in lines[0] or "terminated" in lines[0], err
    assert snapshot(tmp_path) == before, "no output, no temp file, no created folder left"


def test_frames_sigterm_mid_run_leaves_the_folder_as_it_was(tmp_path):
    seq = tmp_path / "seq" / "img1"
    seq.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(1, 301):
        cv2.imwrite(str(seq / f"{i:06d}.jpg"), rng.integers(0, 255, (120, 160, 3), np.uint8))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("unrelated")
    before = snapshot(tmp_path)
    proc = _start(["frames", "seq", "-o", "out", "--overwrite", "--method", "fill", "--no-progress"], tmp_path)
    _wait_for_work(proc, tmp_path)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and len(error_lines(err)) == 1, err
    assert snapshot(tmp_path) == before


def _wait_for_main(proc, timeout=60) -> None:
    """Until `anon`'s main() has started importing numpy (visible in the process's memory maps): a
    signal before that hits the interpreter's own start-up, which no program can intercept."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        try:
            if "numpy" in open(f"/proc/{proc.pid}/maps").read():
                return
        except OSError:
            pass
        time.sleep(0.01)


@pytest.mark.parametrize("delay", [0.0, 0.3, 0.6, 0.9, 1.5, 2.5])  # imports, extension init, model load
def test_ctrl_c_during_start_up_is_one_line(tmp_path, delay):
    """Item 10: Ctrl-C while the heavy modules are imported / the model loads printed a 43-line traceback
    (and, inside a pybind11 module's initialisation, an ImportError or a silent exit by SIGINT)."""
    make_clip(tmp_path / "clip.mp4", frames=10)
    proc = _start(["video", "clip.mp4", "-o", "o.mp4", "--no-progress"], tmp_path)
    _wait_for_main(proc)
    time.sleep(delay)
    if proc.poll() is not None:
        pytest.skip(f"the command finished within {delay} s of its start-up on this machine")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    lines = error_lines(err)
    assert proc.returncode == 130 and len(lines) == 1 and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]


def test_the_cli_module_imports_nothing_heavy():
    """Ctrl-C can only be turned into one line once main() runs: importing anon_core.cli.main (what the
    `anon` script does first) must not load numpy, cv2 or torch at module level."""
    code = "import sys, anon_core.cli.main; print(sorted(m for m in ('numpy', 'cv2', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=str(ROOT)),
                         capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
