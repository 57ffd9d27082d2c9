"""Shared fixtures of the tracking showcase tests: the synthetic industrial scene (generated once into a
temp cache) and YOLOX-Nano loaded once per module from ../shared/models (skips when absent)."""

import pytest


@pytest.fixture(scope="session")
def industrial(tmp_path_factory):
    from anon_core.synth import ensure_sample

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANON_CACHE_DIR", str(tmp_path_factory.mktemp("synth-cache")))
        return ensure_sample("industrial", seed=0, seconds=6, size=(640, 360))


@pytest.fixture(scope="module")
def yolox_tracking(yolox_nano_path):
    from anon_core.detectors import create_detector
    from showcases.tracking.analysis import TRACK_THRESHOLD

    return create_detector("yolox-nano", path=yolox_nano_path, threshold=TRACK_THRESHOLD)
