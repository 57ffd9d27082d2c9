"""Synthetic face replacement: donors, blending, registry, fail-closed; dlib re-identification basics."""

from __future__ import annotations

import numpy as np
import pytest

from anon_core.anonymize import ANONYMIZERS, Policy
from showcases.attributes.dataset import SHEET_TO_FER
from showcases.attributes.emotion_net import FER_LABELS
from showcases.attributes.reid import distances, reid_rate
from showcases.attributes.replacement import FER_TO_SHEET, SyntheticFace


@pytest.fixture(scope="module")
def portraits(labelled_faces):
    return {f.person_id: f for f in labelled_faces if f.asset == "studio_portrait"}


def test_same_person_matches_and_other_people_mostly_do_not(embedder, labelled_faces, portraits):
    selfies = {f.person_id: f for f in labelled_faces if f.asset == "amateur_selfie"}
    ids = sorted(portraits)
    a = np.concatenate([embedder(portraits[p].image, portraits[p].det) for p in ids])
    b = np.concatenate([embedder(selfies[p].image, selfies[p].det) for p in ids])
    assert a.shape == (10, 128)
    same = distances(a, b)
    assert reid_rate(same) >= 0.9  # a person's portrait and selfie are the same identity
    cross = np.linalg.norm(a[:, None] - a[None], axis=2)[~np.eye(10, dtype=bool)]
    assert (cross >= 0.6).mean() >= 0.8
    assert reid_rate(np.array([])) == 0.0


def test_bank_holds_every_person_and_expression(face_bank):
    assert face_bank.people == [f"P{i:03d}" for i in range(1, 11)]
    assert {d.expression for d in face_bank.donors} == set(SHEET_TO_FER)  # 8 FER-mappable expressions
    assert set(FER_TO_SHEET) == set(FER_LABELS) and len(face_bank.donors) == 80
    assert len(face_bank.references) == 10


def test_donor_ranking_matches_sex_and_age_and_never_the_source(face_bank):
    male_old = face_bank.rank_people("male", 60, exclude={"P005"})
    assert "P005" not in male_old
    assert male_old[0] in ("P007", "P008")  # the other men
    female_young = face_bank.rank_people("female", 21, exclude=set())
    assert female_young[0] == "P009"  # the only 18-25 woman


def test_replaces_face_only_and_keeps_input(face_bank, portraits):
    f = portraits["P007"]
    anon = SyntheticFace(bank=face_bank, identity_guard=False)
    row = f.det.with_(data={"sex": np.array(["male"]), "age": np.array([30.0]), "emotion": np.array(["happy"]),
                            "person_id": np.array(["P007"])}, track_ids=np.array([3]))
    before = f.image.copy()
    out = anon.apply(f.image, row)
    np.testing.assert_array_equal(f.image, before)
    assert anon._track_person[3] != "P007"
    x1, y1, x2, y2 = (int(v) for v in row.xyxy[0])
    inner = np.s_[y1 + (y2 - y1) // 4: y2 - (y2 - y1) // 4, x1 + (x2 - x1) // 4: x2 - (x2 - x1) // 4]
    assert np.abs(out[inner].astype(int) - f.image[inner]).mean() > 10
    far = np.s_[:, : max(1, x1 - (x2 - x1))]  # left of the face, beyond the padded region
    np.testing.assert_array_equal(out[far], f.image[far])


def test_registered_and_usable_from_a_policy(face_bank):
    assert "synthetic-face" in ANONYMIZERS.names()
    policy = Policy.from_dict({"face": {"method": "synthetic-face", "identity_guard": False}})
    assert policy.to_dict()["face"]["method"] == "synthetic-face"


def test_fails_closed_when_a_face_cannot_be_replaced(face_bank, portraits):
    f = portraits["P001"]
    anon = SyntheticFace(bank=face_bank, identity_guard=False)
    bad = f.det.with_(landmarks=np.zeros((1, 5, 2), np.float32),  # degenerate: no transform exists
                      data={"sex": np.array(["female"]), "age": np.array([40.0]), "emotion": np.array(["sad"])})
    out = anon.apply(f.image, bad)
    x1, y1, x2, y2 = (int(v) for v in bad.xyxy[0])
    cy, cx = (y1 + y2) // 2, (x1 + x2) // 2
    assert (out[cy - 5: cy + 5, cx - 5: cx + 5] == 0).all()  # filled black, not raw
