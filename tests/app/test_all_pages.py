"""Every page of the app renders without an exception on first load (no input chosen yet)."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["Home.py"] + sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))


@pytest.mark.parametrize("page", PAGES)
def test_page_renders(page, new_app):
    at = new_app(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title or at.header or at.markdown, f"{page} shows nothing"
