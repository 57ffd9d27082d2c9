"""The Industrial tracking page with Streamlit's AppTest: it renders without media, checks the user's
input (zones, classes the detector cannot find, the gt detector without ground truth) and, in the slow
test, tracks the industrial sample end to end."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PAGE = str(ROOT / "pages" / "2_Industrial_tracking.py")


@pytest.fixture()
def app(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("ANON_APP_TMP", str(tmp_path / "app"))
    monkeypatch.setenv("ANON_CACHE_DIR", str(tmp_path / "cache"))
    return AppTest.from_file(PAGE, default_timeout=300)


def _run(at):
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _text(at) -> str:
    return "\n".join(str(e.value) for e in [*at.info, *at.warning, *at.error, *at.caption, *at.markdown])


def test_page_renders_and_explains_what_to_do_without_media(app):
    at = _run(app)
    assert "Industrial tracking" in at.title[0].value
    assert "industrial" in _text(at)
    assert at.sidebar.selectbox(key="track_det").value == "yolox-nano-hd"
    at.sidebar.text_area(key="track_zones").set_value("dock=1,2,3\nok=0,0,10,10")
    at = _run(at)
    assert "cannot read zone" in _text(at)


@pytest.mark.slow
def test_page_tracks_the_industrial_sample_with_the_gt_detector(app):
    at = _run(app)
    at.segmented_control(key="track_mode").set_value("sample")
    at.sidebar.selectbox(key="track_det").set_value("gt")
    at.sidebar.multiselect(key="track_cls").set_value(["person", "box", "pallet", "cart"])
    at = _run(at)
    assert "never looks at the pixels" in _text(at)
    at.button(key="track_go").click()
    at = _run(at)
    tables = [df.value for df in at.dataframe]
    counts = tables[0]
    assert set(counts.index) == {"person", "box", "pallet", "cart"}
    metrics = tables[1].set_index("input")
    assert metrics.loc["raw", "id switches"] == 0 and metrics.loc["raw", "MOTA"] > 0.8
    assert len(at.get("plotly_chart")) == 2
