"""`anon bench batch` end to end on a tiny archive (local engine, one worker): the numbers it reports
are the batch's own (frames = clip frames + photos) and the JSON/Markdown are written."""

from __future__ import annotations

import json

from batch.helpers import anon_here


def test_bench_batch_reports_what_the_batch_did(tmp_path, monkeypatch):
    monkeypatch.setenv("ANON_CACHE_DIR", str(tmp_path / "cache"))  # the generated clip stays in this test
    out_json, out_md = tmp_path / "b.json", tmp_path / "b.md"
    p = anon_here("bench", "batch", "--engines", "local", "--workers", "1", "--clips", "1", "--seconds", "1",
                  "--photos", "2", "--json", out_json, "--md", out_md)
    assert p.returncode == 0, p.stderr
    result = json.loads(out_json.read_text())
    (run,) = result["runs"]
    assert run["engine"] == "local" and run["workers"] == 1
    assert run["files"] == 3 and run["failed"] == 0 and run["frames"] == 15 + 2  # one 1 s clip at 15 fps + 2 photos
    assert run["frames_per_s"] > 0 and abs(run["frames_per_s"] - run["frames"] / run["seconds"]) < 0.1
    assert result["scaling"]["goal_met"] is None  # a single worker count: no ratio to judge
    assert "| local | 1 | 3 | 17 |" in out_md.read_text()
