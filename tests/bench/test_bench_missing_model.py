"""A benchmark whose model weights are missing says so in one line (exit 2), not with a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT
from media_factory import make_clip


def test_person_speed_bench_without_weights_is_one_line(tmp_path):
    clip = make_clip(tmp_path / "clip.mp4", frames=6)
    env = os.environ | {"ANON_MODEL_DIR": str(tmp_path / "models"), "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-m", "anon_core.cli.main", "bench", "speed", "--target", "person",
                        "--clip", str(clip), "--no-deface", "--json", str(tmp_path / "s.json")],
                       capture_output=True, text=True, timeout=180, env=env)
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 2, p.stderr
    assert len(lines) == 1 and "Traceback" not in p.stderr, p.stderr
    assert "anon models pull yolox-nano" in lines[0]
    assert not (tmp_path / "s.json").exists()
