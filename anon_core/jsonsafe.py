"""One cleaner for strict JSON (reports, bench results, showcase figures): NaN and infinite floats
become null, numpy scalars and arrays become Python numbers and lists, tuples become lists."""

from __future__ import annotations

import math

import numpy as np


def json_safe(value):
    """A copy of nested dicts/lists fit for strict JSON (json.dumps(..., allow_nan=False) accepts it)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value
