"""Sections of the Age, sex and emotion page: numbered faces, the method comparison, the verdict and
the deboarding view (emotion mix over time and per passenger, on raw and on anonymized frames)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import streamlit as st

from anon_core.media import VideoReader
from anon_core.synth import load_faces
from ui import charts, compare

REID_HELP = ("Share of faces a face recogniser (dlib, 128-d embedding) still matches to the raw face "
             "(distance < 0.6). Lower is more private; 0 % = nobody re-identified.")
KEPT_HELP = "Mean of how often sex and emotion estimated on the anonymized face agree with the raw estimate."
MIN_FACE_PX = 24  # smaller faces (far in the door) give no usable emotion estimate


def numbered(image_bgr: np.ndarray, faces) -> np.ndarray:
    """RGB copy with each face box outlined and numbered 1..N (the numbers of the faces table)."""
    out = image_bgr.copy()
    scale = max(0.5, image_bgr.shape[1] / 900)
    for i, (x1, y1, x2, y2) in enumerate(np.asarray(faces.xyxy).astype(int)):
        cv2.rectangle(out, (x1, y1), (x2, y2), (40, 200, 255), max(1, round(2 * scale)))
        label = f"Face {i + 1}"
        org = (x1, max(14, y1 - 6))
        cv2.putText(out, label, org, cv2.FONT_HERSHEY_SIMPLEX, 0.6 * scale, (0, 0, 0), 4, cv2.LINE_AA)
        cv2.putText(out, label, org, cv2.FONT_HERSHEY_SIMPLEX, 0.6 * scale, (40, 200, 255), 1, cv2.LINE_AA)
    return cv2.cvtColor(out, cv2.COLOR_BGR2RGB)


def method_table(cmp) -> pd.DataFrame:
    t = pd.DataFrame(cmp.table())
    return pd.DataFrame({
        "method": t["method"],
        "re-identified": t["reid_rate"],
        "attributes kept": t[["sex_agreement", "emotion_agreement"]].mean(axis=1),
        "sex agrees": t["sex_agreement"],
        "emotion agrees": t["emotion_agreement"],
        "age change (years)": t["age_mae"],
        "seconds per face": t["seconds_per_face"],
    })


def verdict(cmp, method: str) -> None:
    if cmp is None:
        compare.verdict("no face found, so nothing could be estimated or re-identified.", None)
        return
    row = method_table(cmp).set_index("method").loc[method]
    good = row["re-identified"] == 0
    compare.verdict(f"with **{method}**, {row['re-identified']:.0%} of faces are re-identified and "
                    f"{row['attributes kept']:.0%} of sex and emotion estimates are kept.", good)


def methods_section(cmp, label) -> None:
    st.subheader("Privacy and attributes, per method")
    table = method_table(cmp)
    st.plotly_chart(charts.privacy_utility_bars(table, label), width="stretch", key="attr_methods_chart")
    pct = st.column_config.NumberColumn
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "re-identified": pct("re-identified", help=REID_HELP, format="percent"),
        "attributes kept": pct("attributes kept", help=KEPT_HELP, format="percent"),
        "sex agrees": pct("sex agrees", help="Sex estimate on the anonymized face = raw estimate", format="percent"),
        "emotion agrees": pct("emotion agrees", help="Emotion estimate on the anonymized face = raw estimate",
                              format="percent"),
        "age change (years)": pct("age change (years)", help="Mean absolute difference of the age estimates",
                                  format="%.1f"),
        "seconds per face": pct("seconds per face", help="Anonymization time per face on this server",
                                format="%.3f")})


def faces_section(cmp, limit: int = 12) -> None:
    st.subheader("Faces")
    for row in cmp.face_records()[:limit]:
        raw = row["raw"]
        with st.container(border=True):
            st.markdown(f"**Face {row['face'] + 1}**: raw estimate {raw['sex']}, {raw['age']:.0f} years, "
                        f"{raw['emotion']}")
            st.dataframe(pd.DataFrame([{"method": m, "sex": v["sex"], "age": round(v["age"]), "emotion": v["emotion"],
                                        "distance to raw face": v["distance"],
                                        "re-identified": "yes" if v["reidentified"] else "no"}
                                       for m, v in row["methods"].items()]), hide_index=True, width="stretch",
                         column_config={"distance to raw face": st.column_config.NumberColumn(
                             help="dlib embedding distance; below 0.6 counts as the same person", format="%.2f")})


def passenger_emotions(video: Path, faces_jsonl: Path, estimator, stride: int = 3) -> list[dict]:
    """Emotion of every passenger (ground-truth face boxes of the sample) on every `stride`-th frame of
    `video`: rows {t, passenger, emotion}. The same boxes on raw and anonymized frames, so the two runs
    differ only by what anonymization left of the face."""
    truth = load_faces(faces_jsonl)
    rows = []
    with VideoReader(video) as reader:
        fps = reader.info.fps or 15.0
        for i, frame in enumerate(reader.frames()):
            if i % stride:
                continue
            dets = truth.at(i + 1, min_visibility=0.5)
            dets = dets[(dets.xyxy[:, 3] - dets.xyxy[:, 1]) >= MIN_FACE_PX]
            if not len(dets):
                continue
            attrs = estimator(frame, dets)
            rows += [{"t": round(i / fps, 2), "passenger": f"P{tid}", "emotion": str(e)}
                     for tid, e in zip(dets.track_ids, attrs.emotion)]
    return rows


def deboarding_section(people: dict[str, list[dict]]) -> None:
    """people: {"raw": rows, "anonymized": rows} from passenger_emotions."""
    st.subheader("Deboarding passengers: emotion mix over time and per passenger")
    df = pd.concat([pd.DataFrame(rows).assign(input=side) for side, rows in people.items() if rows])
    if df.empty:
        st.info("No face was large enough for an emotion estimate.")
        return
    same = _agreement(df)
    compare.verdict(f"the emotion read on anonymized passengers matches raw in {same:.0%} of estimates.",
                    same >= 0.7)
    df["second"] = df["t"].astype(int)
    mix = df.groupby(["input", "second", "emotion"]).size().rename("faces").reset_index()
    mix["share"] = mix["faces"] / mix.groupby(["input", "second"])["faces"].transform("sum")
    st.plotly_chart(charts.emotion_mix(mix), width="stretch", key="attr_deboard_mix")
    per = df.groupby(["passenger", "input"])["emotion"].agg(lambda s: s.value_counts(normalize=True).round(2)
                                                             .to_dict()).unstack("input")
    st.caption("Per passenger: share of each emotion over the frames where the face was large enough to read.")
    st.dataframe(per.map(lambda d: ", ".join(f"{k} {v:.0%}" for k, v in d.items()) if isinstance(d, dict) else "-"),
                 width="stretch")


def _agreement(df: pd.DataFrame) -> float:
    raw = df[df["input"] == "raw"].set_index(["t", "passenger"])["emotion"]
    anon = df[df["input"] == "anonymized"].set_index(["t", "passenger"])["emotion"]
    both = raw.index.intersection(anon.index)
    return float((raw[both] == anon[both]).mean()) if len(both) else 0.0
