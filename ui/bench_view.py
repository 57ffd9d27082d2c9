"""The Benchmark page's result view: verdict, the table with a tooltip per column, two clean charts, and
raw | anonymized of one frame of the footage benchmarked (sample or upload)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ui import charts, compare, feedback, models

PREVIEW_SIDE = 640  # px, long side of the stills shown
GT_COLOUR = (60, 200, 60)  # BGR: ground-truth boxes drawn on the raw still
WARMUP = 30  # frames a tracker row runs before the one shown (its state then is as in the benchmark)


def best(rows: pd.DataFrame | list[dict]) -> dict | None:
    """Our model row covering the most people (>= 90 %), then the fastest; None if there is none (the bounds
    and the deface reference are not ours to run here)."""
    df = pd.DataFrame(rows)
    if df.empty or "recall90" not in df or "name" not in df:
        return None
    df = df[~df["name"].str.startswith(("Null", "Perfect")) & (df.get("kind", "detector") != "reference")]
    if "status" in df:
        df = df[df["status"].fillna("ok") == "ok"]
    return None if df.empty else df.sort_values(["recall90", "fps"], ascending=False).iloc[0].to_dict()


def preview(gt_dir: Path, result: dict, max_frames: int) -> dict | None:
    """The middle frame of the scored range: raw with its ground-truth boxes, and anonymized the way the
    best row does it (a detector alone on that frame; a tracker row over the WARMUP frames before it),
    both as RGB stills for compare.side_by_side. None when no model row can be shown."""
    from anon_core.bench.data import load_sequence
    from anon_core.pipeline import Pipeline, PipelineConfig, detector_options

    row = best(result.get("rows", []))
    target = result.get("dataset", {}).get("target", "person")
    if row is None:
        return None
    model = row.get("model")
    config = model.get("config") if isinstance(model, dict) else None
    if config is not None:  # "<detector> + tracker every N": the benchmark's own pipeline settings
        name, every = config[f"{target}_detector"], config["detect_every"]
    else:
        name, every = row["name"], None
    seq = load_sequence(gt_dir, target, max_frames)
    index = (len(seq) - 1) // 2
    config = PipelineConfig(targets=(target,), detect_every=every or 1, **{f"{target}_detector": name})
    pipeline = Pipeline(config, detectors={target: models.load_detector(name, **detector_options(config, name))})
    start = max(0, index - WARMUP) if every else index
    for i, frame in enumerate(seq.frames()):
        if i >= start:  # failures fail closed: a fully obscured frame
            anon = pipeline.process(frame, still=every is None).frame
        if i == index:
            break
    raw = frame.copy()
    for x1, y1, x2, y2 in np.asarray(seq.gt[index]).astype(int):
        cv2.rectangle(raw, (x1, y1), (x2, y2), GT_COLOUR, max(2, frame.shape[0] // 300))
    scale = min(1.0, PREVIEW_SIDE / max(frame.shape[:2]))
    small = [cv2.cvtColor(cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
             for img in (raw, anon)]
    return {"raw": small[0], "anon": small[1], "frame": index + 1, "frames": len(seq), "model": row["name"],
            "boxes": len(seq.gt[index])}


def show_preview(p: dict) -> None:
    compare.side_by_side(p["raw"], p["anon"],
                         f"Raw · frame {p['frame']} of {p['frames']}, {p['boxes']} ground-truth boxes in green "
                         "(stays on the server)", f"Anonymized by {p['model']} (the row covering the most people)")

# name, title, tooltip, format
COLUMNS = [
    ("name", "model / setting", "Detector, or detector + tracker run every N frames; Null/Perfect rows are bounds",
     None),
    ("fps", "frames per second", "End to end: decode, detect/track, anonymize, encode (model loading excluded)",
     "%.1f"),
    ("iou_pb", "box overlap (IoU pB)", "Per ground-truth box: overlap with its matched anonymized region "
     "(Hungarian on IoU), averaged; a missed box counts 0. 100 % = every box exactly covered", "percent"),
    ("iou_pc", "area overlap (IoU pC)", "Per frame: pixel overlap of the anonymized area with the union of "
     "ground-truth boxes, averaged over frames", "percent"),
    ("recall90", "people covered >= 90 %", "Share of ground-truth boxes at least 90 % covered by anonymized "
     "pixels: the privacy figure", "percent"),
    ("count_rmse", "count error", "Root mean square over frames of (objects reported - objects there)", "%.2f"),
    ("coverage", "coverage (visible people)", "Share of visible people's pixels anonymized", "percent"),
    ("collateral", "collateral", "Share of anonymized pixels outside any person (background lost)", "percent"),
]


def table(result: dict) -> pd.DataFrame:
    df = pd.DataFrame(result["rows"])
    if "status" in df:
        df = df[df["status"].fillna("ok") == "ok"]
    keep = [c for c, *_ in COLUMNS if c in df.columns]
    return df[keep].reset_index(drop=True)


def verdict(df: pd.DataFrame) -> None:
    models = df[~df["name"].str.startswith(("Null", "Perfect"))] if "name" in df else df
    if models.empty or "recall90" not in models:
        compare.verdict("no model row in this result.", None)
        return
    best = models.sort_values(["recall90", "fps"], ascending=False).iloc[0]
    fast = models.sort_values("fps", ascending=False).iloc[0]
    text = (f"**{best['name']}** covers the most people ({best['recall90']:.0%} of them at least 90 % covered) "
            f"at {best['fps']:.1f} frames/s")
    if fast["name"] != best["name"]:
        text += (f"; the fastest, **{fast['name']}**, runs at {fast['fps']:.1f} frames/s with "
                 f"{fast['recall90']:.0%} covered")
    compare.verdict(text + ".", best["recall90"] >= 0.8)


def show(result: dict, title: str, stills: dict | None = None) -> None:
    """The result; `stills` (from preview()) right under the verdict, as on the other pages."""
    ds = result.get("dataset", {})
    st.subheader(f"{title}: {ds.get('frames', '?')} frames, {ds.get('gt_boxes', '?')} ground-truth boxes")
    df = table(result)
    verdict(df)
    if stills is not None:
        show_preview(stills)
    shown = df.copy()
    for c, *_, f in COLUMNS:
        if f == "percent" and c in shown:
            shown[c] = 100 * shown[c]  # "90 %" instead of Streamlit's "90.25%"
    config = {c: (st.column_config.TextColumn(t, help=h) if f is None else
                  st.column_config.NumberColumn(t, help=h, format="%.0f %%" if f == "percent" else f))
              for c, t, h, f in COLUMNS if c in df}
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config)
    left, right = st.columns(2)
    with left:
        y = "recall90" if "recall90" in df else "iou_pb"
        st.plotly_chart(charts.speed_vs_quality(df, "fps", y, "frames per second (log scale)",
                                                "people covered >= 90 %" if y == "recall90" else "box overlap"),
                        width="stretch", key="bench_scatter")
    with right:
        bars = go.Figure(go.Bar(x=df["count_rmse"], y=df["name"], orientation="h", marker_color="#6366f1",
                                texttemplate="%{x:.2f}", textposition="outside"))
        bars.update_yaxes(autorange="reversed", automargin=True)
        bars.update_xaxes(title="count error (objects per frame, lower is better)")
        st.plotly_chart(charts.clean(bars, max(300, 60 + 30 * len(df)), "Count error per model"), width="stretch",
                        key="bench_bars")
    hw = result.get("hardware", {})
    st.caption(f"Measured on {hw.get('cpu', '?')} ({hw.get('affinity') or hw.get('cpu_count')} cores), device "
               f"{hw.get('device', 'cpu')}{', GPU ' + hw['gpu'] if hw.get('gpu') else ''}; speed figures depend "
               "on the machine and its load. Definitions: docs/benchmark.md.")
    if result.get("skipped"):
        with st.expander(f"Skipped ({len(result['skipped'])})"):
            for s in result["skipped"]:
                st.write(f"- **{s['name']}**: {feedback.user_message(s['reason'])}")
