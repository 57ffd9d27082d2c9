"""Write a bench result as JSON and as a Markdown table (the README/thesis layout)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from anon_core.jsonsafe import json_safe
from anon_core.outputs import write_text_atomic

COLUMNS = [("name", "Model / setting"), ("fps", "FPS"), ("ms_per_frame", "ms/frame"), ("iou_pb", "IoU pB"),
           ("iou_pc", "IoU pC"), ("recall90", "Recall@90%"), ("count_rmse", "Count RMSE")]
# Persons with MOT visibility: shown only when the rows have them (see anon_core.metrics.score).
PERSON_COLUMNS = [("coverage", "Coverage (vis >= {v})"), ("collateral", "Collateral"),
                  ("count_rmse_visible", "Count RMSE (vis >= {v})")]


def columns(result: dict) -> list[tuple[str, str]]:
    """The table's columns: the person coverage columns join when the rows carry them."""
    if not any("coverage" in row for row in result.get("rows", [])):
        return COLUMNS
    vis = result.get("dataset", {}).get("min_visibility")
    return COLUMNS + [(k, h.format(v=vis)) for k, h in PERSON_COLUMNS]


def _atomic_write(path: Path, text: str, overwrite: bool = True, inputs=()) -> None:
    """Atomically, never over an input, an existing file only with overwrite (anon_core.outputs)."""
    write_text_atomic(path, text, inputs=inputs, overwrite=overwrite)


def write_json(result: dict, path: str | Path, overwrite: bool = True, inputs=()) -> None:
    _atomic_write(Path(path), json.dumps(json_safe(result), indent=2, default=str) + "\n", overwrite, inputs)


def load_json(path: str | Path) -> dict:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "rows" not in data:
        raise ValueError(f"{path} is not an `anon bench` result (no 'rows'); produce one with anon bench --json")
    return data


def _fmt(key: str, value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if key == "name":
        return str(value)
    if key in ("fps", "ms_per_frame"):
        return f"{value:.1f}"
    if key == "collateral":
        return f"{100 * value:.1f} %"
    return f"{value:.3f}" if key.startswith("count_rmse") else f"{value:.2f}"


def to_markdown(result: dict) -> str:
    ds, hw = result.get("dataset", {}), result.get("hardware", {})
    lines = [f"### anon bench: {ds.get('name', '?')} ({ds.get('target', '?')}s, {ds.get('frames', '?')} frames, "
             f"{ds.get('gt_boxes', '?')} ground-truth boxes)", ""]
    cols = columns(result)
    lines.append("| " + " | ".join(h for _, h in cols) + " |")
    lines.append("|" + "|".join("---" if k == "name" else "---:" for k, _ in cols) + "|")
    for row in result.get("rows", []):
        lines.append("| " + " | ".join(_fmt(k, row.get(k)) for k, _ in cols) + " |")
    lines.append("")
    device = hw.get("gpu") if hw.get("device", "cpu") != "cpu" and hw.get("gpu") else None
    lines.append(f"Hardware: {hw.get('cpu', '?')} ({hw.get('affinity') or hw.get('cpu_count')} cores usable)"
                 + (f", GPU {device}" if device else "") + f"; device {hw.get('device', 'cpu')}; "
                 f"onnxruntime {hw.get('onnxruntime')}, torch {hw.get('torch')}, OpenCV {hw.get('cv2')}.")
    style = result.get("config", {}).get("style", {})
    if style:
        lines.append(f"Anonymization: {style.get('method')} over {style.get('shape')} regions, "
                     f"padding {style.get('padding')}. FPS is end to end (decode, detect/track, anonymize, encode).")
    notes = [f"{r['name']}: {r['note']}" for r in result.get("rows", []) if r.get("note")]
    if notes:
        lines += [""] + [f"- {n}" for n in notes]
    if result.get("skipped"):
        lines += ["", "Skipped:"] + [f"- {s['name']}: {s['reason']}" for s in result["skipped"]]
    return "\n".join(lines) + "\n"


def write_markdown(result: dict, path: str | Path, overwrite: bool = True, inputs=()) -> None:
    _atomic_write(Path(path), to_markdown(result), overwrite, inputs)
