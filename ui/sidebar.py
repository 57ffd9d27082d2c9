"""The shared sidebar: every page calls `pipeline_settings()` and gets the same PipelineConfig.

Values are kept in st.session_state["anon_settings"] (a plain dict, not widget state, which Streamlit
drops when a page stops rendering a widget), so they survive page switches within a session.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from anon_core.anonymize import ANONYMIZERS, Policy, PolicyError
from anon_core.detectors import DETECTORS, detector_info
from anon_core.pipeline import PipelineConfig
from ui.controls import zones_and_consent
from ui.layout import detector_badge

STORE = "anon_settings"
WIDGET = "anon_w_"
EVERY_CHOICES = [1, 2, 3, 4, 6, 8, "auto"]
DEFAULTS = {
    "targets": ["face"], "method": "blur", "shape": "per target", "face_detector": "centerface",
    "person_detector": "yolox-nano-hd", "custom_threshold": False, "threshold": 0.4, "detect_every": 1,
    "hold_frames": 8, "custom_padding": False, "padding": 0.2, "policy_name": None, "policy_text": None,
    "strength": 1.0,
}


def detectors_for(target: str) -> list[str]:
    return [n for n in DETECTORS.names() if target in detector_info(n).targets]


def current_settings() -> dict:
    """The persisted sidebar values of this session (defaults filled in)."""
    store = st.session_state.setdefault(STORE, {})
    for k, v in DEFAULTS.items():
        store.setdefault(k, list(v) if isinstance(v, list) else v)
    return store


def _bind(name: str, store: dict, options: list | None = None) -> dict:
    """key/on_change for a widget bound to a persisted setting.

    The widget's state is re-seeded from the store on every run (before the widget exists), and a
    change is copied to the store in on_change, which Streamlit runs before the script: so the value
    survives pages that drop widget state, and user changes are never overwritten."""
    key = WIDGET + name
    if options is not None and store[name] not in options:
        store[name] = DEFAULTS[name] if DEFAULTS[name] in options else options[0]
    st.session_state[key] = store[name]

    def keep() -> None:
        value = st.session_state[key]
        if value is not None:
            store[name] = value
        if name in ("targets", "detect_every"):
            store[f"_touched_{name}"] = True

    return {"key": key, "on_change": keep}


def pipeline_settings(default_targets: list[str] | None = None,
                      allowed_targets: tuple[str, ...] = ("face", "person"),
                      default_every: int | str | None = None) -> PipelineConfig:
    """Render the shared sidebar and return the PipelineConfig it describes.

    default_every: this page's detect-every-N until the user picks one (the webcam page: "auto", its
    best sustainable speed); it is not written to the shared settings, so other pages keep theirs."""
    store = current_settings()
    page_every = default_every if default_every is not None and not store.get("_touched_detect_every") else None
    if default_targets and not store.get("_touched_targets"):
        store["targets"] = [t for t in default_targets if t in allowed_targets]
    with st.sidebar:
        st.header("Anonymization")
        store["targets"] = [t for t in store["targets"] if t in allowed_targets]
        st.multiselect("Targets", list(allowed_targets), format_func=lambda t: f"{t}s",
                       help="What gets anonymized. Everything else stays visible.", **_bind("targets", store))
        if not store["targets"]:
            st.warning("No target picked: faces are anonymized.")
        methods = ANONYMIZERS.names()
        st.selectbox("Method", methods, **_bind("method", store, methods),
                     format_func=lambda m: f"{m} — {ANONYMIZERS.info(m)}" if ANONYMIZERS.info(m) else m)
        shapes = ["per target", "ellipse", "box"]
        st.segmented_control("Region shape", shapes, required=True, **_bind("shape", store, shapes),
                             help="per target: an ellipse around faces, a box around persons")

        _detectors(store, store["targets"])
        every = _bind("detect_every", store, EVERY_CHOICES)
        if page_every is not None:
            st.session_state[every["key"]] = page_every
        st.select_slider("Detect every N frames", EVERY_CHOICES, **every,
                         help="1 = run the detector on every frame. Between runs the tracker carries the "
                              "regions forward; 'auto' adapts to motion.")
        with st.expander("Advanced"):
            st.slider("Hold regions for K frames after the last detection", 0, 30, **_bind("hold_frames", store))
            st.toggle("Custom padding", **_bind("custom_padding", store),
                      help="Off: each target's default (faces 0.3, persons 0.2), as on the command line")
            if store["custom_padding"]:
                st.slider("Padding around regions", 0.0, 0.6, step=0.05, **_bind("padding", store))
            floor = float(getattr(ANONYMIZERS.entry(store["method"]).factory, "MIN_STRENGTH", 0.0)) or 0.1
            store["strength"] = max(float(store["strength"]), floor)
            st.slider("Strength", floor, 3.0, step=0.1, **_bind("strength", store),
                      help=f"1 = default; {store['method']} refuses less than {floor:g} (it would leave faces "
                           "recognisable)")
        _policy_upload(store)
        zones_and_consent(store)
    if page_every is not None:
        return config_from({**store, "detect_every": page_every})
    return config_from(store)


def _detectors(store: dict, targets: list[str], fixed: dict[str, str] | None = None) -> None:
    """The detector per target (a `fixed` one is shown, not offered) and the detection threshold."""
    st.header("Detectors")
    for target, field in (("face", "face_detector"), ("person", "person_detector")):
        if target not in targets:
            continue
        name = (fixed or {}).get(target)
        if name is None:
            names = detectors_for(target)
            st.selectbox(f"{target.capitalize()} detector", names, **_bind(field, store, names))
            name = store[field]
        st.markdown(detector_badge(name))
        st.caption(detector_info(name).description)
    st.toggle("Custom detection threshold", **_bind("custom_threshold", store),
              help="Off: each detector's tuned default. Lower finds more (and more false alarms).")
    if store["custom_threshold"]:
        st.slider("Threshold", 0.05, 0.95, step=0.05, **_bind("threshold", store))


def detection_settings(face_detector: str, note: str) -> PipelineConfig:
    """The shared sidebar's detection part only (same persisted threshold as every page), for a page whose
    own method list replaces the anonymization settings and which needs one particular face detector
    (`note` says why). Returns the PipelineConfig of that detector at the shared threshold and width."""
    store = current_settings()
    with st.sidebar:
        _detectors(store, ["face"], fixed={"face": face_detector})
        st.caption(note)
    return config_from({**store, "targets": ["face"], "face_detector": face_detector, "policy_text": None,
                        "zones": (), "keep_faces": None})


def _policy_upload(store: dict) -> None:
    st.header("Policy file")
    up = st.file_uploader("Per-target rules (YAML or JSON)", type=["yaml", "yml", "json"], key="anon_policy_upload",
                          help="e.g. `face: {method: pixelate}` / `person: {method: blur, shape: box}`. "
                               "Overrides method, shape and padding.")
    text = up.getvalue().decode("utf-8", errors="replace") if up is not None else None
    if text is not None and (up.name, text) != (store["policy_name"], store["policy_text"]):
        try:
            Policy.from_text(text, Path(up.name).suffix)
        except PolicyError as exc:
            st.error(f"Policy not used: {exc}")
        else:
            store.update(policy_name=up.name, policy_text=text)
    if store["policy_name"]:
        st.success(f"Policy **{store['policy_name']}** active")
        if st.button("Remove policy", key="anon_policy_remove"):
            store.update(policy_name=None, policy_text=None)
            st.rerun()


def config_from(store: dict) -> PipelineConfig:
    """PipelineConfig from the persisted values (no widgets: usable in tests and callbacks)."""
    policy = None
    if store.get("policy_text"):
        policy = Policy.from_text(store["policy_text"], Path(store["policy_name"] or "p.yaml").suffix)
    targets = tuple(store["targets"]) or ("face",)
    if policy is not None:
        targets = tuple(t for t in policy.targets if t in ("face", "person")) or targets
    return PipelineConfig(
        targets=targets, face_detector=store["face_detector"], person_detector=store["person_detector"],
        threshold=float(store["threshold"]) if store["custom_threshold"] else None,
        detect_every=store["detect_every"], hold_frames=int(store["hold_frames"]), method=store["method"],
        shape=None if store["shape"] == "per target" else store["shape"],
        padding=float(store["padding"]) if store.get("custom_padding") else None, policy=policy,
        strength=float(store.get("strength", 1.0)),
        zones=tuple(store.get("zones") or ()), keep_faces=store.get("keep_faces"))
