"""The README's first command stays re-runnable: a second run works without questions and replaces
exactly the files the first run wrote (issue #12, output safety)."""

from __future__ import annotations

import re
import shlex

import pytest
from reliability.helpers import ROOT, snapshot

from anon_core.cli.main import main


def _anon_commands() -> list[list[str]]:
    block = re.search(r"```bash\n(.*?)\n```", (ROOT / "README.md").read_text(), re.S).group(1)
    cmds = [shlex.split(part.strip()) for part in block.split("&&") if part.strip().startswith("anon ")]
    assert [c[1] for c in cmds] == ["synth", "video"]
    return [[{"6": "1"}.get(a, a) for a in c[1:]] + (["--no-progress"] if c[1] == "video" else []) for c in cmds]


@pytest.mark.slow  # ~45 s on the shared 2 cores (synth + video twice); the rule itself is in test_hostile_paths
def test_readme_first_command_runs_twice(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    cmds = _anon_commands()  # with --seconds 1 instead of 6: the same paths and options, a shorter clip
    for argv in cmds:
        assert main(argv) == 0, capsys.readouterr().err
    first = snapshot(tmp_path)
    (tmp_path / "demo" / "mine.txt").write_text("a file of the user's in the demo folder")
    for argv in cmds:
        assert main(argv) == 0, capsys.readouterr().err
    second = snapshot(tmp_path)
    assert set(second) == set(first) | {"demo/mine.txt"}, "the same files, no temp file left"
    assert second["demo/mine.txt"] == snapshot(tmp_path / "demo")["mine.txt"]
