"""Session temp folders and preview bookkeeping (no Streamlit runtime needed)."""

from __future__ import annotations

import gc
import os
import stat
import time

from ui.inputs import STALE_SECONDS, _SessionDir, _sweep_stale, safe_name
from ui.video import preview_indices


def test_session_dir_is_private_and_removed_with_its_owner(tmp_path):
    holder = _SessionDir(tmp_path / "root")
    path = holder.path
    (path / "in-x").mkdir()
    (path / "in-x" / "upload.mp4").write_bytes(b"raw")
    assert stat.S_IMODE(path.stat().st_mode) == 0o700
    other = _SessionDir(tmp_path / "root")
    assert other.path != path
    del holder
    gc.collect()
    assert not path.exists() and other.path.exists()


def test_sweep_removes_only_stale_session_dirs(tmp_path):
    old, new = tmp_path / "session-old", tmp_path / "session-new"
    old.mkdir()
    new.mkdir()
    past = time.time() - STALE_SECONDS - 60
    os.utime(old, (past, past))
    _sweep_stale(tmp_path)
    assert not old.exists() and new.exists()


def test_safe_name_keeps_suffix_and_drops_paths():
    assert safe_name("../../etc/passwd.MP4") == "passwd.mp4"
    assert safe_name("my holiday (1).jpeg") == "my_holiday_1.jpeg"
    assert safe_name("???.png") == "upload.png"


def test_preview_indices_are_bounded_and_spread():
    assert preview_indices(6, 24) == set(range(6))
    many = preview_indices(10_000, 24)
    assert len(many) == 24 and min(many) == 0 and max(many) == 9_999
    assert len(preview_indices(None, 24)) == 24
