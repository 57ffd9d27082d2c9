"""The batch manifest: JSON Lines at the top of OUT_DIR, appended by the driver only (workers return
entries; so a task Ray retries after losing a worker still yields one line per file).

Lines are either a run record (`{"event": "run", ...}`) or a file entry:
  input, rel, kind, input_sha256, settings (hash), output, report, output_sha256,
  status (done | failed | skipped), frames, regions, failed_frames, seconds, error, worker, time.
The last entry of an input path is its current state; resume reads exactly that.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from anon_core.cli.options import config_from_args

MANIFEST_NAME = "batch_manifest.jsonl"
SETTINGS_VERSION = 1  # bump when the meaning of the settings below changes
# Options that change output bytes.  Others (progress, download, workers, engine) do not.
JOB_SETTINGS = ("crf", "preset", "keep_audio", "device", "batch")
DONE = ("done", "skipped")


def settings_of(args) -> dict:
    """Everything that determines the output of a file, as plain JSON."""
    config = config_from_args(args).to_dict()
    config.pop("auto_download", None)
    config.pop("device", None)  # in "job" below, as before the pipeline config carried it
    job = {k: getattr(args, k, None) for k in JOB_SETTINGS}
    if job.get("device", "cpu") == "cpu":
        job.pop("batch", None)  # GPU batch size only matters on the GPU path
    return {"version": SETTINGS_VERSION, "pipeline": config, "job": job}


def settings_hash(settings: dict) -> str:
    blob = json.dumps(settings, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def read_entries(path: Path) -> dict[str, dict]:
    """Last entry per input path (a torn last line from a crash is ignored)."""
    latest: dict[str, dict] = {}
    if not path.is_file():
        return latest
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and "status" in entry and "input" in entry:
                latest[entry["input"]] = entry
    return latest


def is_current(prev: dict | None, input_sha: str, settings: str) -> bool:
    """Would this earlier entry let the file be skipped (output existence/hash checked by the caller)?"""
    return (prev is not None and prev.get("status") in DONE and prev.get("input_sha256") == input_sha
            and prev.get("settings") == settings and bool(prev.get("output_sha256")))


class ManifestWriter:
    """Appends one line per entry and flushes it to disk, so an interrupted batch keeps what it did."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fh = path.open("a", encoding="utf-8")

    def write(self, record: dict) -> None:
        self._fh.write(json.dumps(record, separators=(",", ":"), default=str) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def run_record(self, **fields) -> None:
        self.write({"event": "run", "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **fields})

    def close(self) -> None:
        self._fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
