"""Shared fixtures of the tracking showcase tests: the synthetic industrial scene (generated once into a
temp cache) and YOLOX-Nano loaded once per module from ../shared/models (skips when absent)."""

import pytest
from conftest import isolated_sample


@pytest.fixture(scope="session")
def industrial(tmp_path_factory):
    return isolated_sample(tmp_path_factory, "industrial", seed=0, seconds=6, size=(640, 360))


@pytest.fixture(scope="module")
def yolox_tracking(yolox_nano_path):
    from anon_core.detectors import create_detector
    from showcases.tracking.analysis import TRACK_THRESHOLD

    return create_detector("yolox-nano", path=yolox_nano_path, threshold=TRACK_THRESHOLD)
