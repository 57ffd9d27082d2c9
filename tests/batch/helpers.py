"""Helpers of the batch tests.  The archive: 3 openpeople portraits (one PNG in a nested folder), two
synthetic webcam clips with exact face ground truth (one nested), a corrupt video and a text file."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
from conftest import ROOT, load_person_image

CLIP = {"seconds": 1.0, "size": (480, 360)}  # 15 frames each: enough for tracking, cheap on 2 cores
PIPELINE = ["--detect-every", "auto", "--no-progress"]


@dataclass
class Archive:
    root: Path
    clips: dict  # rel -> SampleScene (ground truth)
    photos: list  # rel paths
    broken: str
    ignored: str

    @property
    def media(self) -> list[str]:
        return sorted([*self.clips, *self.photos, self.broken])


def build_archive(dest: Path, samples: dict, people) -> Archive:
    (dest / "photos" / "nested" / "deeper").mkdir(parents=True)
    (dest / "clips" / "nested").mkdir(parents=True)
    photos = ["photos/p0.jpg", "photos/p1.jpg", "photos/nested/deeper/p2.png"]
    for person, rel in zip(people[:3], photos, strict=True):
        cv2.imwrite(str(dest / rel), load_person_image(person, "studio_portrait", max_side=400))
    clips = {}
    for rel, sample in samples.items():
        shutil.copyfile(sample.video, dest / rel)
        clips[rel] = sample
    (dest / "clips" / "broken.mp4").write_bytes(b"\x00\x00\x00 not a video " * 64)
    (dest / "notes.txt").write_text("not media: ignored by the folder walk\n")
    return Archive(dest, clips, photos, "clips/broken.mp4", "notes.txt")


def anon(*args, timeout: int = 240) -> subprocess.CompletedProcess:
    """`anon ...` in a fresh interpreter (this worktree's code), as a user runs it."""
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "anon_core.cli.main", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=timeout)


def anon_here(*args) -> subprocess.CompletedProcess:
    """`anon ...` through the CLI's main() in this process (saves an interpreter start per call on the
    busy 2-core machine; pool workers are still separate processes)."""
    from anon_core.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def entries(out_dir: Path, run: int = -1) -> list[dict]:
    """File entries of one run of the manifest (runs are separated by their run records)."""
    runs: list[list[dict]] = []
    for line in (out_dir / "batch_manifest.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record.get("event") == "run":
            runs.append([])
        else:
            runs[-1].append(record)
    return runs[run]
