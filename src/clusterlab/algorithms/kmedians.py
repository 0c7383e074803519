"""k-medians: Lloyd iterations under the L1 distance with coordinate-wise medians.

No maintained Python library offers it (scikit-learn has none), so it lives here, small.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils import check_random_state


def _l1_to_centres(x: np.ndarray, centres: np.ndarray, block: int = 4096) -> np.ndarray:
    out = np.empty((x.shape[0], centres.shape[0]))
    for start in range(0, x.shape[0], block):
        out[start:start + block] = cdist(x[start:start + block], centres, metric="cityblock")
    return out


class KMedians(ClusterMixin, BaseEstimator):
    def __init__(self, n_clusters: int = 8, n_init: int = 5, max_iter: int = 100, tol: float = 1e-6,
                 random_state=None):
        self.n_clusters = n_clusters
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _init(self, x: np.ndarray, rng) -> np.ndarray:
        # k-means++ seeding under L1: each new centre drawn with probability proportional
        # to its distance from the nearest centre chosen so far.
        centres = [x[rng.integers(x.shape[0])]]
        nearest = _l1_to_centres(x, np.array(centres))[:, 0]
        for _ in range(1, self.n_clusters):
            total = nearest.sum()
            idx = rng.integers(x.shape[0]) if total == 0 else rng.choice(x.shape[0], p=nearest / total)
            centres.append(x[idx])
            nearest = np.minimum(nearest, _l1_to_centres(x, x[idx:idx + 1])[:, 0])
        return np.array(centres)

    def _run(self, x: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray, float]:
        centres = self._init(x, rng)
        labels = np.zeros(x.shape[0], dtype=np.int64)
        cost = np.inf
        for _ in range(self.max_iter):
            d = _l1_to_centres(x, centres)
            labels = d.argmin(axis=1)
            new_cost = float(d[np.arange(x.shape[0]), labels].sum())
            for c in range(self.n_clusters):
                members = x[labels == c]
                if members.size:
                    centres[c] = np.median(members, axis=0)
                else:  # an emptied cluster restarts at the point worst served
                    centres[c] = x[d[np.arange(x.shape[0]), labels].argmax()]
            if cost - new_cost <= self.tol * max(abs(cost), 1e-12):
                cost = new_cost
                break
            cost = new_cost
        return centres, labels, cost

    def fit(self, X, y=None):
        x = np.asarray(X, dtype=np.float64)
        rng = np.random.default_rng(check_random_state(self.random_state).randint(2**31))
        best = None
        for _ in range(self.n_init):
            run = self._run(x, rng)
            if best is None or run[2] < best[2]:
                best = run
        self.cluster_centers_ = best[0]
        # The last update moved the medians after the rows were assigned: assign them once more,
        # so that labels_ is what predict gives for the same rows.
        d = _l1_to_centres(x, self.cluster_centers_)
        self.labels_ = d.argmin(axis=1)
        self.inertia_ = float(d[np.arange(x.shape[0]), self.labels_].sum())
        return self

    def predict(self, X):
        return _l1_to_centres(np.asarray(X, dtype=np.float64), self.cluster_centers_).argmin(axis=1)
