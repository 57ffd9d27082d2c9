"""`anon bench speed` end to end on a short synthetic clip (our side only): what the lead re-measures
on a quiet machine is in the result (CPU time per frame, detector runs by kind, load average) and
every face of the clip is covered."""

from anon_core.bench.speed import SpeedConfig, run_speed, speed_markdown


def test_speed_run_reports_cpu_per_frame_runs_by_kind_and_load(tmp_path, monkeypatch):
    monkeypatch.setenv("ANON_CACHE_DIR", str(tmp_path / "cache"))  # never the user's cache
    cfg = SpeedConfig(synth="webcam", size=(320, 240), seconds=1.0, deface=False)
    result = run_speed(cfg)
    ours = result["ours"]
    assert ours["frames"] == result["frames"] > 0
    assert ours["recall90"] == 1.0, ours
    kinds = ours["runs_by_kind"]
    assert kinds["full"] >= 1 and sum(kinds.values()) == ours["detector_runs"] <= ours["frames"]
    assert abs(ours["cpu_ms_per_frame"] - 1000 * ours["cpu_seconds"] / ours["frames"]) < 1e-6
    assert set(result["load_average_1min"]) == {"start", "end"}
    table = speed_markdown(result)
    assert "CPU ms/frame" in table and f"{kinds['full']}/{kinds['roi']}" in table
