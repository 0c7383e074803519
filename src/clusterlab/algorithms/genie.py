"""Genie (`genieclust`) as a registry estimator.

genieclust rejects one-column data ("X is ill-shaped"); a zero column beside it leaves every
distance unchanged and lets it run.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin


def _fit_input(x: np.ndarray, metric: str) -> np.ndarray:
    x = np.asarray(x)
    if metric != "precomputed" and x.ndim == 2 and x.shape[1] == 1:
        x = np.hstack([x, np.zeros_like(x)])
    return np.ascontiguousarray(x)


def genie_partitions(x: np.ndarray, max_k: int, gini_threshold: float = 0.3) -> np.ndarray:
    """Genie partitions for every k = 1..max_k from one fit: row k - 1 holds the k-partition."""
    import genieclust

    model = genieclust.Genie(n_clusters=max_k, gini_threshold=gini_threshold, coarser=True)
    model.fit(_fit_input(x, "l2"))
    return np.asarray(model.labels_matrix_, dtype=np.int64)


class Genie(ClusterMixin, BaseEstimator):
    def __init__(self, n_clusters=2, gini_threshold=0.3, M=0, metric="l2"):
        self.n_clusters = n_clusters
        self.gini_threshold = gini_threshold
        self.M = M
        self.metric = metric

    def fit(self, X, y=None):
        import genieclust

        model = genieclust.Genie(n_clusters=self.n_clusters, gini_threshold=self.gini_threshold, M=self.M,
                                 metric=self.metric)
        self.labels_ = np.asarray(model.fit_predict(_fit_input(X, self.metric)), dtype=np.int64)
        return self
