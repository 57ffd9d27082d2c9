"""Recall of the speed mode from per-frame regions, and deface's regions from its own detector."""

import json

import cv2
import numpy as np
import pytest
from conftest import load_person_image

from anon_core.bench.methods import deface_regions
from anon_core.bench.speed import face_recall
from anon_core.detections import Detections
from anon_core.metrics import covered_fraction, region_mask


def _faces_jsonl(path, rows):
    path.write_text("".join(json.dumps({"frame": f, "track_id": t, "box": b, "identity": None, "sex": None,
                                        "age_range": None, "emotion": None, "visibility": 1.0}) + "\n"
                            for f, t, b in rows))
    return path


def test_face_recall_counts_faces_covered_by_the_drawn_regions(tmp_path):
    faces = _faces_jsonl(tmp_path / "faces.jsonl", [(1, 1, [10, 10, 40, 40]), (1, 2, [100, 10, 40, 40]),
                                                    (2, 1, [12, 10, 40, 40])])
    regions = [Detections([[10, 10, 50, 50]], [1.0], "face"),  # face 1 covered, face 2 missed
               Detections([[14, 12, 50, 50]], [1.0], "face")]  # 36x38 of 40x40 = 85.5 % < 90 %
    r = face_recall(regions, faces, (200, 100), "box", 0.0)
    assert r["recall90"] == pytest.approx(1 / 3) and r["faces"] == 3 and r["frames_scored"] == 2
    # an ellipse inscribed in the face box leaves the corners: ~78.5 % covered, so padding decides
    assert face_recall(regions[:1], faces, (200, 100), "ellipse", 0.0)["recall90"] == 0
    assert face_recall(regions[:1], faces, (200, 100), "ellipse", 0.4)["recall90"] == pytest.approx(0.5)


def test_deface_regions_cover_a_real_face(people):
    frame = cv2.resize(load_person_image(people[0], "studio_portrait", max_side=900), None, fx=0.7, fy=0.7)
    [regions] = deface_regions([frame])
    assert len(regions) >= 1
    from anon_core.detectors.centerface import CenterFace

    ours = CenterFace()(frame)
    mask = region_mask(regions, frame.shape[:2], "ellipse")
    # deface's 1.3 mask scale grows each box side by 30 %: our detection of the same face lies inside
    assert covered_fraction(ours.xyxy[:1], mask)[0] > 0.9
    assert np.all(regions.area[:1] > ours.area[:1] * 1.5)
