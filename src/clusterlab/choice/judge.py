"""The judge of partitions: a linear model of a candidate's ARI from its label-free features
(`features.FEATURES`), fitted on the real labelled datasets (`benchmarks/choice.py`) and shipped
as plain JSON (`judge.json`): the imputation medians, the standardisation, the coefficients,
and the calibration of the 80 % interval of the chosen candidate's ARI, learnt out of sample
(`calibration.py`).

The linear family was chosen on the development batteries before the rest was scored (see
results/choice.md); a candidate's score is comparable within its dataset, which is how it is
used: the best-scored candidate is the choice."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DataError
from .calibration import Calibration
from .features import FEATURES

SHIPPED = Path(__file__).parent / "judge.json"
RIDGE_ALPHA = 1.0


@dataclass
class Judge:
    features: list[str]
    medians: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    calibration: Calibration = field(default_factory=lambda: Calibration("shift"))  # the 80 % interval
    trained_on: str = ""
    margin: float = 0.02  # `choose` prefers the fewest clusters within this much of the best expected ARI
    min_share: float = 0.01  # and passes over partitions with a cluster smaller than this share of rows
    coverage: float | None = None  # how often the interval held on held-out real datasets (results/choice.md)

    def pick(self, scores: np.ndarray, ks, smallest) -> int:
        return choose(scores, np.asarray(ks), self.margin, np.asarray(smallest), self.min_share)

    def matrix(self, rows: list[dict]) -> np.ndarray:
        return np.array([[float(r.get(f, np.nan)) for f in self.features] for r in rows], dtype=np.float64)

    def score(self, rows: list[dict] | np.ndarray) -> np.ndarray:
        """Expected ARI of each candidate."""
        x = rows if isinstance(rows, np.ndarray) else self.matrix(rows)
        x = np.where(np.isfinite(x), x, self.medians)
        return ((x - self.mean) / self.scale) @ self.coef + self.intercept

    def bounds(self, expected: float, features: dict | None = None) -> tuple[float, float]:
        """The 80 % interval of a candidate's ARI from its expected ARI and its features."""
        low, high = self.calibration.bounds(expected, [features or {}])
        return float(low[0]), float(high[0])

    def to_dict(self) -> dict:
        return {"model": "ridge", "features": self.features, "medians": self.medians.tolist(),
                "mean": self.mean.tolist(), "scale": self.scale.tolist(), "coef": self.coef.tolist(),
                "intercept": self.intercept, "calibration": self.calibration.to_dict(), "trained_on": self.trained_on,
                "margin": self.margin, "min_share": self.min_share, "coverage": self.coverage}

    def save(self, path: str | Path) -> Path:
        from ..files import write_json_atomic

        return write_json_atomic(path, self.to_dict())

    @classmethod
    def load(cls, path: str | Path | None = None) -> "Judge":
        from ..checkpoints import read_json

        path = Path(path) if path is not None else SHIPPED
        data = read_json(path, "judge of partitions")
        try:
            names = [str(f) for f in data["features"]]
            arrays = [np.asarray(data[k], dtype=np.float64) for k in ("medians", "mean", "scale", "coef")]
            calibration = (Calibration.from_dict(data["calibration"]) if "calibration" in data else
                           Calibration("shift", [float(data["interval"][0])], [float(data["interval"][1])]))
            judge = cls(names, *arrays, float(data["intercept"]), calibration, str(data.get("trained_on", "")), float(data.get("margin", 0.0)),
                        float(data.get("min_share", 0.0)),
                        None if data.get("coverage") is None else float(data["coverage"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{path} is not a judge of partitions ({type(exc).__name__}: {exc})") from None
        if any(a.shape != (len(names),) for a in arrays):
            raise DataError(f"{path} is not a judge of partitions: its arrays do not match its {len(names)} features")
        if not all(np.isfinite(a).all() for a in arrays) or not np.isfinite(judge.intercept):
            raise DataError(f"{path} holds NaN or infinite numbers; the judge cannot score anything")
        unknown = set(names) - set(FEATURES)
        if unknown:
            raise DataError(f"{path} reads features this clusterlab does not compute: {', '.join(sorted(unknown))}")
        return judge


def fit_judge(x: np.ndarray, ari: np.ndarray, features=FEATURES, alpha: float = RIDGE_ALPHA,
              calibration: Calibration | None = None, trained_on: str = "", margin: float = 0.02,
              min_share: float = 0.01) -> Judge:
    """Ridge regression of ARI on the standardised features (blanks take the column's median)."""
    x = np.asarray(x, dtype=np.float64)
    medians = np.nanmedian(np.where(np.isfinite(x), x, np.nan), axis=0)
    medians = np.where(np.isfinite(medians), medians, 0.0)
    filled = np.where(np.isfinite(x), x, medians)
    mean, scale = filled.mean(axis=0), filled.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    z = (filled - mean) / scale
    y = np.asarray(ari, dtype=np.float64)
    intercept = y.mean()
    coef = np.linalg.solve(z.T @ z + alpha * np.eye(z.shape[1]), z.T @ (y - intercept))
    return Judge(list(features), medians, mean, scale, coef, float(intercept), calibration or Calibration("shift"),
                 trained_on, margin, min_share)


def choose(scores: np.ndarray, ks: np.ndarray, margin: float, smallest: np.ndarray | None = None,
           min_share: float = 0.0) -> int:
    """The index of the choice among a dataset's candidates. Candidates of fewer than two
    clusters, then those whose smallest cluster holds under `min_share` of the rows, are passed
    over (where any other is left); of the rest,
    among those whose expected ARI is within `margin` of the best, the one with the fewest
    clusters (then the best scored). ARI barely moves when a partition splits off clusters of a
    point or two, so the judge expects about as much of the true partition with a few
    singletons as of the true partition itself; the one without them is what a user can read."""
    scores = np.asarray(scores, dtype=np.float64)
    ks = np.asarray(ks)
    pool = np.flatnonzero(ks >= 2)  # fewer than two clusters (all noise, or one group) partition nothing
    pool = pool if pool.size else np.arange(scores.size)
    if smallest is not None and min_share > 0:
        readable = pool[np.asarray(smallest)[pool] >= min_share]
        pool = readable if readable.size else pool
    near = pool[scores[pool] >= scores[pool].max() - margin]
    return int(min(near, key=lambda i: (ks[i], -scores[i])))
