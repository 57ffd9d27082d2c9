"""What a batch did: files done, skipped and failed, frames, regions, throughput."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

MAX_FAILED_SHOWN = 10


@dataclass
class BatchSummary:
    files: int = 0  # planned
    done: int = 0
    skipped: int = 0
    failed: int = 0
    frames: int = 0  # processed in this run (done and failed files)
    regions: int = 0
    seconds: float = 0.0  # wall time of the run
    interrupted: int = 0  # exit status of the signal that stopped the batch (130 Ctrl-C, 143 SIGTERM)
    ignored: int = 0  # files in the walked folders that are neither photos nor videos
    manifest: str = ""
    engine: str = ""
    workers: int = 0
    failures: list = field(default_factory=list)  # (rel, error)
    _start: float = field(default_factory=time.perf_counter)

    def add(self, entry: dict) -> None:
        status = entry["status"]
        setattr(self, status, getattr(self, status) + 1)
        if status != "skipped":
            self.frames += entry.get("frames") or 0
            self.regions += entry.get("regions") or 0
        if status == "failed":
            self.failures.append((entry.get("rel", entry["input"]), entry.get("error")))

    def finish(self) -> BatchSummary:
        self.seconds = time.perf_counter() - self._start
        return self

    @property
    def processed(self) -> int:
        return self.done + self.failed

    @property
    def files_per_s(self) -> float:
        return self.processed / self.seconds if self.seconds > 0 else 0.0

    @property
    def frames_per_s(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict:
        return {"files": self.files, "done": self.done, "skipped": self.skipped, "failed": self.failed,
                "frames": self.frames, "regions": self.regions, "seconds": round(self.seconds, 3),
                "files_per_s": round(self.files_per_s, 3), "frames_per_s": round(self.frames_per_s, 2),
                "interrupted": bool(self.interrupted), "engine": self.engine, "workers": self.workers,
                "manifest": self.manifest, "failures": [{"file": f, "error": e} for f, e in self.failures]}

    def lines(self) -> list[str]:
        out = [f"{'interrupted' if self.interrupted else 'batch'}: {self.files} file(s): {self.done} done, "
               f"{self.skipped} skipped (unchanged), {self.failed} failed"
               + (f", {self.files - self.done - self.skipped - self.failed} not reached" if self.interrupted else "")
               + f"; {self.frames} frame(s), {self.regions} region(s) anonymized in {self.seconds:.1f} s "
               f"({self.files_per_s:.2f} files/s, {self.frames_per_s:.1f} frames/s; {self.engine}, "
               f"{self.workers} worker(s))"]
        if self.ignored:
            out.append(f"note: {self.ignored} file(s) that are neither photos nor videos were ignored")
        for rel, error in self.failures[:MAX_FAILED_SHOWN]:
            out.append(f"failed: {rel}: {error}")
        if len(self.failures) > MAX_FAILED_SHOWN:
            out.append(f"... and {len(self.failures) - MAX_FAILED_SHOWN} more failed (see the manifest)")
        out.append(f"manifest: {self.manifest}")
        if self.interrupted or self.failed:
            out.append("rerun the same command with --resume to retry what failed or was not reached")
        return out
