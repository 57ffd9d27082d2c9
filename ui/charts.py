"""Plotly figures for the app pages."""

from __future__ import annotations

import plotly.graph_objects as go


def regions_figure(per_frame: list[dict]) -> go.Figure:
    """Regions anonymized per frame, with detector runs marked and processing time on a second axis."""
    x = [r["frame"] for r in per_frame]
    fig = go.Figure()
    fig.add_bar(x=x, y=[r["regions"] for r in per_frame], name="regions anonymized", marker_color="#6366f1")
    fig.add_scatter(x=x, y=[r["seconds"] * 1000 for r in per_frame], name="ms per frame", yaxis="y2",
                    mode="lines", line={"color": "#f59e0b", "width": 1.5})
    failed = [r["frame"] for r in per_frame if r.get("error")]
    if failed:
        fig.add_scatter(x=failed, y=[0] * len(failed), mode="markers", name="withheld (fail closed)",
                        marker={"color": "#dc2626", "symbol": "x", "size": 9})
    fig.update_layout(height=280, margin={"l": 10, "r": 10, "t": 30, "b": 10}, bargap=0.1,
                      title={"text": "Per frame", "font": {"size": 14}},
                      legend={"orientation": "h", "y": 1.15, "x": 1, "xanchor": "right"},
                      yaxis={"title": "regions"}, yaxis2={"title": "ms", "overlaying": "y", "side": "right",
                                                          "showgrid": False},
                      xaxis={"title": "frame"}, template="plotly_white")
    return fig
