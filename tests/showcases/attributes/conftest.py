"""Models and labelled openpeople faces, loaded once for the attribute tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def face_detector():
    from anon_core.detectors.catalog import create_detector

    return create_detector("centerface", input_width=640)  # the figures in the README were measured at 640 px


@pytest.fixture(scope="session")
def labelled_faces(people, face_detector):
    """All openpeople faces: 10 studio portraits, 10 selfies, 160 emotion-sheet cells (max side 1600 px)."""
    from showcases.attributes.dataset import openpeople_faces

    return openpeople_faces(face_detector, people=people)


@pytest.fixture(scope="session")
def sheet_faces(labelled_faces):
    return [f for f in labelled_faces if f.asset == "emotions_sheet"]


@pytest.fixture(scope="session")
def estimator():
    from showcases.attributes.estimators import AttributeEstimator

    return AttributeEstimator()


@pytest.fixture(scope="session")
def embedder():
    from showcases.attributes.reid import FaceEmbedder

    return FaceEmbedder()


@pytest.fixture(scope="session")
def face_bank(people, face_detector, embedder):
    from showcases.attributes.replacement import FaceBank

    return FaceBank.build(face_detector, people=people, embedder=embedder)

