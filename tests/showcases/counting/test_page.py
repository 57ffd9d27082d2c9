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
