"""The Benchmark page shows a stored result: table, both charts, skipped rows."""

from pathlib import Path

from anon_core.bench.report import write_json
from anon_core.bench.runner import BenchConfig, run_bench

ROOT = Path(__file__).resolve().parents[2]


def test_page_renders_a_stored_result(tud_campus, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    result = run_bench(BenchConfig(tud_campus, models=("yolox-m",), track_every=(), max_frames=2))
    path = tmp_path / "bench.json"
    write_json(result, path)
    monkeypatch.setenv("ANON_BENCH_JSON", str(path))
    monkeypatch.setenv("ANON_APP_TMP", str(tmp_path / "app"))
    at = AppTest.from_file(str(ROOT / "pages" / "9_Benchmark.py"), default_timeout=60).run()
    assert not at.exception
    table = at.dataframe[0].value
    # every measured row by its name; a skipped model (yolox-m, no weights here) is listed below the table
    assert list(table["name"]) == [r["name"] for r in result["rows"] if r.get("status", "ok") == "ok"]
    assert table["iou_pb"].tolist() == [0.0, 100.0, 100.0]  # Null, Perfect, Perfect black, shown in %
    assert len(at.get("plotly_chart")) == 2
    assert any("yolox-m" in m.value for m in at.markdown)  # skipped (no weights) is listed
