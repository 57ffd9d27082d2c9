"""Review view after a video was processed: anonymized tracks (time span, frames, scores, thumbnails of
the anonymized output only), the residual check's timeline, adding a missed region or marking a false
positive, and re-rendering with those changes.  The logic lives in anon_core.review / anon_core.audit."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import cv2
import numpy as np
import streamlit as st

from anon_core.audit import audit_media, frame_ranges
from anon_core.jobs import JobOptions, anonymize_video
from anon_core.media import VideoReader
from anon_core.pipeline import Pipeline
from anon_core.review import ReviewEdits, region_thumbnails, track_summary
from ui.inputs import MediaChoice, session_tempdir
from ui.video import VideoResult

_STATE = "_anon_review_"


def _state(key: str, result: VideoResult) -> dict:
    """This result's review state (edits, audit, re-rendered output); new result -> fresh state."""
    state = st.session_state.get(_STATE + key)
    if state is None or state["signature"] != result.signature:
        state = {"signature": result.signature, "edits": ReviewEdits(), "audit": None, "reviewed": None}
        st.session_state[_STATE + key] = state
    return state


def _frame(path: Path, index: int) -> np.ndarray | None:
    with VideoReader(path) as reader:
        for i, f in enumerate(reader.frames()):
            if i == index:
                return f
    return None


def show_review(choice: MediaChoice, result: VideoResult, pipeline: Pipeline, key: str) -> None:
    state = _state(key, result)
    edits: ReviewEdits = state["edits"]
    st.subheader("Review", divider="gray")
    tracks = track_summary(result.report_path)
    _tracks(result, tracks, key)
    _audit(choice, result, state, key)
    _add_region(choice, result, edits, pipeline, key)
    _false_positive(result, tracks, edits, key)
    if edits.changes:
        st.markdown("**Changes** (recorded in the report)")
        st.dataframe([{"who": c.who, "what": c.what, "when": c.when, "frame": c.frame, "box": c.box,
                       "frames covered": len(c.frames)} for c in edits.changes], key=f"{key}_changes")
        if st.button("Re-render with changes", key=f"{key}_rerender", type="primary"):
            _rerender(choice, pipeline, edits, state, key)
    reviewed = state["reviewed"]
    if reviewed is not None:
        st.success(f"Re-rendered with {reviewed['changes']} change(s).")
        c1, c2 = st.columns(2)
        c1.download_button("Reviewed file", reviewed["output"].read_bytes(), file_name=reviewed["output"].name,
                           mime="video/mp4", key=f"{key}_dl_reviewed", icon=":material/download:")
        c2.download_button("Reviewed report", reviewed["report"].read_bytes(), file_name=reviewed["report"].name,
                           mime="application/json", key=f"{key}_dl_reviewed_report")


