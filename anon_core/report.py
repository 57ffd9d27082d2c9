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

from anon_core.atomic import publish, temp_beside
from anon_core.models.checksums import sha256_file

SCHEMA = "anonymize-first/report/v1"


def _version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


MAX_FAILURES_LISTED = 1000


@dataclass
class Report:
    """Per-frame entries are spooled to a temporary file (JSON lines), not kept in memory, so a
    long video's report costs constant memory until it is written out."""

    kind: str  # image | video | frames | stream
    input: dict = field(default_factory=dict)
    output: dict = field(default_factory=dict)
    pipeline: dict = field(default_factory=dict)
    failures: list = field(default_factory=list)
    analytics: dict = field(default_factory=dict)  # FrameAnalyzer summaries (counting, tracking, attributes)
    started: float = field(default_factory=time.time)
    seconds: float = 0.0
    frame_count: int = 0
    failed_frames: int = 0
    _regions: int = 0
    _by_origin: dict = field(default_factory=dict)
    _detector_runs: int = 0
    _kept: dict = field(default_factory=dict)  # (reason, track id, person) -> summary of regions left visible
    _spool: tempfile.SpooledTemporaryFile = field(
        default_factory=lambda: tempfile.SpooledTemporaryFile(max_size=4 << 20, mode="w+", encoding="utf-8"))

    def add(self, result) -> None:
        entry = result.record()
        self._spool.write(json.dumps(entry, separators=(",", ":"), default=str) + "\n")
        self.frame_count += 1
        self._detector_runs += bool(entry["detected"])
        for r in entry["regions"]:
            self._regions += 1
            origin = r.get("origin", "detected")
            self._by_origin[origin] = self._by_origin.get(origin, 0) + 1
        for k in entry.get("kept", ()):
            self._keep(entry["frame"], k)
        if result.error:
            self.failed_frames += 1
            if len(self.failures) < MAX_FAILURES_LISTED:
                self.failures.append({"frame": result.index, "error": result.error})

    def _keep(self, frame: int, note: dict) -> None:
        """Sum the regions left visible on purpose per track (consent, never-zone, reviewer)."""
        key = (note.get("reason"), note.get("track_id", -1), note.get("person"))
        s = self._kept.setdefault(key, {"reason": key[0], "track_id": key[1], "first_frame": frame, "frames": 0})
        if key[2] is not None:
            s["person"] = key[2]
        s["frames"] += 1
        s["last_frame"] = frame
        if "distance" in note:
            s["max_distance"] = max(s.get("max_distance", 0.0), note["distance"])

    def iter_frames(self):
        self._spool.flush()
        self._spool.seek(0)
        for line in self._spool:
            yield json.loads(line)
        self._spool.seek(0, os.SEEK_END)

    @property
    def frames(self) -> list[dict]:
        return list(self.iter_frames())

    @property
    def fps(self) -> float:
        return self.frame_count / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> dict:
        return {"frames": self.frame_count, "seconds": round(self.seconds, 3), "fps": round(self.fps, 2),
                "regions": self._regions, "regions_by_origin": dict(self._by_origin),
                "detector_runs": self._detector_runs, "failed_frames": self.failed_frames}

    def header(self) -> dict:
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
        } | ({"kept_tracks": list(self._kept.values())} if self._kept else {}) | (
            {"analytics": self.analytics} if self.analytics else {})

    def to_dict(self) -> dict:
        return self.header() | {"frames": self.frames}

    def write(self, path: str | Path) -> None:
        """Stream the report to `path` (atomically: temp file, then rename)."""
        path = Path(path)
        tmp = temp_beside(path)
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                head = json.dumps(self.header(), indent=1, default=str)
                f.write(head[:-2] + ',\n "frames": [')
                for i, entry in enumerate(self.iter_frames()):
                    f.write(("," if i else "") + "\n  " + json.dumps(entry, separators=(",", ":")))
                f.write("\n ]\n}\n")
            publish(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def file_entry(path: str | Path, **extra) -> dict:
    path = Path(path)
    return {"path": str(path), "bytes": path.stat().st_size, "sha256": sha256_file(path), **extra}
