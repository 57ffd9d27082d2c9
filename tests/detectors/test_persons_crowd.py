"""Whole-person anonymization and counting on real crowded 1080p street footage (MOT17-02, 4 frames).

Coverage = share of the pedestrians at least 50 % visible whose box is at least 90 % anonymized;
collateral = share of the pixels outside every annotated person (and distractor) that are
anonymized; count RMSE against the pedestrians at least 50 % visible (README "Persons in crowded
street footage").  Regions as `anon video --targets person` draws them with no --shape/--padding: the
person defaults (box, padding 0.2; anonymize.policy.REGION_DEFAULTS)."""

import cv2
import numpy as np
import pytest

from anon_core.bench.data import load_sequence
from anon_core.detectors import create_detector
from anon_core.detectors.catalog import DEFAULT_PERSON_DETECTOR
from anon_core.metrics import covered_fraction, region_mask
from anon_core.metrics.anonymization import collateral, count_rmse
from anon_core.pipeline import PipelineConfig
from showcases.counting.counts import PersonCounter

DEFAULT = PipelineConfig(targets=("person",))


def _score(detector, seq):
    covered, fractions, counts = [], [], []
    counter = PersonCounter(detector)
    for i, path in enumerate(seq.images):
        frame = cv2.imread(str(path))
        dets = detector(frame)
        persons = dets[dets.labels == "person"]
        region = DEFAULT.region("person")
        mask = region_mask(persons, frame.shape[:2], region["shape"], region["padding"])
        covered.append(covered_fraction(seq.visible[i], mask) >= 0.9)
        fractions.append(collateral(mask, seq.exclude[i]))
        counts.append(len(counter.select(dets)))
    covered = np.concatenate(covered)
    gt = [len(v) for v in seq.visible]
    return covered, float(np.mean(fractions)), count_rmse(counts, gt)


@pytest.fixture(scope="module")
def seq(mot17_02):
    return load_sequence(mot17_02, "person", min_visibility=0.5)


def test_visible_pedestrians_and_exclusions_come_from_the_mot17_columns(seq):
    assert len(seq) == 4
    assert [len(v) for v in seq.visible] == [11, 11, 11, 10]  # 43 of the 88 scored pedestrian boxes
    assert [len(g) for g in seq.gt] == [22, 22, 22, 22]
    # every annotated person (pedestrians, static persons, persons on vehicles; ignored rows too) and
    # the distractors are excluded from collateral: more boxes than the scored ones
    assert all(len(e) > len(g) for e, g in zip(seq.exclude, seq.gt))


def test_default_person_detector_covers_the_crowd(seq, model_dir):
    assert DEFAULT.person_detector == DEFAULT_PERSON_DETECTOR
    assert DEFAULT.region("person") == {"shape": "box", "padding": 0.2}  # faces keep their ellipse 0.3
    assert DEFAULT.region("face") == {"shape": "ellipse", "padding": 0.3}
    covered, coll, rmse = _score(create_detector(DEFAULT.person_detector), seq)
    # measured: 41 of 43 covered (0.953; the one missed is a child half hidden behind a bench and a
    # pram in frames 1 and 4), collateral 2.4 %, count RMSE 0.87 (counts 12, 11, 12, 11)
    assert covered.mean() >= 0.93, f"{covered.sum()}/{covered.size}"
    assert coll <= 0.05
    assert rmse <= 1.5


def test_the_old_default_misses_half_of_them(seq, model_dir):
    covered, _, _ = _score(create_detector("yolox-nano"), seq)
    # measured: 24 of 43 (the fixed 416 px input shrinks 1080p 4.6x; people under ~120 px vanish)
    assert covered.mean() <= 0.65
