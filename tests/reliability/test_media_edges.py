"""Issue #12 items 5 and 10: truncated input is never silent; odd sizes; onnxruntime leaves no files."""

from __future__ import annotations

import json

import av
import cv2
import numpy as np
import pytest
from reliability.helpers import error_lines, run_anon

from anon_core.cli.main import main
from anon_core.media import probe, read_image

FRAMES = 45


@pytest.fixture()
def truncated(tmp_path):
    """A 45-frame MP4 with its index first (faststart), cut at 30 % of its bytes: the container still
    says 45 frames, the decoder finds ~10."""
    full = tmp_path / "full.mp4"
    rng = np.random.default_rng(0)
    with av.open(str(full), "w", options={"movflags": "faststart"}) as c:
        s = c.add_stream("libx264", rate=15)
        s.width, s.height, s.pix_fmt = 160, 120, "yuv420p"
        for _ in range(FRAMES):
            frame = rng.integers(0, 255, (120, 160, 3), np.uint8)
            for p in s.encode(av.VideoFrame.from_ndarray(frame, format="bgr24")):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    cut = tmp_path / "cut.mp4"
    data = full.read_bytes()
    cut.write_bytes(data[: int(len(data) * 0.3)])
    full.unlink()
    return cut


def test_truncated_video_is_exit_2_naming_what_was_read(truncated, tmp_path, capsys):
    rc = main(["video", str(truncated), "-o", str(tmp_path / "o.mp4"), "--report", str(tmp_path / "r.json"),
               "--method", "fill", "--no-progress"])
    lines = error_lines(capsys.readouterr().err)
    assert rc == 2 and len(lines) == 1, lines
    assert f"of {FRAMES} frames" in lines[0] and "--allow-partial" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.mp4"], "nothing written"


def test_allow_partial_keeps_the_readable_frames_and_lists_the_missing(truncated, tmp_path, capsys):
    out, report = tmp_path / "o.mp4", tmp_path / "r.json"
    rc = main(["video", str(truncated), "-o", str(out), "--report", str(report), "--method", "fill",
               "--allow-partial", "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 3 and "missing" in err
    d = json.loads(report.read_text())
    part = d["input"]["partial"]
    read = part["frames_read"]
    assert 0 < read < FRAMES and part["frames_expected"] == FRAMES
    assert part["missing_frames"] == list(range(read, FRAMES))
    assert d["summary"]["failed_frames"] == FRAMES - read
    assert probe(out).frame_count == read


def test_odd_sizes(tmp_path, capsys):
    """641x479: an image keeps its exact size; a video is stored 642x480 (H.264 4:2:0) and says so."""
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (479, 641, 3), np.uint8)
    cv2.imwrite(str(tmp_path / "odd.png"), img)
    assert main(["image", str(tmp_path / "odd.png"), "-o", str(tmp_path / "o.png"), "--method", "fill"]) == 0
    assert read_image(tmp_path / "o.png").shape == (479, 641, 3)
    with av.open(str(tmp_path / "odd.mkv"), "w") as c:  # FFV1 keeps odd sizes
        s = c.add_stream("ffv1", rate=10)
        s.width, s.height, s.pix_fmt = 641, 479, "yuv444p"
        for _ in range(3):
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    rc = main(["video", str(tmp_path / "odd.mkv"), "-o", str(tmp_path / "o.mp4"), "--report",
               str(tmp_path / "r.json"), "--method", "fill", "--no-progress"])
    assert rc == 0
    info = probe(tmp_path / "o.mp4")
    assert (info.width, info.height) == (642, 480)
    note = json.loads((tmp_path / "r.json").read_text())["output"]["note_size"]
    assert note.startswith("641x479 is stored as 642x480")


def test_onnxruntime_leaves_nothing_in_the_temp_folder(tmp_path):
    """Item 10: onnxruntime 1.30 wrote mat-debug-PID.log and .ses (telemetry) into $TMPDIR per process."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    cv2.imwrite(str(tmp_path / "in.png"), np.full((120, 160, 3), 128, np.uint8))
    r = run_anon(["image", "in.png", "-o", "o.png"], tmp_path, env={"TMPDIR": str(tmpdir)})
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in tmpdir.iterdir()) == []


def test_truncated_video_on_the_gpu_path_is_not_silent(truncated, tmp_path, capsys):
    """The device job (`--device cuda`; cpu-torch runs its code on the CPU) reads the video itself: the
    same completeness rule applies."""
    rc = main(["video", str(truncated), "-o", str(tmp_path / "o.mp4"), "--device", "cpu-torch", "--no-progress"])
    lines = error_lines(capsys.readouterr().err)
    assert rc == 2 and len(lines) == 1 and f"of {FRAMES} frames" in lines[0], lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.mp4"]


def test_unreadable_frame_in_a_folder(workspace, capsys):
    """Partly undecodable input: one frame of a folder is garbage.  Exit 2 naming it, or with
    --allow-partial the readable frames under their own names, exit 3, the missing one listed."""
    (workspace / "seq" / "img1" / "000003.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    out, report = workspace / "out", workspace / "r.json"
    rc = main(["frames", str(workspace / "seq"), "-o", str(out), "--method", "fill", "--no-progress"])
    lines = error_lines(capsys.readouterr().err)
    assert rc == 2 and len(lines) == 1 and "000003.jpg" in lines[0] and "read 3 of 4" in lines[0], lines
    assert not out.exists()
    rc = main(["frames", str(workspace / "seq"), "-o", str(out), "--report", str(report), "--method", "fill",
               "--allow-partial", "--no-progress"])
    assert rc == 3
    assert sorted(p.name for p in out.iterdir()) == ["000001.jpg", "000002.jpg", "000004.jpg"]
    assert json.loads(report.read_text())["input"]["partial"]["missing_frames"] == [2]


def test_truncated_video_in_a_device_batch_is_refused_and_not_published(truncated, tmp_path, capsys):
    """`anon batch --device` runs the same device job: the cut file is a failed entry with no output
    (it was written straight to the output path, frames missing, exit 0)."""
    archive = tmp_path / "archive"
    archive.mkdir()
    truncated.rename(archive / "cut.mp4")
    out = tmp_path / "out"
    rc = main(["batch", str(archive), "-o", str(out), "--device", "cpu-torch", "--no-progress"])
    capsys.readouterr()
    records = [json.loads(line) for line in (out / "batch_manifest.jsonl").read_text().splitlines()]
    entry = next(r for r in records if r.get("rel") == "cut.mp4")
    assert rc != 0 and entry["status"] == "failed" and f"of {FRAMES} frames" in entry["error"], entry
    assert not [p for p in out.rglob("*.mp4")], "no output for the cut file, no temp left"
