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


def clean(fig: go.Figure, height: int, title: str) -> go.Figure:
    """Shared layout: title left, legend below the plot (never over labels), margins that keep axis titles
    inside the frame at the default 1440 px window."""
    fig.update_layout(height=height, template="plotly_white", title={"text": title, "font": {"size": 15}, "x": 0},
                      margin={"l": 10, "r": 10, "t": 45, "b": 10},
                      legend={"orientation": "h", "y": -0.2, "x": 0, "yanchor": "top"})
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def privacy_utility_bars(table, label=str) -> go.Figure:
    """Per method: re-identified share (privacy) and attributes kept (utility) as grouped horizontal bars;
    methods that all re-identify 0 % stay readable (a scatter put them on top of each other at x = 0)."""
    names = [label(m) for m in table["method"]]
    fig = go.Figure()
    fig.add_bar(y=names, x=table["re-identified"], name="re-identified (lower = more private)", orientation="h",
                marker_color="#dc2626", texttemplate="%{x:.0%}", textposition="outside")
    fig.add_bar(y=names, x=table["attributes kept"], name="sex and emotion kept (higher = more useful)",
                orientation="h", marker_color="#16a34a", texttemplate="%{x:.0%}", textposition="outside")
    fig.update_xaxes(range=[0, 1.15], tickformat=".0%", title="share of faces")
    fig.update_yaxes(autorange="reversed")
    return clean(fig, 110 + 55 * len(names), "Re-identified vs attributes kept")


def emotion_mix(mix) -> go.Figure:
    """Stacked share of each emotion per second, raw and anonymized in two panels."""
    import plotly.express as px

    fig = px.bar(mix, x="second", y="share", color="emotion", facet_col="input", facet_col_spacing=0.06,
                 category_orders={"input": ["raw", "anonymized"]},
                 labels={"second": "seconds since the first passenger", "share": "share of faces"})
    fig.for_each_annotation(lambda a: a.update(text=a.text.split("=")[-1]))
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    return clean(fig, 360, "Emotion mix over time")


def trajectories(traj, zones, width: int, height: int) -> go.Figure:
    """Foot-point trajectories in image coordinates, axes fixed to the frame, every track in the legend."""
    fig = go.Figure()
    for name, part in traj.groupby("track", sort=False):
        fig.add_scatter(x=part["x"], y=part["y"], mode="lines", name=name, customdata=part[["frame"]],
                        hovertemplate=f"{name}<br>x %{{x:.0f}}, y %{{y:.0f}}<br>"
                                      "frame %{customdata[0]}<extra></extra>")
    for z in zones:
        xs, ys = zip(*(z.points + z.points[:1]))
        fig.add_scatter(x=xs, y=ys, mode="lines", name=f"zone {z.name}", line={"dash": "dot", "width": 2})
    fig.update_xaxes(range=[0, width], title="x (pixels)", constrain="domain")
    fig.update_yaxes(range=[height, 0], title="y (pixels)", scaleanchor="x", constrain="domain")
    return clean(fig, 420, "Trajectories (foot points)").update_layout(
        legend={"orientation": "v", "y": 1, "x": 1.02, "yanchor": "top"})


def timeline(spans) -> go.Figure:
    """One bar per track, every track labelled on the y axis."""
    fig = go.Figure(go.Bar(y=spans["track"], x=spans["end"] - spans["start"], base=spans["start"], orientation="h",
                           marker_color="#6366f1", hovertext=spans["frames"].astype(str) + " frames seen"))
    fig.update_yaxes(type="category", tickmode="array", tickvals=list(spans["track"]), autorange="reversed",
                     title=None)
    fig.update_xaxes(title="seconds")
    return clean(fig, max(220, 60 + 24 * len(spans)), "When each track was seen")


def speed_vs_quality(df, x: str, y: str, x_title: str, y_title: str) -> go.Figure:
    """Benchmark scatter: one labelled marker per model; log x with 1-2-5 ticks, no overlapping text
    (labels alternate above and below)."""
    import math

    fig = go.Figure()
    for k, (_, row) in enumerate(df.iterrows()):
        fig.add_scatter(x=[row[x]], y=[row[y]], mode="markers+text", name=str(row["name"]), text=[str(row["name"])],
                        textposition="top center" if k % 2 == 0 else "bottom center", marker={"size": 12},
                        showlegend=False, cliponaxis=False)
    xs = [v for v in df[x] if v and v > 0]
    if xs:
        lo, hi = math.floor(math.log10(min(xs))), math.ceil(math.log10(max(xs)))
        ticks = [m * 10**e for e in range(lo, hi + 1) for m in (1, 2, 5) if min(xs) / 2 <= m * 10**e <= max(xs) * 2]
        fig.update_xaxes(type="log", tickvals=ticks, ticktext=[f"{t:g}" for t in ticks],
                         range=[math.log10(min(xs) / 2.5), math.log10(max(xs) * 2.5)])  # room for the labels
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title=y_title, range=[-0.05, 1.1])
    return clean(fig, 380, f"{y_title} vs {x_title}")
