"""`anon track` and `anon count` with `-o out.mp4 --report r.json` write the audit report of `anon video`:
input and output sha256 of the files as they are on disk (hashlib), one entry per frame, and the command's
analytics summary (issue #15: one job loop for every command).  `anon attributes` is checked the same way
in tests/showcases/attributes/test_attributes_cli.py (video and image), where its models are loaded anyway."""

from __future__ import annotations

import hashlib
import json

import pytest
from conftest import isolated_sample

from anon_core.cli.main import main
from anon_core.media import probe


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """One second of the synthetic walkway at 320x180 (people walking)."""
    return isolated_sample(tmp_path_factory, "walkway", seed=1, seconds=1.0, size=(320, 180)).video


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


COMMANDS = {  # command -> (extra arguments, analytics entry its report must carry)
    "track": (["--detector", "yolox-nano", "--json", "{tmp}/t.json", "--no-progress"], "tracks_raw"),
    "count": (["--person-detector", "yolox-nano", "--no-progress"], "person_count"),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_showcase_video_carries_the_audit_report(command, clip, tmp_path, model_dir):
    extra, analytics = COMMANDS[command]
    out, report = tmp_path / "out.mp4", tmp_path / "r.json"
    args = [command, str(clip), "-o", str(out), "--report", str(report), *(a.format(tmp=tmp_path) for a in extra)]
    assert main(args) == 0
    audit = json.loads(report.read_text())
    frames = probe(clip).frame_count
    assert audit["schema"] == "anonymize-first/report/v1" and audit["kind"] == "video"
    assert audit["input"]["sha256"] == _sha(clip)
    assert audit["output"]["sha256"] == _sha(out) and audit["output"]["path"] == str(out)
    assert audit["summary"]["frames"] == len(audit["frames"]) == frames == probe(out).frame_count
    assert audit["pipeline"]["detectors"] and analytics in audit["analytics"]