def _tracks(result: VideoResult, tracks: list[dict], key: str) -> None:
    st.markdown(f"**Anonymized tracks**: {len(tracks)}")
    if not tracks:
        return
    picks = {}
    for t in tracks:
        mid = sorted(t["boxes"])[len(t["boxes"]) // 2]
        picks[t["track_id"]] = (mid, t["boxes"][mid])
    thumbs = region_thumbnails(result.output, picks)  # crops of the ANONYMIZED output only
    st.dataframe([{"track": t["track_id"] if t["track_id"] >= 0 else "unconfirmed", "label": t["label"],
                   "frames": f"{t['first']}-{t['last']}", "time (s)": t["span_s"], "count": t["frames"],
                   "detected": t["detected"], "mean score": t["mean_score"], "min score": t["min_score"]}
                  for t in tracks], key=f"{key}_tracks")
    shown = [(tid, thumbs[tid]) for tid in list(thumbs)[:12]]
    if shown:
        cols = st.columns(len(shown))
        for col, (tid, img) in zip(cols, shown):
            col.image(cv2.cvtColor(img, cv2.COLOR_BGR2RGB), caption=f"track {tid}")


def _audit(choice: MediaChoice, result: VideoResult, state: dict, key: str) -> None:
    if st.button("Run residual check", key=f"{key}_audit",
                 help="A second face detector looks for faces left in the output; uncertain frames come from "
                      "the report (low scores, tracks appearing late or vanishing early)."):
        with st.spinner("Checking the anonymized output …"), choice.local_path() as src:
            state["audit"] = audit_media(src, result.output, result.report_path).to_dict()
    audit = state["audit"]
    if audit is None:
        return
    if not audit["flagged"]:
        st.success(f"Residual check: nothing flagged in {audit['checked']} frames.")
        return
    visible = [int(f) for f in audit["visible"]]
    if visible:
        st.error(f"A face may be visible on frames {frame_ranges(visible)}.")
    uncertain = [int(f) for f in audit["uncertain"]]
    if uncertain:
        st.warning(f"Uncertain detection on frames {frame_ranges(uncertain)}.")
    import plotly.express as px

    rows = [{"frame": r["frame"], "kind": r["kind"], "why": "; ".join(r["reasons"][:2])} for r in audit["timeline"]]
    fig = px.scatter(rows, x="frame", y="kind", color="kind", hover_data=["why"], height=220)
    fig.update_xaxes(range=[-1, result.summary["frames"]])
    st.plotly_chart(fig, key=f"{key}_audit_chart")


def _draw_zones(img: np.ndarray, pipeline: Pipeline) -> None:
    """Outline the pipeline's zones on a frame: always-zones orange, never-zones green."""
    h, w = img.shape[:2]
    for control in pipeline.controls:
        for zone in getattr(control, "zones", []):
            colour = (0, 140, 255) if zone.kind == "always" else (60, 200, 60)
            cv2.polylines(img, [zone.polygon(w, h)], True, colour, 2)


def _add_region(choice: MediaChoice, result: VideoResult, edits: ReviewEdits, pipeline: Pipeline,
                key: str) -> None:
    st.markdown("**Add a missed region** (pixels of the frame; the tracker carries it forward and back). "
                "Zones are outlined: always orange, never green.")
    n = max(1, result.summary["frames"])
    c = st.columns(5)
    frame = c[0].number_input("Frame", 0, n - 1, 0, key=f"{key}_add_frame")
    x1 = c[1].number_input("x1", 0, 10000, 0, key=f"{key}_add_x1")
    y1 = c[2].number_input("y1", 0, 10000, 0, key=f"{key}_add_y1")
    x2 = c[3].number_input("x2", 0, 10000, 0, key=f"{key}_add_x2")
    y2 = c[4].number_input("y2", 0, 10000, 0, key=f"{key}_add_y2")
    img = _frame(result.output, int(frame))  # the anonymized frame: the reviewer never sees raw pixels here
    if img is not None:
        _draw_zones(img, pipeline)
        if x2 > x1 and y2 > y1:
            cv2.rectangle(img, (int(x1), int(y1)), (int(x2), int(y2)), (0, 0, 255), 2)
        st.image(cv2.cvtColor(img, cv2.COLOR_BGR2RGB), caption=f"Anonymized · frame {frame}", width=480)
    if st.button("Add region", key=f"{key}_add", disabled=not (x2 > x1 and y2 > y1)):
        with st.spinner("Following the region …"), choice.local_path() as src:
            change = edits.add_region(src, int(frame), (x1, y1, x2, y2))
        st.toast(f"Region added on {len(change.frames)} frame(s): {frame_ranges(change.frames)}")


def _false_positive(result: VideoResult, tracks: list[dict], edits: ReviewEdits, key: str) -> None:
    ids = [t["track_id"] for t in tracks if t["track_id"] >= 0]
    if not ids:
        return
    c1, c2 = st.columns([2, 1])
    tid = c1.selectbox("Track that is not a person (poster, mannequin ...)", ids, key=f"{key}_fp_track")
    if c2.button("Mark as false positive", key=f"{key}_fp"):
        t = next(t for t in tracks if t["track_id"] == tid)
        change = edits.mark_false_positive(result.report_path, t["first"], t["boxes"][t["first"]])
        st.toast(f"Track {tid} left visible on {len(change.frames)} frame(s)")


def _rerender(choice: MediaChoice, pipeline: Pipeline, edits: ReviewEdits, state: dict, key: str) -> None:
    targets = pipeline.policy.targets
    label = "face" if "face" in targets else targets[0]  # manual regions get this target's anonymizer
    reviewed = Pipeline(pipeline.config, detectors=pipeline.detectors, analyzers=pipeline.analyzers,
                        controls=[edits.control(label)])
    folder = Path(tempfile.mkdtemp(prefix="reviewed-", dir=session_tempdir()))
    stem = Path(choice.name).stem
    out, report = folder / f"{stem}-reviewed.mp4", folder / f"{stem}-reviewed-report.json"
    try:
        with st.spinner("Re-rendering …"), choice.local_path() as src:
            anonymize_video(src, out, reviewed, JobOptions(report_path=report))
    except Exception as exc:  # keep the app alive; nothing half-written is kept
        shutil.rmtree(folder, ignore_errors=True)
        st.error(f"Re-rendering failed: {type(exc).__name__}: {exc}")
        return
    old = state.get("reviewed")
    if old is not None:
        shutil.rmtree(old["output"].parent, ignore_errors=True)
    state["reviewed"] = {"output": out, "report": report, "changes": len(edits.changes)}
