"""Process a chosen image/video with a Pipeline and show raw vs anonymized side by side.

Memory stays bounded: frames stream through anon_core.jobs; only `previews` downscaled frame pairs
are kept (for the comparison slider), in this session's state only.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import streamlit as st

from anon_core.jobs import JobOptions, anonymize_image, anonymize_video
from anon_core.media import VideoReader, probe, read_image
from anon_core.pipeline import FrameResult, Pipeline
from ui import charts, compare, feedback
from ui.inputs import MediaChoice, session_tempdir
from ui.models import config_signature

PREVIEW_SIDE = 640
_RESULT = "_anon_result_"


@dataclass
class VideoResult:
    signature: str
    name: str
    output: Path
    report_path: Path
    summary: dict
    previews: list = field(default_factory=list)  # [(index, raw_rgb, anon_rgb)], downscaled, bounded
    per_frame: list = field(default_factory=list)  # [{frame, regions, detected, seconds, error}]
    folder: Path | None = None


@dataclass
class ImageResult:
    signature: str
    name: str
    raw_rgb: np.ndarray
    anon_rgb: np.ndarray
    output: Path
    report_path: Path
    summary: dict
    regions: int = 0
    folder: Path | None = None




def _small_rgb(frame_bgr: np.ndarray, side: int = PREVIEW_SIDE) -> np.ndarray:
    h, w = frame_bgr.shape[:2]
    f = min(1.0, side / max(h, w))
    if f < 1.0:
        frame_bgr = cv2.resize(frame_bgr, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)


def preview_indices(total: int | None, count: int) -> set[int]:
    """Frames kept for the comparison slider: evenly spread over a known length, else the first ones
    at a stride of 5 (bounded either way)."""
    if total:
        return {int(i) for i in np.linspace(0, total - 1, min(count, total)).round()}
    return set(range(0, 5 * count, 5))


def _new_folder(key: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"{key}-", dir=session_tempdir()))


def _cached(key: str, signature: str):
    old = st.session_state.get(_RESULT + key)
    if old is not None and old.signature == signature and old.output.is_file():
        return old
    if old is not None and old.folder is not None:  # results of the previous input are deleted
        shutil.rmtree(old.folder, ignore_errors=True)
    st.session_state.pop(_RESULT + key, None)
    return None


def process_video(choice: MediaChoice, pipeline: Pipeline, key: str, on_frame=None,
                  previews: int = 24) -> VideoResult | None:
    """Anonymize a video once per (media, settings); later reruns get the stored result."""
    signature = f"{choice.token}|{config_signature(pipeline)}"
    if (hit := _cached(key, signature)) is not None:
        return hit
    folder = _new_folder(key)
    out = folder / (Path(choice.name).stem + "-anonymized.mp4")
    report_path = folder / (Path(choice.name).stem + "-report.json")
    per_frame, anon_prev = [], {}
    try:
        with choice.local_path() as src:
            keep = preview_indices(probe(src).frame_count, previews)

            def collect(res: FrameResult) -> None:
                per_frame.append({"frame": res.index, "regions": len(res.regions), "detected": res.detected,
                                  "seconds": res.seconds, "error": res.error})
                if res.index in keep:
                    anon_prev[res.index] = _small_rgb(res.frame)
                if on_frame is not None:
                    on_frame(res)

            with feedback.Progress(f"Anonymizing {choice.name}") as bar:
                report = anonymize_video(src, out, pipeline, JobOptions(
                    progress=lambda done, total, _fps: bar.update(done, total), on_frame=collect,
                    report_path=report_path))
            raw_prev = _raw_previews(src, set(anon_prev))
    except Exception as exc:  # keep the app alive; nothing half-written is kept
        shutil.rmtree(folder, ignore_errors=True)
        feedback.bad_file(choice.name, exc)
        return None
    pairs = [(i, raw_prev[i], anon_prev[i]) for i in sorted(anon_prev) if i in raw_prev]
    result = VideoResult(signature, choice.name, out, report_path, report.summary(), pairs, per_frame, folder)
    st.session_state[_RESULT + key] = result
    return result


def _raw_previews(src: Path, wanted: set[int]) -> dict[int, np.ndarray]:
    got = {}
    if not wanted:
        return got
    last = max(wanted)
    with VideoReader(src) as reader:
        for i, frame in enumerate(reader.frames()):
            if i in wanted:
                got[i] = _small_rgb(frame)
            if i >= last:
                break
    return got


def process_image(choice: MediaChoice, pipeline: Pipeline, key: str) -> ImageResult | None:
    signature = f"{choice.token}|{config_signature(pipeline)}"
    if (hit := _cached(key, signature)) is not None:
        return hit
    folder = _new_folder(key)
    suffix = Path(choice.name).suffix.lower()
    out = folder / (Path(choice.name).stem + "-anonymized" + (suffix if suffix != ".jpeg" else ".jpg"))
    report_path = folder / (Path(choice.name).stem + "-report.json")
    frames = []
    try:
        with choice.local_path() as src:
            report = anonymize_image(src, out, pipeline, JobOptions(report_path=report_path, on_frame=frames.append))
            raw = read_image(src)
    except Exception as exc:
        shutil.rmtree(folder, ignore_errors=True)
        feedback.bad_file(choice.name, exc)
        return None
    res = frames[0]
    result = ImageResult(signature, choice.name, _small_rgb(raw, 1600), _small_rgb(res.frame, 1600), out,
                         report_path, report.summary(), len(res.regions), folder)
    st.session_state[_RESULT + key] = result
    return result


def _metrics(summary: dict) -> None:
    cols = st.columns(4)
    cols[0].metric("Frames", summary["frames"])
    cols[1].metric("Speed", f"{summary['fps']:.1f} fps")
    cols[2].metric("Regions anonymized", summary["regions"])
    cols[3].metric("Frames withheld", summary["failed_frames"],
                   help="Frames whose processing failed leave fully obscured (fail closed).")


def _downloads(output: Path, report_path: Path, key: str, mime: str) -> None:
    c1, c2 = st.columns(2)
    c1.download_button("Anonymized file", output.read_bytes(), file_name=output.name, mime=mime,
                       key=f"{key}_dl_media", type="primary", icon=":material/download:", width="stretch")
    c2.download_button("JSON audit report", report_path.read_bytes(), file_name=report_path.name,
                       mime="application/json", key=f"{key}_dl_report", icon=":material/receipt_long:",
                       width="stretch")


def _verdict(regions: int, frames: int, withheld: int) -> None:
    if withheld:
        compare.verdict(f"{withheld} of {frames} frames failed and left fully obscured (fail closed); the others "
                        f"carry {regions} anonymized regions.", False)
    elif regions:
        compare.verdict(f"every frame left anonymized: {regions} regions in {frames} frame(s), none withheld.")
    else:
        compare.verdict("nothing to anonymize was found: the output equals the input. Check the targets and the "
                        "detector in the sidebar if you expected faces or persons.", None)


def show_video_result(result: VideoResult, key: str) -> None:
    s = result.summary
    _verdict(s["regions"], s["frames"], s["failed_frames"])
    _metrics(result.summary)
    left, right = st.columns(2)
    if result.previews:
        indices = [p[0] for p in result.previews]
        at = st.select_slider("Compare frame", indices, key=f"{key}_frame") if len(indices) > 1 else indices[0]
        _, raw, anon = result.previews[indices.index(at)]
        compare.inline_image(raw, f"Raw · frame {at}", left)
        right.image(anon, caption=f"Anonymized · frame {at}", width="stretch")
    st.subheader("Anonymized video")
    st.video(str(result.output))
    if result.per_frame:
        st.plotly_chart(charts.regions_figure(result.per_frame), width="stretch", key=f"{key}_chart")
    _downloads(result.output, result.report_path, key, "video/mp4")


def show_image_result(result: ImageResult, key: str) -> None:
    _verdict(result.regions, 1, int(result.summary.get("failed_frames", 0)))
    left, right = st.columns(2)
    compare.inline_image(result.raw_rgb, "Raw", left)
    right.image(result.anon_rgb, caption=f"Anonymized · {result.regions} region(s)", width="stretch")
    mime = "image/png" if result.output.suffix == ".png" else "application/octet-stream"
    if result.output.suffix in (".jpg", ".jpeg"):
        mime = "image/jpeg"
    _downloads(result.output, result.report_path, key, mime)


def show_media(choice: MediaChoice, pipeline: Pipeline, key: str, on_frame=None) -> VideoResult | ImageResult | None:
    """Process (or reuse) and show the result; the one call most pages need."""
    if choice.is_video:
        result = process_video(choice, pipeline, key, on_frame=on_frame)
        if result is not None:
            show_video_result(result, key)
        return result
    result = process_image(choice, pipeline, key)
    if result is not None:
        show_image_result(result, key)
    return result

