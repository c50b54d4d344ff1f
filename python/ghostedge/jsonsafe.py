"""JSON has no NaN: the one place where numbers become JSON-able (NaN / inf -> None)."""

from __future__ import annotations

import math

import numpy as np


def finite_or_none(value, ndigits: int | None = None):
    """A float rounded to ``ndigits`` (None: as is), or None when NaN / infinite / None."""
    if value is None:
        return None
    v = float(value)
    if not math.isfinite(v):
        return None
    return v if ndigits is None else round(v, ndigits)


def rounded_list(a, ndigits: int = 4) -> list:
    """Nested lists of an array, rounded, with NaN / inf -> None."""
    r = np.round(np.asarray(a, dtype=np.float64), ndigits)
    out = r.astype(object)
    out[~np.isfinite(r)] = None
    return out.tolist()


def json_safe(value, ndigits: int | None = 4):
    """Recursively JSON-able: numpy scalars and arrays to Python, NaN / inf to None, dict keys to
    str, floats rounded to ``ndigits`` (None: not rounded)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v, ndigits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v, ndigits) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist(), ndigits)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return finite_or_none(value, ndigits)
    return value
