"""Method comparison: how much person counting survives each anonymization setting.

Raw frames are counted once; then each setting (face-only vs whole-person, blur / pixelate / fill,
box vs ellipse) anonymizes the video and the same counter counts the anonymized frames.  With ground
truth every row gets MAE, RMSE, bias and utility retained (anonymized RMSE / raw RMSE); without it the
rows still show how far the anonymized counts drift from the raw ones (RMSE vs raw).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from anon_core.detectors import Detector
from anon_core.jobs import JobOptions, analyze_video
from anon_core.media import open_source
from anon_core.pipeline import FrameResult, PipelineConfig
from showcases.counting.counts import PersonCounter
from showcases.counting.metrics import count_metrics, count_rmse, utility_retained
from showcases.counting.session import build_pipeline

Progress = Callable[[str, int, int | None], None]  # (setting name, frames done, total or None)


@dataclass(frozen=True)
class Setting:
    """One anonymization setting of the study."""

    targets: tuple[str, ...]
    method: str
    shape: str = "box"

    @property
    def name(self) -> str:
        who = "+".join(self.targets)
        return f"{who} {self.method} {self.shape}"

    def config(self, base: PipelineConfig) -> PipelineConfig:
        return replace(base, targets=self.targets, method=self.method, shape=self.shape, policy=None)


DEFAULT_SETTINGS: tuple[Setting, ...] = (
    Setting(("face",), "blur", "ellipse"),
    Setting(("face",), "blur", "box"),
    Setting(("face",), "pixelate", "box"),
    Setting(("face",), "fill", "box"),
    Setting(("person",), "blur", "ellipse"),
    Setting(("person",), "blur", "box"),
    Setting(("person",), "pixelate", "box"),
    Setting(("person",), "fill", "box"),
)
QUICK_SETTINGS = (DEFAULT_SETTINGS[0], DEFAULT_SETTINGS[3], DEFAULT_SETTINGS[4], DEFAULT_SETTINGS[7])


@dataclass
class StudyResult:
    raw: np.ndarray  # (F,) persons counted on the raw frames
    anonymized: dict[str, np.ndarray] = field(default_factory=dict)  # setting name -> (F,) counts
    settings: dict[str, Setting] = field(default_factory=dict)
    gt: np.ndarray | None = None
    failed: dict[str, int] = field(default_factory=dict)  # frames the pipeline withheld (fully obscured)

    def table(self) -> list[dict]:
        """One row per series ("raw" first): counts and, with ground truth, MAE/RMSE/bias/utility retained."""
        rows = [self._row("raw", None, self.raw)]
        for name, counts in self.anonymized.items():
            rows.append(self._row(name, self.settings.get(name), counts))
        return rows

    def _row(self, name: str, setting: Setting | None, counts: np.ndarray) -> dict:
        row = {"setting": name, "targets": "+".join(setting.targets) if setting else "-",
               "method": setting.method if setting else "none", "shape": setting.shape if setting else "-",
               "mean_count": round(float(np.mean(counts)), 3) if len(counts) else 0.0,
               "rmse_vs_raw": round(count_rmse(counts, self.raw), 4)}
        if self.gt is not None:
            m = count_metrics(counts, self.gt)
            raw_rmse = count_rmse(self.raw, self.gt)
            row |= {"mae": round(m.mae, 4), "rmse": round(m.rmse, 4), "bias": round(m.bias, 4),
                    "utility_retained": round(utility_retained(raw_rmse, m.rmse), 4)}
        if setting is not None:
            row["failed_frames"] = self.failed.get(name, 0)
        return row

    def to_dict(self) -> dict:
        out = {"frames": int(len(self.raw)), "raw": self.raw.astype(int).tolist(),
               "anonymized": {k: v.astype(int).tolist() for k, v in self.anonymized.items()},
               "table": self.table()}
        if self.gt is not None:
            out["gt"] = self.gt.astype(int).tolist()
        return out


def _frames(src):
    source = open_source(src)
    try:
        total = len(source) if hasattr(source, "__len__") else source.info.frame_count
        for _, frame in source.timed_frames():
            yield frame, total
    finally:
        source.close()


def _counting(counter: PersonCounter, counts: list[int]) -> Callable[[FrameResult], np.ndarray]:
    """The job loop's overlay hook: counts what leaves the pipeline (the frame itself is left as it is)."""
    def count_output(res: FrameResult) -> np.ndarray:
        counts.append(counter.count(res.frame))
        return res.frame

    return count_output


def _ticker(tick, name: str):
    return lambda done, total, _fps: tick(name, done, total)


def run_study(src: str | Path, counter: PersonCounter, settings: Sequence[Setting] = DEFAULT_SETTINGS,
              base: PipelineConfig | None = None, gt=None, progress: Progress | None = None,
              detectors: dict[str, Detector] | None = None, raw=None) -> StudyResult:
    """Count raw frames once, then anonymize with each setting and count the result.

    `base` supplies detector names, threshold, padding, detect-every and hold; `detectors` may hold
    already-loaded {"face": ..., "person": ...} detectors (loaded ones are added to it and reused); `raw`
    may hold the raw counts of this video from an earlier run (e.g. a CountSeries), which are then not
    computed again."""
    base = base or PipelineConfig(person_detector=counter.name)  # persons anonymized with the counting model
    cache = detectors if detectors is not None else {}

    def tick(name, i, total):
        if progress is not None:
            progress(name, i, total)

    if raw is None:
        raw = []
        for i, (frame, total) in enumerate(_frames(src)):
            raw.append(counter.count(frame))
            tick("raw", i + 1, total)
    elif any(v is None for v in raw):
        raise ValueError("raw counts have missing frames; let run_study count the raw frames itself")
    result = StudyResult(np.asarray(raw, np.int64), gt=None if gt is None else np.asarray(gt, np.int64).ravel())
    if result.gt is not None and len(result.gt) != len(result.raw):
        raise ValueError(f"ground truth covers {len(result.gt)} frames but the video has {len(result.raw)}")
    for setting in settings:
        pipeline = build_pipeline(setting.config(base), counter, cache)
        cache.update(pipeline.detectors)
        counts: list[int] = []
        job = JobOptions(overlay=_counting(counter, counts), progress=_ticker(tick, setting.name))
        analyze_video(src, pipeline, job)
        result.anonymized[setting.name] = np.asarray(counts, np.int64)
        result.settings[setting.name] = setting
        result.failed[setting.name] = pipeline.failures
    return result
