"""Sections of the Person counting page: the verdict and the metrics in words (with tooltips)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import compare

ERROR_HELP = ("Count error (RMSE): the typical difference between the persons counted and the persons really "
              "there, per frame (root mean square; 0 = every frame exact).")
CHANGE_HELP = ("How much anonymization changes the count error: (anonymized error - raw error) / raw error. "
               "+9.5 % means counting on anonymized video is 9.5 % worse; negative means better.")
WITHIN = 2.0  # percent: the verdict's "as good as raw" margin


def change_text(raw: float, anon: float) -> str:
    rel = compare.relative_change(raw, anon)
    if rel is None:
        return "no change" if anon == raw else f"{anon - raw:+.3f} (raw is exact)"
    return f"{rel:+.1f} % vs raw"


def verdict(df: pd.DataFrame, m: dict | None, what: str = "video") -> None:
    """The one-line answer; `what` names the input ("video", or "stream" on the live webcam)."""
    if m is not None:
        raw, anon = m["raw"].rmse, m["anonymized"].rmse
        rel = compare.relative_change(raw, anon)
        close = (abs(rel) <= WITHIN) if rel is not None else anon == raw
        word = f"within {WITHIN:g} % of" if close else ("worse than" if anon > raw else "better than")
        compare.verdict(f"counting on anonymized {what} is {word} raw: count error {anon:.2f} against {raw:.2f} "
                        f"persons per frame ({change_text(raw, anon)}).", close or anon < raw)
        return
    raw, anon = float(df["raw"].mean()), float(df["anonymized"].mean())
    rel = compare.relative_change(raw, anon)
    close = (abs(rel) <= WITHIN) if rel is not None else anon == raw
    compare.verdict(f"counting on anonymized {what} finds {anon:.2f} persons per frame on average against {raw:.2f} "
                    f"on raw ({change_text(raw, anon)}; no ground truth, so this compares the two runs).", close)


def live_metrics(df: pd.DataFrame) -> None:
    """The live webcam's numbers: persons in the newest frame (raw, smoothed as the overlay shows it, and on
    the anonymized frame) and the means over the frames kept."""
    last = df.iloc[-1]
    c1, c2 = st.columns(2)
    now = last["raw smoothed"] if pd.notna(last["raw smoothed"]) else last["raw"]
    c1.metric("Persons now, raw", f"{now:.0f}", help="Counted on the raw camera frame inside the pipeline "
              "(smoothed as set in the sidebar); only the number leaves")
    c2.metric("Persons now, anonymized", "-" if pd.isna(last["anonymized"]) else f"{last['anonymized']:.0f}",
              help="Counted again on the anonymized frame that leaves the pipeline")
    c1.metric("Mean per frame, raw", f"{df['raw'].mean():.2f}", help=f"Over the last {len(df)} processed frames")
    c2.metric("Mean per frame, anonymized", f"{df['anonymized'].mean():.2f}",
              help=f"Over the last {len(df)} processed frames")


def metrics(df: pd.DataFrame, m: dict | None) -> None:
    c1, c2 = st.columns(2)
    c1.metric("Persons per frame, raw", f"{df['raw'].mean():.2f}", help="Mean count over the clip")
    c2.metric("Persons per frame, anonymized", f"{df['anonymized'].mean():.2f}", help="Mean count over the clip")
    if m is None:
        return
    c1.metric("Count error, raw", f"{m['raw'].rmse:.2f}", help=f"{ERROR_HELP} Mean absolute error "
              f"{m['raw'].mae:.2f}, bias {m['raw'].bias:+.2f} (positive = over-counting).")
    c2.metric("Count error, anonymized", f"{m['anonymized'].rmse:.2f}", help=f"{ERROR_HELP} Mean absolute error "
              f"{m['anonymized'].mae:.2f}, bias {m['anonymized'].bias:+.2f}.")
    st.metric("Count error change from anonymization", change_text(m["raw"].rmse, m["anonymized"].rmse),
              help=CHANGE_HELP)


def study_table(rows: list[dict]) -> None:
    df = pd.DataFrame(rows)
    if "utility_retained" in df:  # ratio anonymized/raw error: shown as a change in percent instead
        df["count error change"] = [None if r["setting"] == "raw" else change_text(
            df.loc[0, "rmse"], r["rmse"]) for _, r in df.iterrows()]
        df = df.drop(columns=["utility_retained"])
    df = df.rename(columns={"mean_count": "persons per frame", "rmse_vs_raw": "difference to raw count",
                            "mae": "mean abs. error", "rmse": "count error", "bias": "bias",
                            "failed_frames": "frames withheld"})
    num = st.column_config.NumberColumn
    st.dataframe(df, hide_index=True, width="stretch", column_config={
        "count error": num(help=ERROR_HELP, format="%.3f"),
        "count error change": st.column_config.TextColumn(help=CHANGE_HELP),
        "difference to raw count": num(help="RMSE between this setting's counts and the raw counts", format="%.3f"),
        "bias": num(help="Mean signed error; positive = over-counting", format="%+.3f"),
        "frames withheld": num(help="Frames that failed and left fully obscured (fail closed)")})
