"""Browser steps shared by the e2e tests (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path


def download(page, button_name, dest: Path, screenshot: Path | None = None, timeout_ms: int = 150_000) -> Path:
    """Wait for the download button `button_name` (str or regex), optionally screenshot the full page,
    press it and save the file to `dest`."""
    button = page.get_by_role("button", name=button_name)
    button.wait_for(timeout=timeout_ms)
    if screenshot is not None:
        page.screenshot(path=str(screenshot), full_page=True)
    with page.expect_download(timeout=60_000) as dl:
        button.click()
    dl.value.save_as(dest)
    return dest
