"""Count metrics and smoothing on hand-computed series."""

import math

import numpy as np
import pytest

from showcases.counting.counts import RunningSmoother, smooth_counts
from showcases.counting.metrics import count_metrics, per_frame_error, utility_retained


def test_count_metrics_match_hand_computed_values():
    pred, gt = [5, 6, 4, 5], [5, 5, 5, 7]
    m = count_metrics(pred, gt)
    # errors 0, +1, -1, -2
    assert m.mae == pytest.approx(1.0)
    assert m.rmse == pytest.approx(math.sqrt(6 / 4))
    assert m.bias == pytest.approx(-0.5)
    assert m.exact == pytest.approx(0.25)
    assert per_frame_error(pred, gt).tolist() == [0, 1, -1, -2]


def test_per_frame_error_rejects_series_of_different_length():
    with pytest.raises(ValueError, match="same number of frames"):
        per_frame_error([1, 2, 3], [1, 2])


def test_utility_retained_is_anonymized_over_raw_rmse():
    assert utility_retained(2.0, 2.5) == pytest.approx(1.25)
    assert utility_retained(0.0, 0.0) == 1.0
    assert utility_retained(0.0, 0.3) == math.inf
    with pytest.raises(ValueError):
        utility_retained(-1.0, 1.0)


def test_median_smoothing_removes_single_frame_spikes_and_keeps_steps():
    counts = np.array([4, 4, 9, 4, 4, 5, 5, 5, 5, 0, 5, 5])
    out = smooth_counts(counts, "median", 3)
    assert out.tolist() == [4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5]


@pytest.mark.parametrize("method", ["median", "ema", "none"])
def test_running_smoother_equals_causal_offline_smoothing(method):
    rng = np.random.default_rng(3)
    counts = rng.integers(0, 8, 40)
    live = RunningSmoother(method, 5)
    online = [live.update(c) for c in counts]
    np.testing.assert_allclose(online, smooth_counts(counts, method, 5, causal=True))


def test_ema_follows_a_step_with_the_expected_lag():
    out = smooth_counts([0] * 5 + [10] * 30, "ema", 9)
    alpha = 2 / 10
    assert out[4] == 0
    assert out[5] == pytest.approx(10 * alpha)
    assert out[-1] == pytest.approx(10 * (1 - (1 - alpha) ** 30))


def test_unknown_smoothing_is_rejected_with_the_choices():
    with pytest.raises(ValueError, match="median"):
        smooth_counts([1, 2], "mean", 3)
