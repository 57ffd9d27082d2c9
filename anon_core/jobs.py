"""Jobs: stream an input through a Pipeline into an output file, with progress and a report.

Nothing half-written is left behind: outputs (and the report) are written to temp files and moved
into place together only when the whole input was processed (anon_core.outputs.Outputs), never over an
input, and never over an existing file unless JobOptions.overwrite.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from anon_core.media import MediaError, VideoWriter, open_source, write_image
from anon_core.media.images import IMAGE_SUFFIXES
from anon_core.media.sources import FrameFolder, SingleImage
from anon_core.media.video import VIDEO_SUFFIXES, EncodeOptions, VideoReader
from anon_core.outputs import Outputs, check_signals, deferred_signals, public_name
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
    # The library replaces an existing output file by default (callers such as the app write into
    # folders they own); the CLI passes False unless --overwrite.  Inputs are never overwritten.
    overwrite: bool = True
    allow_partial: bool = False  # truncated/undecodable input: keep what was read (exit 3) instead of failing
    # Analytics of this job (anon_core.analytics.FrameAnalyzer): run inside the pipeline on the raw frame;
    # their summaries go into the report's "analytics" section.
    analyzers: dict = field(default_factory=dict)
    # Draws on the anonymized (or, on a failed frame, fully obscured) frame before it is written: track ids,
    # counts, attributes.  Never sees raw pixels.
    overlay: Callable[[FrameResult], np.ndarray] | None = None


class ProgressSink:
    def __init__(self, progress: bool | Progress, total: int | None, desc: str):
        self._bar = None
        self._fn = None
        self._start = time.perf_counter()
        if progress is True:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="frame", desc=public_name(desc), dynamic_ncols=True)
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
    """The one frame loop: every command and page that writes media goes through here."""
    with pipeline.analyzing(options.analyzers):
        report = _loop(source, pipeline, sink_write, options, report, desc)
        report.analytics = pipeline.analytics_summary()
    return report


def _loop(source, pipeline: Pipeline, sink_write, options: JobOptions, report: Report, desc: str) -> Report:
    pipeline.reset()
    total = source.info.frame_count
    progress = ProgressSink(options.progress, total, desc)
    start = time.perf_counter()
    writer = WriteBehind(sink_write)
    frames = read_ahead(source.timed_frames())
    try:
        with deferred_signals():  # Ctrl-C/SIGTERM end the loop at a frame boundary, not inside a queue
            for t, frame in frames:
                result = pipeline.process(frame)
                report.add(result)
                if options.overlay is not None:
                    result.frame = options.overlay(result)
                writer.put(result, t)
                if options.on_frame is not None:
                    options.on_frame(result)
                progress.step()
                check_signals()
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
    check_complete(source, report, options)
    return report


def check_complete(source, report: Report, options: JobOptions) -> None:
    """A video that ends early (truncated file) or stops decoding is an error naming what was read;
    with allow_partial the frames that were read are kept and the missing ones are listed in the
    report as failures (so the job exits 3).  Checked only where the container states an exact frame
    count (MP4/MOV index) or the decoder reported an error."""
    if isinstance(source, FrameFolder) and source.skipped:
        _, reason = source.skipped[0]
        _judge_completeness(source.path, len(source), f"{len(source.skipped)} unreadable, first: {reason}", report,
                            options, missing=[i for i, _ in source.skipped])
    if not isinstance(source, VideoReader):
        return
    expected = source.info.frame_count if source.frame_count_exact else None
    _judge_completeness(source.path, expected, source.decode_error, report, options)


def _judge_completeness(path: Path, expected: int | None, error: str | None, report: Report,
                        options: JobOptions, missing: list[int] | None = None) -> None:
    read = report.frame_count
    if error is None and (expected is None or read >= expected):
        return
    what = f"read {read} of {expected} frames" if expected else f"read {read} frames"
    why = error or "the file ends early (truncated)"
    if not options.allow_partial:
        raise MediaError(f"{path}: incomplete input, {what} ({why}); nothing written. "
                         "Pass --allow-partial to keep the readable frames (exit 3)")
    if missing is None:
        missing = list(range(read, expected)) if expected else []
    report.failed_frames += max(1, len(missing))
    report.failures.append({"frames_missing": missing, "frames_read": read, "frames_expected": expected,
                            "error": f"incomplete input: {why}"})
    report.input["partial"] = {"frames_read": read, "frames_expected": expected, "missing_frames": missing,
                               "error": why}


def finish_report(report: Report, dst: Path, options: JobOptions, has_audio: bool | None = None) -> Report:
    """Describe the output in the report (and note a requested audio track the input lacks); write it."""
    report.output = file_entry(dst) if dst.is_file() else {"path": str(dst), "frames": report.frame_count}
    if report.kind != "image" and report.input.get("info"):
        w, h = report.input["info"].get("width"), report.input["info"].get("height")
        if dst.suffix.lower() in VIDEO_SUFFIXES and w and h and (w % 2 or h % 2):
            report.output["note_size"] = (f"{w}x{h} is stored as {w + w % 2}x{h + h % 2}: H.264 4:2:0 needs even "
                                          "sizes, so one replicated column/row is added")
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


def publish_job(src: Path, dst: Path, options: JobOptions, body: Callable[[Path, JobOptions], Report],
                folder: bool = False) -> Report:
    """Run `body(temp_output, options_without_report)` and publish its output and the report together.

    The output and report paths are checked before any work (not an input, not each other, not an
    existing file unless overwrite, writable); on any error or signal both temps are removed."""
    with Outputs([src], overwrite=options.overwrite) as out:
        tmp = out.folder(dst) if folder else out.file(dst)
        report_tmp = out.file(options.report_path, "report") if options.report_path else None
        report = body(tmp, replace(options, report_path=None))
        report.output["path"] = str(dst)
        if report_tmp is not None:
            report.write(report_tmp)
    return report


def anonymize_video(src: str | Path, dst: str | Path, pipeline: Pipeline, options: JobOptions | None = None) -> Report:
    """Video (or frame folder) in, H.264 MP4 out with the same frame count, timestamps and size."""
    options = options or JobOptions()
    src, dst = Path(src), Path(dst)
    check_video_output(src, dst)
    return publish_job(src, dst, options, lambda tmp, opts: video_job(src, tmp, pipeline, opts))


def video_job(src: Path, dst: Path, pipeline: Pipeline, options: JobOptions) -> Report:
    """The body of anonymize_video, writing `dst` directly: for callers that publish it together with
    files of their own (a showcase's JSON) through one anon_core.outputs.Outputs."""
    source, report = _video_source(src, pipeline)
    info = source.info
    audio = src if options.keep_audio and info.has_audio else None
    with VideoWriter(dst, info.fps, audio_from=audio, options=options.encode) as writer:
        _run(source, pipeline, lambda r, t: writer.write(r.frame, t), options, report, dst.name)
    return finish_report(report, dst, options, has_audio=info.has_audio)


def analyze_video(src: str | Path, pipeline: Pipeline, options: JobOptions | None = None) -> Report:
    """The same loop without an output file (analytics only: frames leave only to options.on_frame)."""
    options = options or JobOptions()
    source, report = _video_source(Path(src), pipeline)
    _run(source, pipeline, lambda r, t: None, options, report, Path(src).name)
    report.output = {"frames": report.frame_count, "note": "no output written (analytics only)"}
    if options.report_path:
        report.write(options.report_path)
    return report


def _video_source(src: Path, pipeline: Pipeline):
    source = open_source(src)
    if isinstance(source, SingleImage):
        raise MediaError(f"{src} is an image; use `anon image`")
    if isinstance(source, VideoReader):
        source.tolerate_errors = True  # check_complete turns a decode error into a clear failure (or exit 3)
    info = source.info
    inp = file_entry(src, info=info.to_dict()) if src.is_file() else {"path": str(src), "info": info.to_dict()}
    report = Report("frames" if isinstance(source, FrameFolder) else "video", input=inp, pipeline=pipeline.describe())
    return source, report


def anonymize_frames(src: str | Path, dst: str | Path, pipeline: Pipeline, options: JobOptions | None = None) -> Report:
    """Frame folder in; a frame folder (same file names) or an MP4 out."""
    options = options or JobOptions()
    src, dst = Path(src), Path(dst)
    if dst.suffix.lower() in VIDEO_SUFFIXES:
        return anonymize_video(src, dst, pipeline, options)
    if dst.exists() and not dst.is_dir():
        raise MediaError(f"{dst}: exists and is not a folder; give a folder (or an .mp4) for the frames")
    source = FrameFolder(src)
    source.tolerate_errors = True  # an unreadable frame: exit 2 naming it, or skipped with --allow-partial

    def body(tmp: Path, opts: JobOptions) -> Report:
        names = [f.name for f in source.files]
        report = Report("frames", input={"path": str(src), "info": source.info.to_dict(), "files": len(names)},
                        pipeline=pipeline.describe())
        # r.index counts processed frames; source.yielded maps it to the file (skipped frames have none)
        _run(source, pipeline, lambda r, t: write_image(tmp / names[source.yielded[r.index]], r.frame), opts,
             report, dst.name)
        return finish_report(report, tmp, opts)

    return publish_job(src, dst, options, body, folder=True)


def anonymize_image(src: str | Path, dst: str | Path, pipeline: Pipeline, options: JobOptions | None = None) -> Report:
    """One image in, one image out (EXIF orientation applied, all metadata stripped)."""
    options = options or JobOptions()
    src, dst = Path(src), Path(dst)
    if dst.suffix.lower() not in IMAGE_SUFFIXES:
        raise MediaError(f"{dst}: unknown image type; use one of {', '.join(sorted(IMAGE_SUFFIXES))}")

    return publish_job(src, dst, options, lambda tmp, opts: image_job(src, tmp, pipeline, opts))


def image_job(src: Path, dst: Path, pipeline: Pipeline, options: JobOptions) -> Report:
    """The body of anonymize_image, writing `dst` directly: for callers that publish it together with
    files of their own (a showcase's JSON) through one anon_core.outputs.Outputs."""
    source = SingleImage(src)
    report = Report("image", input=file_entry(src, info=source.info.to_dict()), pipeline=pipeline.describe())
    _run(source, pipeline, lambda r, t: write_image(dst, r.frame), options, report, dst.name)
    return finish_report(report, dst, options)
