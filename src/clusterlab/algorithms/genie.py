"""Genie (`genieclust`) as a registry estimator.

genieclust rejects one-column data ("X is ill-shaped"); a zero column beside it leaves every
distance unchanged and lets it run.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin


class Genie(ClusterMixin, BaseEstimator):
    def __init__(self, n_clusters=2, gini_threshold=0.3, M=0, metric="l2"):
        self.n_clusters = n_clusters
        self.gini_threshold = gini_threshold
        self.M = M
        self.metric = metric

    def fit(self, X, y=None):
        import genieclust

        x = np.asarray(X)
        if self.metric != "precomputed" and x.ndim == 2 and x.shape[1] == 1:
            x = np.hstack([x, np.zeros_like(x)])
        model = genieclust.Genie(n_clusters=self.n_clusters, gini_threshold=self.gini_threshold, M=self.M,
                                 metric=self.metric)
        self.labels_ = np.asarray(model.fit_predict(x), dtype=np.int64)
        return self
