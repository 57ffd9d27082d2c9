"""Age, sex and emotion: analytics that survive anonymization, and what identity is left."""

import tempfile
from pathlib import Path

import streamlit as st

from anon_core.media import probe, read_image
from anon_core.pipeline import detector_options
from showcases.attributes.analysis import ANALYZE_THEN_ANONYMIZE, METHODS
from showcases.attributes.media_run import RunConfig, faces_of, image_from_bytes, run_image, run_video
from ui import attributes_view, compare, feedback, inputs, layout, models, results, sidebar

KEY = "attributes"
layout.page_setup(
    "Age, sex and emotion", icon=":material/mood:",
    intro="Identity must go, attributes may stay. Each face is estimated (age, sex, emotion) on the raw and on "
          "the anonymized image; the comparison shows, for every method, how much of the attributes survives "
          "and how often a face recogniser (dlib, distance < 0.6) still re-identifies the person.")


@st.cache_resource(show_spinner="Loading age/sex, emotion and recognition models …")
def _analyzer():
    from showcases.attributes.analysis import Analyzer

    return Analyzer()


def _method_label(m: str) -> str:
    return {ANALYZE_THEN_ANONYMIZE: "analyze-then-anonymize (face removed, estimates attached)",
            "synthetic-face": "synthetic face (same sex, age band, emotion)"}.get(m, m)


# the shared sidebar's detection part: the estimators cut faces by CenterFace's 5 landmarks, and the
# methods compared below replace the anonymization settings of the other pages
face_config = sidebar.detection_settings("centerface", "The age, sex and emotion estimators cut each face along "
                                         "CenterFace's 5 landmarks, so this page always detects with CenterFace.")
with st.sidebar:
    st.header("Attributes")
    method = st.selectbox("Output method", METHODS, index=METHODS.index("synthetic-face"), format_func=_method_label,
                          key=f"{KEY}_method")
    compared = st.multiselect("Methods compared", METHODS, default=list(METHODS), key=f"{KEY}_compared")
    overlay = st.toggle("Write estimates on the output", value=True, key=f"{KEY}_overlay")

choice = inputs.choose_media(("upload", "sample"), sample_kind="faces", key=KEY, extra_samples=("deboarding",))
with st.expander("Webcam snapshot", icon=":material/photo_camera:"):
    snap = st.camera_input("Take a photo (processed here, not stored)", key=f"{KEY}_cam")

config = RunConfig(method=method, methods=tuple(dict.fromkeys([*compared, method])), overlay=overlay)
detector = models.load_detector("centerface", **detector_options(face_config, "centerface"))
analyzer = _analyzer()


def _image_run(image, name: str) -> dict:
    with st.spinner("Estimating and anonymizing …"):
        run = run_image(image, detector, analyzer, config)
    faces = faces_of(detector(image))
    found = run.comparison is not None  # without faces the "output" is the raw image: not shown twice
    return {"name": name, "result": run, "raw": attributes_view.numbered(image, faces),
            "anon": attributes_view.numbered(run.output, faces) if found else None, "video": None, "sample": None}


def _video_run(choice, path: Path, out_dir: Path) -> dict:
    dst = out_dir / "anonymized.mp4"
    total = probe(path).frame_count
    with feedback.Progress("Estimating and anonymizing", total) as bar:
        run = run_video(path, dst, detector, analyzer, config, progress=lambda i: bar.update(i + 1))
    run.audit.write(out_dir / "anonymized-report.json")  # the audit report of `anon video`, for the clip
    raw, anon = compare.frame_pair(path, dst)
    people = None
    if choice.sample_kind == "deboarding":  # exact face boxes of the sample: the same faces on both inputs
        with st.spinner("Reading every passenger's emotion on the raw and on the anonymized clip …"):
            people = {side: attributes_view.passenger_emotions(video, choice.sample.faces, analyzer.estimator)
                      for side, video in (("raw", path), ("anonymized", dst))}
    return {"name": choice.name, "result": run, "raw": raw, "anon": anon, "video": dst,
            "sample": choice.sample_kind, "people": people}


source = f"snap:{snap.file_id}" if snap is not None else (choice.token if choice else None)
sig = results.signature(source, method, config.methods, overlay, face_config.threshold)
state, stale = results.lookup(KEY, sig, source)
if (state is None or stale) and snap is not None:  # photos are quick: settings changes apply at once
    with feedback.guard("the snapshot"):
        state, stale = results.put(KEY, sig, _image_run(image_from_bytes(snap.getvalue()), "snapshot"),
                                   source=source), False
elif (state is None or stale) and choice is not None:
    if not choice.is_video:
        with feedback.guard(choice.name), choice.local_path() as path:
            state, stale = results.put(KEY, sig, _image_run(read_image(path), choice.name), source=source), False
    elif st.button("Analyze clip", type="primary", key=f"{KEY}_go", icon=":material/play_arrow:"):
        out_dir = Path(tempfile.mkdtemp(prefix="attr-", dir=inputs.session_tempdir()))
        with feedback.guard(choice.name, cleanup=out_dir), choice.local_path() as path:
            state = results.put(KEY, sig, _video_run(choice, path, out_dir), folder=out_dir, source=source)
        stale = False

if state is None:
    st.info("Pick a photo or a clip (the **faces** sample cycles through 16 expressions; the **deboarding** "
            "sample shows passengers leaving a gangway), or take a snapshot"
            + (", then press **Analyze clip**." if choice is not None and choice.is_video else "."))
    layout.privacy_note()
    st.stop()

if stale:
    results.stale_note("Analyze clip")
result = state["result"]
cmp = result.comparison
attributes_view.verdict(cmp, method)
if state["anon"] is not None:
    compare.side_by_side(state["raw"], state["anon"], "Raw (faces numbered as in the table below)"
                         if state["video"] is None else "Raw (middle frame; stays on the server)",
                         f"Anonymized · {_method_label(method)}")
if state["video"] is not None:
    st.video(str(state["video"]))
    st.download_button("Download anonymized clip", state["video"].read_bytes(), "anonymized.mp4", "video/mp4",
                       key=f"{KEY}_dl")
    audit = state["video"].with_name("anonymized-report.json")
    st.download_button("JSON audit report", audit.read_bytes(), audit.name, "application/json", key=f"{KEY}_dl_audit",
                       icon=":material/receipt_long:", help="Input and output checksums, models, settings and the "
                       "anonymized faces per frame: the same report as the video page's")
if cmp is None:
    st.warning("No faces found, so there is nothing to compare.")
    layout.privacy_note()
    st.stop()

attributes_view.methods_section(cmp, _method_label)
attributes_view.faces_section(cmp)
if state.get("people"):
    attributes_view.deboarding_section(state["people"])
layout.privacy_note()
