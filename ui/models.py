"""Detectors are loaded once per process and shared read-only; pipelines are built per session / run."""

from __future__ import annotations

import streamlit as st

from anon_core.analytics import FrameAnalyzer
from anon_core.detectors import Detector, ModelUnavailableError, availability, create_detector, detector_info
from anon_core.pipeline import Pipeline, PipelineConfig, detector_options
from ui.layout import missing_model_help


@st.cache_resource(show_spinner="Loading detector …", max_entries=8)
def _cached_detector(name: str, options: tuple) -> Detector:
    return create_detector(name, **dict(options))


def load_detector(name: str, threshold: float | None = None, **options) -> Detector:
    """A detector shared by all sessions (read-only use: detectors keep no per-stream state).
    `options`: what anon_core.pipeline.detector_options makes of a config (input_width, auto_download)."""
    if threshold is not None:
        options["threshold"] = threshold
    return _cached_detector(name, tuple(sorted(options.items())))


def detector_names(config: PipelineConfig) -> dict[str, str]:
    """Detector name per target of the config."""
    names = {"face": config.face_detector, "person": config.person_detector}
    return {t: names[t] for t in config.targets}


def make_pipeline(config: PipelineConfig, analyzers: dict[str, FrameAnalyzer] | None = None) -> Pipeline | None:
    """A new Pipeline (its tracker state belongs to the caller's run), or None after showing what to fix."""
    detectors = {}
    for target, name in detector_names(config).items():
        if target not in detector_info(name).targets:
            st.error(f"**{name}** does not find {target}s; pick another {target} detector in the sidebar.")
            return None
        if availability(name) == "missing":
            st.error(f"Model missing — {missing_model_help(name)}", icon=":material/extension_off:")
            return None
        try:
            detectors[target] = load_detector(name, **detector_options(config, name))
        except ModelUnavailableError as exc:
            st.error(f"Model missing — {exc}", icon=":material/extension_off:")
            return None
        except Exception as exc:  # a broken install must not take the page down
            st.error(f"Could not load **{name}**: {exc}. {missing_model_help(name)}")
            return None
    try:
        return Pipeline(config, detectors=detectors, analyzers=analyzers)
    except ValueError as exc:
        st.error(f"Settings not usable: {exc}")
        return None


def config_signature(pipeline: Pipeline) -> str:
    """A string that changes whenever the pipeline's behaviour would (cache key for results)."""
    import json

    return json.dumps({"config": pipeline.config.to_dict(), "analyzers": sorted(pipeline.analyzers)},
                      sort_keys=True, default=str)
