"""How firmly each point belongs to its cluster, for labels.csv.

Where the estimator states it (a mixture's posterior, HDBSCAN's membership strength) that is
the confidence. Otherwise the centroid margin 1 - d1/d2, d1 the distance to the point's own
cluster centroid and d2 to the nearest other centroid: 1 deep inside a cluster, 0 on the
boundary, negative when the point sits nearer another cluster's centre. Noise points get NaN.
"""

from __future__ import annotations

import numpy as np


def centroid_margin(x: np.ndarray, labels: np.ndarray, chunk: int = 65_536) -> np.ndarray:
    out = np.full(labels.shape[0], np.nan)
    ids = np.unique(labels[labels >= 0])
    if ids.size < 2:
        out[labels >= 0] = 1.0
        return out
    centres = np.stack([x[labels == c].mean(axis=0) for c in ids])
    position = np.searchsorted(ids, labels)
    for start in range(0, x.shape[0], chunk):  # bounded memory at a million rows
        stop = min(start + chunk, x.shape[0])
        d = np.sqrt(((x[start:stop, None, :] - centres[None]) ** 2).sum(axis=2))
        lab = labels[start:stop]
        own = d[np.arange(stop - start), np.clip(position[start:stop], 0, ids.size - 1)]
        d[np.arange(stop - start), np.clip(position[start:stop], 0, ids.size - 1)] = np.inf
        other = d.min(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            m = np.where(other > 0, 1.0 - own / other, 0.0)
        out[start:stop] = np.where(lab >= 0, m, np.nan)
    return out


def assignment_confidence(x: np.ndarray | None, labels: np.ndarray, estimator=None) -> tuple[np.ndarray, str]:
    """(confidence per point, what it is)."""
    if estimator is not None and hasattr(estimator, "predict_proba") and x is not None:
        try:
            return np.asarray(estimator.predict_proba(x)).max(axis=1), "posterior probability of the cluster"
        except Exception:  # an estimator whose predict_proba needs more than x: fall back to the margin
            pass
    strength = getattr(estimator, "probabilities_", None)
    if strength is not None and len(strength) == len(labels):
        return np.where(labels >= 0, strength, np.nan), "HDBSCAN membership strength"
    if x is None:
        return np.full(labels.shape[0], np.nan), "none"
    return centroid_margin(np.asarray(x, dtype=np.float64), labels), "centroid margin 1 - d_own / d_next"
