"""`anon batch` on the local engine: a folder of photos, two synthetic clips, a corrupt video and a
nested folder.  One real batch run (2 workers) is shared by the tests of this module; the resume test
runs last because it edits an input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from batch.helpers import PIPELINE, anon_here, entries
from conftest import ROOT, facial_detail, isolated_sample

from anon_core.batch.discovery import BatchItem
from anon_core.batch.outputs import may_replace
from anon_core.batch.work import BatchWorker, WorkItem, WorkSpec
from anon_core.cli.batch_cmd import config_from_args
from anon_core.cli.main import build_parser
from anon_core.detections import Detections, box_iou
from anon_core.detectors import create_detector
from anon_core.media import VideoReader, read_image
from anon_core.metrics import covered_recall, region_mask
from anon_core.models.checksums import sha256_file
from anon_core.synth import load_faces

CONFIDENT = 0.7  # as in tests/core/test_face_recall.py: a smooth blob can score ~0.5 from context alone
MIN_CLIP_RECALL = 0.9  # measured 1.0 on both clips (15 frames, 480x360, faces ~100 px); margin for codec noise


@pytest.fixture(scope="module")
def first(archive, tmp_path_factory):
    before = {rel: sha256_file(archive.root / rel) for rel in archive.media}
    out = tmp_path_factory.mktemp("batch") / "out"
    proc = anon_here("batch", archive.root, "-o", out, "--workers", "2", *PIPELINE)
    return archive, out, proc, before


@pytest.fixture(scope="module")
def centerface():
    return create_detector("centerface")


def _tree(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_first_run_manifest_tree_and_exit_code(first):
    archive, out, proc, before = first
    assert proc.returncode == 3, proc.stderr  # the corrupt file failed, the batch went on
    assert "5 done, 0 skipped (unchanged), 1 failed" in proc.stdout
    done = [*archive.clips, *archive.photos]
    assert _tree(out) == {"batch_manifest.jsonl", *done, *(f"{r}.report.json" for r in done)}  # no temp files
    rows = {e["rel"]: e for e in entries(out)}
    assert sorted(rows) == archive.media  # notes.txt is not media: ignored, not recorded
    settings = {e["settings"] for e in rows.values()}
    assert len(settings) == 1
    for rel in done:
        e = rows[rel]
        assert e["status"] == "done" and e["error"] is None
        assert e["input_sha256"] == before[rel] == sha256_file(archive.root / rel)  # inputs untouched
        assert Path(e["output"]) == out / rel and e["output_sha256"] == sha256_file(out / rel)
        assert e["seconds"] > 0 and e["regions"] >= e["frames"]  # a face in every frame
        report = json.loads(Path(e["report"]).read_text())
        assert report["output"]["sha256"] == e["output_sha256"] and report["input"]["sha256"] == before[rel]
        assert report["pipeline"]["config"]["detect_every"] == "auto"  # pipeline options reached the workers
    for rel, sample in archive.clips.items():
        with VideoReader(sample.video) as r:
            assert rows[rel]["frames"] == r.info.frame_count == 15
    assert all(rows[r]["frames"] == 1 for r in archive.photos)
    bad = rows[archive.broken]
    assert bad["status"] == "failed" and "not a readable video" in bad["error"] and not bad.get("output_sha256")
    assert "failed: clips/broken.mp4" in proc.stdout


def test_no_face_left(first, centerface):
    archive, out, proc, _ = first
    for rel, sample in archive.clips.items():
        report = json.loads((out / f"{rel}.report.json").read_text())
        style = report["pipeline"]["config"]["policy"]["face"]
        shape, padding = style["shape"], style["padding"]
        faces = load_faces(sample.faces)
        covered = total = leaks = 0
        raw_detail = anon_detail = 0.0
        with VideoReader(sample.video) as raw, VideoReader(out / rel) as anon_:
            for frame, (raw_frame, anon_frame) in zip(report["frames"], zip(raw.frames(), anon_.frames(),
                                                                              strict=True), strict=True):
                gt = faces.at(frame["frame"] + 1, min_visibility=0.5)
                boxes = np.array([r["box"] for r in frame["regions"]], np.float32).reshape(-1, 4)
                regions = Detections(boxes, np.ones(len(boxes), np.float32), np.array(["face"] * len(boxes)))
                hit, n = covered_recall(gt.xyxy, region_mask(regions, raw_frame.shape[:2], shape, padding))
                covered, total = covered + hit, total + n
                raw_detail += facial_detail(raw_frame, gt.xyxy)
                anon_detail += facial_detail(anon_frame, gt.xyxy)
                found = centerface(anon_frame)
                found = found[found.scores >= CONFIDENT]
                leaks += int(len(found) > 0 and len(gt) > 0 and (box_iou(gt.xyxy, found.xyxy) > 0.3).any())
        assert total >= 15
        assert covered / total >= MIN_CLIP_RECALL, f"{rel}: face recall {covered / total:.3f}"
        assert leaks == 0, f"{rel}: CenterFace still finds a face in {leaks} output frame(s)"
        assert anon_detail < 0.15 * raw_detail, f"{rel}: {anon_detail / raw_detail:.0%} of the facial detail survives"
    for rel in archive.photos:
        raw = centerface(read_image(archive.root / rel))
        raw = raw[raw.scores >= CONFIDENT]
        assert len(raw) == 1
        found = centerface(read_image(out / rel))
        found = found[found.scores >= CONFIDENT]
        assert not len(found) or not (box_iou(raw.xyxy, found.xyxy) > 0.3).any(), f"{rel}: face still found"


def test_refuses_unsafe_out_dirs(first, tmp_path):
    archive, out, _, _ = first
    inside = archive.root / "photos" / "anon"
    p = anon_here("batch", archive.root, "-o", inside, "--no-progress")
    assert p.returncode == 2 and "inside the input tree" in p.stderr and not inside.exists()
    p = anon_here("batch", archive.root / "clips", "-o", archive.root, "--no-progress")
    assert p.returncode == 2 and "inside OUT_DIR" in p.stderr
    foreign = tmp_path / "theirs"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("a user's file")
    p = anon_here("batch", archive.root, "-o", foreign, "--no-progress")
    assert p.returncode == 2 and "not empty" in p.stderr and _tree(foreign) == {"keep.txt"}
    before = (out / "batch_manifest.jsonl").read_bytes()
    p = anon_here("batch", archive.root, "-o", out, "--no-progress")
    assert p.returncode == 2 and "--resume" in p.stderr
    assert (out / "batch_manifest.jsonl").read_bytes() == before
    p = anon_here("batch", tmp_path / "missing", "-o", tmp_path / "o2", "--no-progress")
    assert p.returncode == 2 and "no such folder" in p.stderr and not (tmp_path / "o2").exists()


def test_worker_skips_unchanged_and_redoes_changed_settings(archive, tmp_path):
    """The resume rule in-process on one photo: same input and settings -> skipped; other settings -> redone;
    a file at the output path that no run of ours wrote -> left alone, recorded as failed."""
    src = archive.root / archive.photos[0]
    item = BatchItem(str(src), "p0.jpg", "image", str(tmp_path / "p0.jpg"))
    options = config_from_args(build_parser().parse_args(["batch", str(src), "-o", str(tmp_path)])).options
    worker = BatchWorker(WorkSpec(options, "settings-a"))
    first = worker.process(WorkItem(item, None, fresh=True))
    assert first["status"] == "done"
    again = worker.process(WorkItem(item, first))
    assert again["status"] == "skipped" and again["output_sha256"] == first["output_sha256"]
    pixelate = BatchWorker(WorkSpec(options | {"method": "pixelate"}, "settings-b"))
    redone = pixelate.process(WorkItem(item, first))
    assert redone["status"] == "done" and redone["output_sha256"] != first["output_sha256"]
    theirs = BatchItem(str(src), "p0.jpg", "image", str(tmp_path / "theirs.jpg"))
    Path(theirs.dst).write_bytes(b"a user's photo")
    assert may_replace(theirs, None, fresh=False) is not None
    refused = worker.process(WorkItem(theirs, None, fresh=False))
    assert refused["status"] == "failed" and "not written by anon batch" in refused["error"]
    assert Path(theirs.dst).read_bytes() == b"a user's photo"
    # --resume after that failure, or after the user replaced an output of ours with their own file:
    # the manifest names the path, but not what is there now (both used to be written over)
    retried = worker.process(WorkItem(theirs, refused, fresh=False))
    assert retried["status"] == "failed" and Path(theirs.dst).read_bytes() == b"a user's photo"
    Path(item.dst).write_bytes(b"the user's own p0.jpg")
    Path(item.report).unlink()
    replaced = pixelate.process(WorkItem(item, redone, fresh=False))
    assert replaced["status"] == "failed" and Path(item.dst).read_bytes() == b"the user's own p0.jpg"
    Path(item.dst).unlink()  # gone: ours to write again
    assert pixelate.process(WorkItem(item, redone, fresh=False))["status"] == "done"


def test_sigterm_leaves_no_temp_files(tmp_path, tmp_path_factory):
    """SIGTERM mid-video: exit 143, the partial output and every temp file gone, the manifest intact."""
    clip = isolated_sample(tmp_path_factory, "webcam", seed=3, seconds=4.0, size=(480, 360))
    src = tmp_path / "in"
    src.mkdir()
    (src / "long.mp4").write_bytes(Path(clip.video).read_bytes())
    out = tmp_path / "out"
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "anon_core.cli.main", "batch", str(src), "-o", str(out),
                             "--workers", "1", "--no-progress"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(out.glob(".long.*.part*")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert list(out.glob(".long.*.part*")), "the job never started writing"
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, stderr
    assert "interrupted" in stdout
    assert _tree(out) == {"batch_manifest.jsonl"}
    assert [json.loads(line)["event"] for line in (out / "batch_manifest.jsonl").read_text().splitlines()] == ["run"]


def test_local_engine_never_imports_ray(archive, tmp_path):
    code = ("import sys; from anon_core.cli.main import main; "
            f"rc = main(['batch', {str(archive.root / archive.photos[0])!r}, '-o', {str(tmp_path / 'o')!r}, "
            "'--workers', '1', '--no-progress']); print('ray imported:', 'ray' in sys.modules); sys.exit(rc)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240,
                       env=os.environ | {"PYTHONPATH": str(ROOT)})
    assert p.returncode == 0, p.stderr
    assert "1 done" in p.stdout and "ray imported: False" in p.stdout


def test_resume_skips_everything_then_redoes_the_changed_input(first):
    archive, out, _, _ = first
    stamps = {rel: (out / rel).stat().st_mtime_ns for rel in [*archive.clips, *archive.photos]}
    p = anon_here("batch", archive.root, "-o", out, "--resume", "--workers", "2", *PIPELINE)
    assert p.returncode == 3, p.stderr  # the corrupt file is retried and fails again
    status = {e["rel"]: e["status"] for e in entries(out)}
    assert status == {**{r: "skipped" for r in stamps}, archive.broken: "failed"}
    assert all((out / rel).stat().st_mtime_ns == t for rel, t in stamps.items())  # nothing rewritten
    changed = archive.photos[1]
    img = cv2.imread(str(archive.root / changed))
    cv2.imwrite(str(archive.root / changed), cv2.flip(img, 1))
    p = anon_here("batch", archive.root, "-o", out, "--resume", "--workers", "2", *PIPELINE)
    assert p.returncode == 3, p.stderr
    status = {e["rel"]: e["status"] for e in entries(out)}
    assert status == {**{r: "skipped" for r in stamps if r != changed}, changed: "done", archive.broken: "failed"}
    assert (out / changed).stat().st_mtime_ns != stamps[changed]
    assert all((out / rel).stat().st_mtime_ns == t for rel, t in stamps.items() if rel != changed)
