"""Hostile inputs and output paths, table-driven (issue #12 items 1, 2, 3, 7, 8 and 10).

Every case runs `anon ...` in a workspace of inputs and checks: the exit code, exactly one stderr line
(refusals) naming the problem, nothing left behind (no temp file, no half-written output), and the
bytes of every file that was there before unchanged (inputs and unrelated files alike)."""

from __future__ import annotations

import os

import pytest
from PIL import Image
from reliability.helpers import error_lines, snapshot

from anon_core.cli.main import main

# (case id, argv, expected exit code, words expected in the single stderr line)
REFUSED = [
    # 1: frames -o DIR deleted whatever DIR held
    ("frames-into-cwd", ["frames", "seq", "-o", "."], 2, "overlaps the input"),
    ("frames-into-unrelated-folder", ["frames", "seq", "-o", "mywork"], 2, "not empty"),
    ("frames-onto-the-input", ["frames", "seq", "-o", "seq"], 2, "input"),
    ("frames-into-input-img1", ["frames", "seq", "-o", "seq/img1"], 2, "input"),
    ("frames-overwrite-over-input", ["frames", "seq", "-o", "seq", "--overwrite"], 2, "input"),
    # 2: image -o the input (also through .. and a symlink)
    ("image-onto-input", ["image", "in.png", "-o", "in.png"], 2, "input"),
    ("image-onto-input-dotdot", ["image", "in.png", "-o", "seq/../in.png"], 2, "input"),
    ("image-onto-input-symlink", ["image", "in.png", "-o", "link.png"], 2, "input"),
    ("image-onto-input-overwrite", ["image", "in.png", "-o", "in.png", "--overwrite"], 2, "input"),
    ("video-onto-input", ["video", "clip.mp4", "-o", "clip.mp4"], 2, "input"),
    # 3: --report pointed at the input or at -o
    ("report-onto-input", ["video", "clip.mp4", "-o", "out.mp4", "--report", "clip.mp4"], 2, "input"),
    ("report-onto-output", ["video", "clip.mp4", "-o", "out.mp4", "--report", "out.mp4"], 2, "two outputs"),
    ("image-report-onto-input", ["image", "in.png", "-o", "o.png", "--report", "in.png", "--overwrite"], 2, "input"),
    # existing files are never replaced without --overwrite
    ("image-onto-existing-file", ["image", "in.png", "-o", "note.txt.png"], 2, "already exists"),
    ("report-onto-existing-file", ["video", "clip.mp4", "-o", "out.mp4", "--report", "note.txt"], 2,
     "already exists"),
    # 7: output-side errors: -o an existing file for frames, a file used as a folder
    ("frames-onto-a-file", ["frames", "seq", "-o", "note.txt"], 2, "not a folder"),
    ("image-under-a-file", ["image", "in.png", "-o", "note.txt/o.png"], 2, "not a folder"),
    ("video-into-folder-name", ["video", "clip.mp4", "-o", "mywork"], 2, "mp4"),
    # bad inputs stay one line, exit 2
    ("not-media", ["video", "note.txt", "-o", "o.mp4"], 2, "note.txt"),
    ("missing-input", ["image", "nothere.png", "-o", "o.png"], 2, "nothere.png"),
    # 10: an animated GIF to `anon image` is refused, not silently cut to its first frame
    ("animated-gif", ["image", "anim.gif", "-o", "o.png"], 2, "animated"),
    # 4: a cosmetic strength is refused
    ("pixelate-too-weak", ["image", "in.png", "-o", "o.png", "--method", "pixelate", "--strength", "0.02"], 2,
     "floor"),
    ("policy-too-weak", ["image", "in.png", "-o", "o.png", "--policy", "weak.yaml"], 2, "floor"),
    ("negative-padding", ["image", "in.png", "-o", "o.png", "--padding", "-0.3"], 2, "padding"),
]


def _prepare(ws):
    (ws / "link.png").symlink_to(ws / "in.png")
    (ws / "note.txt.png").write_bytes(b"someone's file")
    frames = [Image.new("RGB", (32, 24), c) for c in ("red", "green", "blue")]
    frames[0].save(ws / "anim.gif", save_all=True, append_images=frames[1:], duration=100)
    (ws / "weak.yaml").write_text("face: {method: pixelate, strength: 0.02}\n")


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_with_one_line_and_nothing_touched(case, workspace, monkeypatch, capsys):
    _, argv, code, words = case
    _prepare(workspace)
    monkeypatch.chdir(workspace)
    before = snapshot(workspace)
    rc = main([*argv, "--no-progress"] if argv[0] != "image" else argv)
    err = capsys.readouterr().err
    lines = error_lines(err)
    assert rc == code, err
    assert len(lines) == 1, lines
    assert words in lines[0] and "Traceback" not in err
    assert snapshot(workspace) == before, "the workspace changed (a file was written, replaced or removed)"


