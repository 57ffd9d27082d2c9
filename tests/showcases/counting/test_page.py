"""The Person counting page renders (Streamlit AppTest) and offers its inputs, without running a count."""

from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[3] / "pages" / "4_Person_counting.py"


def test_page_renders_with_counting_controls(model_dir):
    AppTest = pytest.importorskip("streamlit.testing.v1").AppTest
    at = AppTest.from_file(str(PAGE), default_timeout=120)
    at.run()
    assert not at.exception
    assert not at.error
    assert "Counting detector" in [s.label for s in at.selectbox]
    modes = {s.key: s.options for s in at.segmented_control}
    assert modes["count_source"] == ["Upload or sample", "Live webcam"]
    assert modes["count_mode"] == ["Upload", "Sample"]


def test_live_mode_runs_the_plain_pipeline_with_the_count_analyzer(model_dir):
    """Live webcam mode: the stream's pipeline is a plain Pipeline with the counting analyzer plugged in (no
    look-alike), the session's overlay runs after it, and the panels are labelled."""
    AppTest = pytest.importorskip("streamlit.testing.v1").AppTest
    from anon_core.pipeline import Pipeline
    from showcases.counting.session import ANALYZER, CountAnalyzer

    at = AppTest.from_file(str(PAGE), default_timeout=120)
    at.run()
    at.segmented_control(key="count_source").set_value("webcam").run()
    assert not at.exception
    headings = " ".join(m.value for m in at.markdown)
    assert "Anonymized (what leaves the camera)" in headings and "Counts" in headings
    live, _ = at.session_state["_anon_live_count_live"]
    pipe = live._pipeline
    assert type(pipe) is Pipeline and isinstance(pipe.analyzers[ANALYZER], CountAnalyzer)
    assert live._overlay is not None and live._overlay.__self__.analyzer is pipe.analyzers[ANALYZER]
