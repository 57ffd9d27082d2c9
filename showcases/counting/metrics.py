"""Count accuracy against ground truth: MAE, RMSE, bias, per-frame error and "utility retained".

RMSE, MAE and bias come from anon_core.metrics (the benchmark uses the same definitions); this module
adds the per-frame error series, the raw-versus-anonymized ratio and a JSON-friendly bundle.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from anon_core.metrics import count_bias, count_mae, count_rmse

__all__ = ["CountMetrics", "count_bias", "count_mae", "count_metrics", "count_rmse", "per_frame_error",
           "utility_retained"]


def per_frame_error(pred, gt) -> np.ndarray:
    """Signed error per frame, predicted minus ground truth (positive = over-counting)."""
    pred, gt = np.asarray(pred, np.float64).ravel(), np.asarray(gt, np.float64).ravel()
    if pred.shape != gt.shape:
        raise ValueError(f"count arrays differ in length: {pred.shape} vs {gt.shape}; "
                         "is the ground truth for this video (same number of frames)?")
    return pred - gt


def utility_retained(raw_rmse: float, anon_rmse: float) -> float:
    """Ratio of the anonymized to the raw count RMSE (as defined in the showcase issue).

    1.0 means anonymization did not change counting accuracy; 1.3 means the RMSE grew by 30 %;
    below 1.0 the anonymized frames happened to count better.  When the raw RMSE is 0 the ratio is
    1.0 if the anonymized RMSE is 0 too, else infinity (any error is infinitely worse than none).
    """
    if raw_rmse < 0 or anon_rmse < 0:
        raise ValueError("RMSE values are never negative")
    if raw_rmse == 0:
        return 1.0 if anon_rmse == 0 else math.inf
    return float(anon_rmse / raw_rmse)


@dataclass(frozen=True)
class CountMetrics:
    mae: float
    rmse: float
    bias: float  # mean signed error, positive = over-counting
    frames: int
    exact: float  # share of frames where the count is exactly right

    def to_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def count_metrics(pred, gt) -> CountMetrics:
    """All count errors of one series against ground truth."""
    err = per_frame_error(pred, gt)
    return CountMetrics(mae=count_mae(pred, gt), rmse=count_rmse(pred, gt), bias=count_bias(pred, gt),
                        frames=int(err.size), exact=float(np.mean(err == 0)) if err.size else 1.0)