def test_frames_overwrite_replaces_only_its_own_files(workspace, monkeypatch, capsys):
    monkeypatch.chdir(workspace)
    assert main(["frames", "seq", "-o", "mywork", "--method", "fill", "--no-progress"]) == 2
    rc = main(["frames", "seq", "-o", "mywork", "--method", "fill", "--overwrite", "--no-progress"])
    assert rc == 0, capsys.readouterr().err
    assert (workspace / "mywork" / "notes.txt").read_text() == "my unrelated work\n"
    assert sorted(p.name for p in (workspace / "mywork").iterdir()) == [
        "000001.jpg", "000002.jpg", "000003.jpg", "000004.jpg", "notes.txt"]
    before = snapshot(workspace)
    # a second run replaces exactly those frames and nothing else
    assert main(["frames", "seq", "-o", "mywork", "--method", "fill", "--overwrite", "--no-progress"]) == 0
    assert set(snapshot(workspace)) == set(before)
    assert not [p for p in workspace.rglob(".*")], "no temp file left"


def test_report_in_a_read_only_folder_publishes_nothing(workspace, monkeypatch, capsys):
    """7: a report that cannot be written used to come after the video was published (exit 1)."""
    ro = workspace / "ro"
    ro.mkdir()
    try:
        import subprocess

        subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(ro)], check=True,
                       capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a read-only tmpfs here (needs root in a container that allows mount): {exc}")
    try:
        monkeypatch.chdir(workspace)
        before = snapshot(workspace)
        rc = main(["video", "clip.mp4", "-o", "out.mp4", "--report", "ro/r.json", "--no-progress"])
        lines = error_lines(capsys.readouterr().err)
        assert rc == 2 and len(lines) == 1 and "read-only" in lines[0], lines
        assert snapshot(workspace) == before
        rc = main(["image", "in.png", "-o", "ro/o.png"])
        lines = error_lines(capsys.readouterr().err)
        assert rc == 2 and len(lines) == 1 and "read-only" in lines[0], lines
    finally:
        subprocess.run(["umount", str(ro)], check=False)


def test_full_disk_is_one_line_and_leaves_nothing(workspace, monkeypatch, capsys):
    """7: no space left while encoding: one line, exit 2, no partial or temp file on the full disk."""
    import subprocess

    import av
    import numpy as np

    full = workspace / "full"
    full.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48k", "tmpfs", str(full)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a small tmpfs here (needs root in a container that allows mount): {exc}")
    try:
        rng = np.random.default_rng(1)
        with av.open(str(workspace / "big.mp4"), "w") as c:  # noise: ~100 kB per frame at crf 0
            s = c.add_stream("libx264", rate=25)
            s.width, s.height, s.pix_fmt = 320, 240, "yuv420p"
            for _ in range(12):
                frame = rng.integers(0, 255, (240, 320, 3), np.uint8)
                for p in s.encode(av.VideoFrame.from_ndarray(frame, format="bgr24")):
                    c.mux(p)
            for p in s.encode(None):
                c.mux(p)
        monkeypatch.chdir(workspace)
        rc = main(["video", "big.mp4", "-o", "full/out.mp4", "--method", "fill", "--crf", "0", "--no-progress"])
        lines = error_lines(capsys.readouterr().err)
        assert rc == 2 and len(lines) == 1 and "no space left" in lines[0], lines
        assert os.listdir(full) == [], "nothing (not even a temp file) is left on the full disk"
    finally:
        subprocess.run(["umount", str(full)], check=False)


def test_pixel_limit_is_enforced_at_its_value(tmp_path, capsys):
    """8: 11000 x 11000 = 121 M pixels > the 120 M limit: Pillow itself only warns below 2x its limit."""
    from anon_core.media import images

    assert 11000 * 11000 > images.MAX_PIXELS
    src = tmp_path / "huge.png"
    Image.new("1", (11000, 11000)).save(src)  # 1-bit: small to build, 121 M pixels to decode
    rc = main(["image", str(src), "-o", str(tmp_path / "o.png")])
    lines = error_lines(capsys.readouterr().err)
    assert rc == 2 and len(lines) == 1 and "larger than" in lines[0], lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["huge.png"]


def test_progress_names_the_output_not_its_temp_file(workspace, monkeypatch, capsys):
    # the job writes `.out.<random>.part.mp4` and renames it at the end; the bar must say out.mp4
    monkeypatch.chdir(workspace)
    assert main(["video", "clip.mp4", "-o", "out.mp4"]) == 0
    err = capsys.readouterr().err
    assert "out.mp4:" in err and ".part" not in err
