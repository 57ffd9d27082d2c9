"""Benchmark: the model comparison table (speed, IoU per box / per covered area, recall, count error) from
the stored TUD-Campus result, a generated sample, an upload with ground truth, or a loaded JSON."""

import json
import os
import tempfile
import zipfile
from pathlib import Path

import streamlit as st

from anon_core.bench.report import load_json, to_markdown
from ui import bench_view, feedback, inputs, layout, results

KEY = "bench"
ROOT = Path(__file__).resolve().parents[1]
# Regenerate with: ANON_MODEL_DIR=../shared/models anon bench --gt-dir ../shared/data/tud_campus
#   --json docs/measurements/bench_tud_campus_cpu.json --md docs/measurements/bench_tud_campus_cpu.md
STORED = Path(os.environ.get("ANON_BENCH_JSON", ROOT / "docs/measurements/bench_tud_campus_cpu.json"))
PERSON_MODELS = ["hog", "yolox-nano", "yolox-tiny", "yolox-s"]
FACE_MODELS = ["centerface", "dlib-hog"]

layout.page_setup(
    "Benchmark", icon=":material/leaderboard:",
    intro="Compare detectors on footage with ground truth: end-to-end speed against how well the anonymized "
          "regions cover the people, and the person-count error. The page opens with the stored result on "
          "TUD-Campus; run it on a generated sample or on your own footage with its ground truth.")

SOURCES = {"stored": ":material/inventory_2: Stored result", "sample": ":material/movie: Generated sample",
           "upload": ":material/upload: Upload with ground truth", "json": ":material/data_object: Load a JSON"}
source = st.segmented_control("Result", list(SOURCES), default="stored", format_func=SOURCES.get, key=f"{KEY}_source",
                              required=True, label_visibility="collapsed") or "stored"


def _settings(default_target: str = "person"):
    c1, c2, c3 = st.columns(3)
    target = c1.selectbox("Target", ["person", "face"], index=["person", "face"].index(default_target),
                          key=f"{KEY}_target")
    names = PERSON_MODELS if target == "person" else FACE_MODELS
    picked = c2.multiselect("Models", names, default=names[1:2] if target == "person" else names[:1],
                            key=f"{KEY}_models")
    max_frames = c3.number_input("Max frames", 1, 10000, 30, key=f"{KEY}_max",
                                 help="Frames scored from the start of the clip (more = slower, steadier figures)")
    return target, tuple(picked), int(max_frames)


def _run(gt_dir: Path, title: str, target: str, picked: tuple[str, ...], max_frames: int) -> dict:
    """{"bench": the `anon bench --json` result, "preview": raw | anonymized of its middle frame}."""
    from anon_core.bench.runner import BenchConfig, run_bench

    done = []
    # rows: 3 bounds + per model: alone and + tracker every 1 and 5 (the person rows; a skipped model has fewer)
    with feedback.Progress(f"Benchmarking on {title}", 3 + 3 * len(picked), unit="rows") as bar:
        data = run_bench(BenchConfig(gt_dir, target, picked, track_every=(1, 5), max_frames=max_frames),
                         progress=lambda name: (done.append(name), bar.update(len(done))))
    data.setdefault("dataset", {}).update(name=title, path=title)  # the user's name for it, not a server folder
    with st.spinner("Anonymizing a frame for the raw | anonymized view …"):
        shown = bench_view.preview(gt_dir, data, max_frames)
    return {"bench": data, "preview": shown}


result, title, stored = None, None, None
if source == "stored":
    if STORED.is_file():
        result, title = load_json(STORED), "TUD-Campus (stored result)"
    else:
        st.info(f"No stored result at `{STORED.name}`. Create it with `anon bench --gt-dir ../shared/data/tud_campus "
                "--json docs/measurements/bench_tud_campus_cpu.json`, or run on a sample.")
elif source == "json":
    up = st.file_uploader("`anon bench --json` result", type=["json"], key=f"{KEY}_json")
    if up is not None:
        with feedback.guard(up.name):
            result = json.loads(up.getvalue().decode("utf-8"))
            if not isinstance(result, dict) or "rows" not in result:
                raise ValueError("not an `anon bench --json` result (no 'rows')")
        title = up.name
elif source == "sample":
    kind = st.selectbox("Generated sample", ["walkway", "faces"], format_func=inputs.SAMPLE_KINDS.get,
                        key=f"{KEY}_sample")
    target, picked, max_frames = _settings("face" if kind == "faces" else "person")
    sig = results.signature(target, picked, max_frames)
    stored, stale = results.lookup(KEY, sig, f"sample:{kind}")
    if (stored is None or stale) and picked and st.button("Run benchmark", type="primary", key=f"{KEY}_go"):
        choice = inputs.sample_choice(kind)
        with feedback.guard(choice.name):
            stored = results.put(KEY, sig, _run(Path(choice.sample.root), f"{kind} sample", target, picked,
                                                max_frames), source=f"sample:{kind}")
        stale = False
    if stored is not None and stale:
        results.stale_note("Run benchmark")
    title = f"{kind} sample"
else:
    st.caption("A zip of a MOTChallenge folder (img1/ + gt/gt.txt), or a video together with its gt.txt.")
    files = st.file_uploader("Footage + ground truth", type=["zip", "mp4", "mov", "avi", "mkv", "txt"],
                             accept_multiple_files=True, key=f"{KEY}_upload")
    target, picked, max_frames = _settings()
    sig = results.signature(target, picked, max_frames)
    upload_id = results.signature([f.file_id for f in files or []])
    stored, stale = results.lookup(KEY, sig, upload_id)
    title = ", ".join(f.name for f in files or []) or None
    if (stored is None or stale) and files and picked and st.button("Run benchmark", type="primary", key=f"{KEY}_go"):
        with feedback.guard(title), tempfile.TemporaryDirectory(prefix="bench-", dir=inputs.session_tempdir()) as tmp:
            root = Path(tmp)
            for f in files:
                if f.name.lower().endswith(".zip"):
                    with zipfile.ZipFile(f) as zf:
                        zf.extractall(root)
                else:
                    (root / inputs.safe_name(f.name)).write_bytes(f.getvalue())
            tops = [p for p in root.iterdir() if p.is_dir()]
            gt_dir = tops[0] if len(tops) == 1 and not (root / "img1").exists() else root
            stored = results.put(KEY, sig, _run(gt_dir, title, target, picked, max_frames), source=upload_id)
        stale = False
    if stored is not None and stale:
        results.stale_note("Run benchmark")

if stored is not None:
    result = stored["bench"]
if result is None:
    if source in ("sample", "upload"):
        st.info("Pick the models, then press **Run benchmark** (about 10-40 s for 30 frames on a laptop CPU).")
    layout.privacy_note()
    st.stop()

bench_view.show(result, title or result.get("dataset", {}).get("name", "result"),
                stored["preview"] if stored is not None else None)
c1, c2 = st.columns(2)
c1.download_button("Markdown table", to_markdown(result), "bench.md", "text/markdown", key=f"{KEY}_dl_md")
c2.download_button("JSON", json.dumps(result, indent=2), "bench.json", "application/json", key=f"{KEY}_dl_json")
layout.privacy_note()
