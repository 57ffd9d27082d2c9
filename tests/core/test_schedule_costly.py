"""`--detect-every auto` with costly whole-frame person detectors (yolox-*-hd, -tiled): the tracker
carries people between detector runs even in a crowd, where some track is always new."""

import numpy as np

from anon_core.detections import Detections
from anon_core.pipeline import Pipeline, PipelineConfig
from anon_core.schedule import DetectionSchedule


def crowd_tracks(n=20, fast=0, unconfirmed=1, height=100.0):
    """n detected tracks 100 px tall moving 3 px/frame (3 % of their height), `fast` of them 40 px/frame
    (a noisy fresh track or an id swap), `unconfirmed` of them with id -1."""
    x = np.arange(n, dtype=np.float32) * 60
    xyxy = np.stack([x, np.zeros(n), x + 40, np.full(n, height)], 1)
    speed = np.full(n, 3.0, np.float32)
    speed[:fast] = 40.0
    ids = np.arange(n)
    ids[n - unconfirmed:] = -1
    return Detections(xyxy, np.full(n, 0.8), "person", track_ids=ids, origin=np.full(n, "detected"),
                      data={"speed": speed})


def test_default_auto_confirms_new_tracks_and_follows_the_fastest():
    s = DetectionSchedule("auto")
    s.detected(0, crowd_tracks(unconfirmed=1))
    assert s.current_every == 1
    s.detected(1, crowd_tracks(unconfirmed=0, fast=1))
    assert s.current_every == 1  # 40 px/frame on a 100 px box: detect every frame


def test_costly_auto_lets_the_tracker_carry_a_crowd():
    s = DetectionSchedule("auto", confirm_new=False)
    s.detected(0, crowd_tracks(unconfirmed=1))
    assert s.current_every == 8  # 3 % of the height per frame: 0.25 / 0.03 -> 8 (the maximum)
    s.detected(8, crowd_tracks(unconfirmed=2, fast=1))  # one outlier among 20 does not pin N
    assert s.current_every == 8
    s.detected(16, crowd_tracks(unconfirmed=0, fast=5))  # a quarter of the crowd moving fast does
    assert s.current_every == 1


class Costly:
    """A whole-frame person detector flagged costly, like yolox-nano-hd."""

    costly = True

    def __call__(self, frame):
        return Detections(np.array([[10, 10, 50, 130]], np.float32), np.array([0.9]), "person")


def test_pipeline_turns_confirmation_runs_off_only_for_costly_detectors():
    config = PipelineConfig(targets=("person",), detect_every="auto")
    assert not Pipeline(config, detectors={"person": Costly()}).schedule.confirm_new
    plain = Costly()
    plain.costly = False
    assert Pipeline(config, detectors={"person": plain}).schedule.confirm_new


def test_costly_detectors_honour_an_uncertain_region_request_only_after_a_gap():
    from anon_core.schedule import COSTLY_REQUEST_GAP

    frame = np.zeros((120, 160, 3), np.uint8)
    for confirm_new, first_honoured in ((True, 1), (False, COSTLY_REQUEST_GAP)):
        s = DetectionSchedule("auto", confirm_new=confirm_new)
        assert s.decide(0, frame, None) == "full"
        s.detected(0, crowd_tracks(unconfirmed=0))  # N = 8 (slow walkers): no run before frame 8
        runs = []
        for index in range(1, 8):
            s.request(index - 1)  # the region became too uncertain while drawing the previous frame
            if s.decide(index, frame, crowd_tracks(unconfirmed=0)):
                runs.append(index)
                break
        assert runs == [first_honoured]
