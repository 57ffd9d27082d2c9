"""Sections of the Industrial tracking page: the verdict, the metrics in words and the zone table."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import compare

METRIC_HELP = {
    "MOTA": "Multi-object tracking accuracy: 1 - (misses + false boxes + id switches) / ground-truth boxes. "
            "100 % is perfect; it can go below 0.",
    "IDF1": "How long each person keeps the same id: F1 of id-consistent matches. 100 % = one id per person "
            "for their whole visit.",
    "id switches": "Times a tracked person's id changed (lower is better).",
    "precision": "Share of tracked boxes that match a real object (IoU >= 0.5).",
    "recall": "Share of real objects (ground-truth boxes) that were tracked.",
}


def metrics_table(report: dict) -> pd.DataFrame | None:
    """raw and anonymized rows (fractions as fractions; the difference goes into the verdict)."""
    rows = [r for r in report.get("metrics", []) if r.get("input") in ("raw", "anonymized")]
    if not rows:
        return None
    df = pd.DataFrame(rows)
    return pd.DataFrame({"input": df["input"], "MOTA": df["mota"], "IDF1": df["idf1"],
                         "id switches": df["id_switches"].astype(int), "precision": df["precision"],
                         "recall": df["recall"]})


def show_metrics(table: pd.DataFrame, classes: list[str]) -> None:
    pct = st.column_config.NumberColumn
    st.caption(f"Against the ground truth ({', '.join(classes)}; a box matches at IoU >= 0.5, motmetrics).")
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "input": st.column_config.TextColumn("tracked on"),
        **{k: pct(k, help=METRIC_HELP[k], format="percent") for k in ("MOTA", "IDF1", "precision", "recall")},
        "id switches": pct("id switches", help=METRIC_HELP["id switches"], format="%d")})


def verdict(report: dict, table: pd.DataFrame | None) -> None:
    if table is not None and len(table) == 2:
        raw, anon = (table.set_index("input").loc[k] for k in ("raw", "anonymized"))
        diff = 100 * (anon["MOTA"] - raw["MOTA"])
        compare.verdict(f"tracking on anonymized video scores MOTA {anon['MOTA']:.0%} against {raw['MOTA']:.0%} on "
                        f"raw ({diff:+.1f} points); IDF1 {anon['IDF1']:.0%} vs {raw['IDF1']:.0%}.", abs(diff) <= 5)
        return
    sides = report.get("sides", {})
    if {"raw", "anonymized"} <= set(sides):
        raw = sum(sides["raw"]["tracks_per_class"].values())
        anon = sum(sides["anonymized"]["tracks_per_class"].values())
        compare.verdict(f"{anon} tracks on anonymized video against {raw} on raw (no ground truth for this clip, "
                        "so this compares the two runs, not their accuracy).", abs(anon - raw) <= max(1, 0.1 * raw))


def tracks_per_class(report: dict) -> pd.DataFrame:
    df = pd.DataFrame({side: s["tracks_per_class"] for side, s in report["sides"].items()}).fillna(0).astype(int)
    return df.rename_axis("class")


def zone_table(report: dict, side: str) -> pd.DataFrame:
    rows = [{"zone": z["name"], "class": c, **v} for z in report["sides"][side].get("zones", [])
            for c, v in z["per_class"].items()]
    return pd.DataFrame(rows)
