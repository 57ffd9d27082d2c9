"""Fixtures of the batch tests (helpers in batch/helpers.py)."""

from __future__ import annotations

import pytest
from batch.helpers import CLIP, Archive, build_archive
from conftest import isolated_sample


@pytest.fixture(scope="session")
def clip_samples(tmp_path_factory) -> dict:
    return {"clips/c1.mp4": isolated_sample(tmp_path_factory, "webcam", seed=1, **CLIP),
            "clips/nested/c2.mp4": isolated_sample(tmp_path_factory, "webcam", seed=2, **CLIP)}


@pytest.fixture(scope="module")
def archive(tmp_path_factory, clip_samples, people) -> Archive:
    return build_archive(tmp_path_factory.mktemp("archive") / "in", clip_samples, people)
