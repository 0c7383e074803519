"""The 80 % interval of the chosen candidate's ARI, learnt from out-of-sample choices on real
labelled data (`benchmarks/choice.py`): how far the true ARI of a choice fell from what the
judge expected, on datasets the judge had not seen.

Three forms, one chosen by measurement on the development batteries (results/choice-design.md):

- `shift`: expected ARI plus the 10th and 90th percentiles of (true - expected);
- `logit`: the same on the logit of (ARI + 1) / 2, so the interval narrows towards the bound
  of 1 that ARI cannot pass and widens below it;
- `quantile`: linear quantile regressions (10 % and 90 %) of the true ARI on the expected ARI
  and what says how settled a choice is (its agreement with the other candidates, its
  silhouette), so a choice every candidate agrees with gets a narrower interval."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import DataError

METHODS = ("shift", "logit", "quantile")
FEATURES = ("agreement_mean", "silhouette")  # of the chosen candidate, beside its expected ARI
LEVELS = (0.1, 0.9)
_EPS = 1e-3


def _logit(ari):
    u = np.clip((np.asarray(ari, dtype=np.float64) + 1) / 2, _EPS, 1 - _EPS)
    return np.log(u / (1 - u))


def _expit(z):
    return 2 / (1 + np.exp(-np.asarray(z, dtype=np.float64))) - 1


def _design(expected, rows) -> np.ndarray:
    expected = np.atleast_1d(np.asarray(expected, dtype=np.float64))
    cols = [np.nan_to_num(np.array([float(r.get(f, np.nan)) for r in rows]), nan=0.0) for f in FEATURES]
    return np.column_stack([np.ones_like(expected), expected, *cols])


@dataclass
class Calibration:
    method: str
    low: list[float] = field(default_factory=lambda: [-0.2])  # shift/logit: one offset; quantile: coefficients
    high: list[float] = field(default_factory=lambda: [0.2])

    def bounds(self, expected, rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) for each expected ARI, `rows` the candidates' features."""
        expected = np.atleast_1d(np.asarray(expected, dtype=np.float64))
        if self.method == "shift":
            low, high = expected + self.low[0], expected + self.high[0]
        elif self.method == "logit":
            z = _logit(expected)
            low, high = _expit(z + self.low[0]), _expit(z + self.high[0])
        else:
            x = _design(expected, rows)
            low, high = x @ np.asarray(self.low), x @ np.asarray(self.high)
            low, high = np.minimum(low, expected), np.maximum(high, expected)  # the interval holds its centre
        return np.clip(low, -1, 1), np.clip(high, -1, 1)

    def to_dict(self) -> dict:
        return {"method": self.method, "low": list(map(float, self.low)), "high": list(map(float, self.high))}

    @classmethod
    def from_dict(cls, data) -> "Calibration":
        if not isinstance(data, dict) or data.get("method") not in METHODS:
            raise DataError(f"an interval calibration needs a method among {', '.join(METHODS)}, got {data!r}")
        low, high = [float(v) for v in data["low"]], [float(v) for v in data["high"]]
        size = 2 + len(FEATURES) if data["method"] == "quantile" else 1
        if len(low) != size or len(high) != size or not np.isfinite(low + high).all():
            raise DataError(f"an interval calibration of method {data['method']} needs {size} finite numbers "
                            "for each bound")
        return cls(data["method"], low, high)


def fit_calibration(method: str, expected, ari, rows: list[dict]) -> Calibration:
    """The calibration of `method` from out-of-sample choices: their expected and true ARI and features."""
    if method not in METHODS:
        raise DataError(f"method={method!r} is not allowed; choose one of: {', '.join(METHODS)}")
    expected, ari = np.asarray(expected, dtype=np.float64), np.asarray(ari, dtype=np.float64)
    if method == "shift":
        lo, hi = np.quantile(ari - expected, LEVELS)
        return Calibration(method, [float(lo)], [float(hi)])
    if method == "logit":
        lo, hi = np.quantile(_logit(ari) - _logit(expected), LEVELS)
        return Calibration(method, [float(lo)], [float(hi)])
    from sklearn.linear_model import QuantileRegressor

    x = _design(expected, rows)
    fits = [QuantileRegressor(quantile=q, alpha=0.0, fit_intercept=False, solver="highs").fit(x, ari).coef_
            for q in LEVELS]
    return Calibration(method, fits[0].tolist(), fits[1].tolist())
