"""Jobs: stream an input through a Pipeline into an output file, with progress and a report.

Nothing half-written is left behind: outputs are written to temp files and moved into place
only when the whole input was processed.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from anon_core.media import MediaError, VideoWriter, open_source, write_image
from anon_core.media.images import IMAGE_SUFFIXES
from anon_core.media.sources import FrameFolder, SingleImage
from anon_core.media.video import VIDEO_SUFFIXES, EncodeOptions
from anon_core.pipeline import FrameResult, Pipeline
from anon_core.prefetch import WriteBehind, read_ahead
from anon_core.report import Report, file_entry

Progress = Callable[[int, int | None, float], None]  # (frames done, total or None, frames per second)


@dataclass
class JobOptions:
    keep_audio: bool = False
    report_path: str | Path | None = None
    progress: bool | Progress = False  # True = tqdm bar on stderr; a callable gets (done, total, fps)
    on_frame: Callable[[FrameResult], None] | None = None  # e.g. collect analytics or previews
    encode: EncodeOptions | None = None


class ProgressSink:
    def __init__(self, progress: bool | Progress, total: int | None, desc: str):
        self._bar = None
        self._fn = None
        self._start = time.perf_counter()
        if progress is True:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="frame", desc=desc, dynamic_ncols=True)
        elif callable(progress):
            self._fn = progress
        self.total = total
        self.done = 0

    def step(self, n: int = 1) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        elif self._fn is not None:
            elapsed = time.perf_counter() - self._start
            self._fn(self.done, self.total, self.done / elapsed if elapsed > 0 else 0.0)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _run(source, pipeline: Pipeline, sink_write, options: JobOptions, report: Report, desc: str) -> Report:
    pipeline.reset()
    total = source.info.frame_count
    progress = ProgressSink(options.progress, total, desc)
    start = time.perf_counter()
    writer = WriteBehind(sink_write)
    frames = read_ahead(source.timed_frames())
    try:
        for t, frame in frames:
            result = pipeline.process(frame)
            report.add(result)
            writer.put(result, t)
            if options.on_frame is not None:
                options.on_frame(result)
            progress.step()
    finally:
        frames.close()  # stops the decoding thread before its source is closed
        try:
            writer.close()
        finally:
            progress.close()
            source.close()
    report.seconds = time.perf_counter() - start
    if not report.frame_count:
        raise MediaError(f"{report.input.get('path')}: no frames to process")
    return report


def finish_report(report: Report, dst: Path, options: JobOptions, has_audio: bool | None = None) -> Report:
    """Describe the output in the report (and note a requested audio track the input lacks); write it."""
    report.output = file_entry(dst) if dst.is_file() else {"path": str(dst), "frames": report.frame_count}
    if options.keep_audio and has_audio is False:
        report.output["note"] = "input has no audio"
    if options.report_path:
        report.write(options.report_path)
    return report


def check_video_output(src: Path, dst: Path) -> None:
    """The output of a video job: an MP4 that is not the input."""
    if dst.suffix.lower() not in (".mp4", ".m4v"):
        raise MediaError(f"{dst}: video output is written as H.264 MP4; name it *.mp4")
    if src.resolve() == dst.resolve():
        raise MediaError("output must not overwrite the input")


def anonymize_video(src: str | Path, dst: str | Path, pipeline: Pipeline, options: JobOptions | None = None) -> Report:
    """Video (or frame folder) in, H.264 MP4 out with the same frame count, timestamps and size."""
    options = options or JobOptions()
    src, dst = Path(src), Path(dst)
    check_video_output(src, dst)
    source = open_source(src)
    if isinstance(source, SingleImage):
        raise MediaError(f"{src} is an image; use `anon image`")
    info = source.info
    inp = file_entry(src, info=info.to_dict()) if src.is_file() else {"path": str(src), "info": info.to_dict()}
    report = Report("frames" if isinstance(source, FrameFolder) else "video", input=inp, pipeline=pipeline.describe())
    audio = src if options.keep_audio and info.has_audio else None
    with VideoWriter(dst, info.fps, audio_from=audio, options=options.encode) as writer:
        _run(source, pipeline, lambda r, t: writer.write(r.frame, t), options, report, dst.name)
    return finish_report(report, dst, options, has_audio=info.has_audio)


def anonymize_frames(src: str | Path, dst: str | Path, pipeline: Pipeline, options: JobOptions | None = None) -> Report:
    """Frame folder in; a frame folder (same file names) or an MP4 out."""
    options = options or JobOptions()
    src, dst = Path(src), Path(dst)
    if dst.suffix.lower() in VIDEO_SUFFIXES:
        return anonymize_video(src, dst, pipeline, options)
    source = FrameFolder(src)
    names = [f.name for f in source.files]
    report = Report("frames", input={"path": str(src), "info": source.info.to_dict(), "files": len(names)},
                    pipeline=pipeline.describe())
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dst.parent, prefix=f".{dst.name}."))
    try:
        _run(source, pipeline, lambda r, t: write_image(tmp / names[r.index], r.frame), options, report, dst.name)
        if dst.exists():
            shutil.rmtree(dst)
        tmp.rename(dst)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return finish_report(report, dst, options)


def anonymize_image(src: str | Path, dst: str | Path, pipeline: Pipeline, options: JobOptions | None = None) -> Report:
    """One image in, one image out (EXIF orientation applied, all metadata stripped)."""
    options = options or JobOptions()
    src, dst = Path(src), Path(dst)
    if dst.suffix.lower() not in IMAGE_SUFFIXES:
        raise MediaError(f"{dst}: unknown image type; use one of {', '.join(sorted(IMAGE_SUFFIXES))}")
    source = SingleImage(src)
    report = Report("image", input=file_entry(src, info=source.info.to_dict()), pipeline=pipeline.describe())
    _run(source, pipeline, lambda r, t: write_image(dst, r.frame), options, report, dst.name)
    return finish_report(report, dst, options)
