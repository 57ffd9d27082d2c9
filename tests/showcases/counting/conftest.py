"""Module-scoped counting detector: YOLOX-Nano loaded once from ../shared/models (skips when absent)."""

import pytest

from anon_core.detectors import create_detector
from showcases.counting.counts import PersonCounter


@pytest.fixture(scope="module")
def yolox_counter(yolox_nano_path) -> PersonCounter:
    return PersonCounter(create_detector("yolox-nano", path=yolox_nano_path))
