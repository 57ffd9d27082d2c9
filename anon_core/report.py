"""The JSON report of a job, which doubles as an audit manifest: what went in (sha256), what came
out (sha256), with which models (versions, weight checksums), thresholds and policy, and per frame
which regions were anonymized (box, label, score, track id, detected/predicted/held) and failures."""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from anon_core.models.checksums import sha256_file

SCHEMA = "anonymize-first/report/v1"


def _version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


@dataclass
class Report:
    kind: str  # image | video | frames | stream
    input: dict = field(default_factory=dict)
    output: dict = field(default_factory=dict)
    pipeline: dict = field(default_factory=dict)
    frames: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    started: float = field(default_factory=time.time)
    seconds: float = 0.0

    def add(self, result) -> None:
        entry = result.record()
        self.frames.append(entry)
        if result.error:
            self.failures.append({"frame": result.index, "error": result.error})

    @property
    def frame_count(self) -> int:
        return len(self.frames)

    @property
    def fps(self) -> float:
        return self.frame_count / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> dict:
        regions = [r for f in self.frames for r in f["regions"]]
        by_origin: dict[str, int] = {}
        for r in regions:
            by_origin[r.get("origin", "detected")] = by_origin.get(r.get("origin", "detected"), 0) + 1
        return {"frames": self.frame_count, "seconds": round(self.seconds, 3), "fps": round(self.fps, 2),
                "regions": len(regions), "regions_by_origin": by_origin,
                "detector_runs": sum(1 for f in self.frames if f["detected"]),
                "failed_frames": len(self.failures)}

    def to_dict(self) -> dict:
        return {
            "schema": SCHEMA,
            "kind": self.kind,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started)),
            "software": {"anonymize-first": _version("anonymize-first"), "python": platform.python_version(),
                         "onnxruntime": _version("onnxruntime"), "av": _version("av"),
                         "opencv": _version("opencv-python-headless"), "platform": platform.platform()},
            "input": self.input,
            "output": self.output,
            "pipeline": self.pipeline,
            "summary": self.summary(),
            "failures": self.failures,
            "frames": self.frames,
        }

    def write(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".part")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(self.to_dict(), f, indent=1, default=str)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def file_entry(path: str | Path, **extra) -> dict:
    path = Path(path)
    return {"path": str(path), "bytes": path.stat().st_size, "sha256": sha256_file(path), **extra}
