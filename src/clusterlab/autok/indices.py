"""Estimators that read k off an index computed on a k-means sweep."""

from __future__ import annotations

import numpy as np
from ..algorithms.defaults import knee_index
from ..metrics import calinski_harabasz, davies_bouldin, silhouette
from .base import Context, KEstimator, best_of


class _Sweep(KEstimator):
    greater = True

    def score(self, ctx: Context, labels: np.ndarray, inertia: float) -> float:
        raise NotImplementedError

    def _estimate(self, ctx: Context):
        curve = {}
        for k in ctx.ks:
            labels, inertia, _ = ctx.kmeans(k)
            curve[k] = self.score(ctx, labels, inertia) if np.unique(labels).size > 1 else np.nan
        return best_of(curve, self.greater), curve, ""


class Silhouette(_Sweep):
    name = "silhouette"
    values = "mean silhouette"
    criterion = "mean silhouette of k-means partitions; largest wins"

    def score(self, ctx, labels, inertia):
        return silhouette(ctx.x, labels, sample_size=None)


class CalinskiHarabasz(_Sweep):
    name = "calinski_harabasz"
    values = "Calinski-Harabasz"
    criterion = "Calinski-Harabasz index of k-means partitions; largest wins"

    def score(self, ctx, labels, inertia):
        return calinski_harabasz(ctx.x, labels)


class DaviesBouldin(_Sweep):
    name = "davies_bouldin"
    values = "Davies-Bouldin"
    criterion = "Davies-Bouldin index of k-means partitions; smallest wins"
    greater = False

    def score(self, ctx, labels, inertia):
        return davies_bouldin(ctx.x, labels)


class Elbow(KEstimator):
    name = "elbow"
    values = "inertia"
    criterion = "k-means inertia; k at the knee of the curve (k = 1 included)"

    def _estimate(self, ctx: Context):
        x = ctx.x
        ks = [1, *ctx.ks] if ctx.ks[0] == 2 else list(ctx.ks)
        curve = {k: (float(((x - x.mean(axis=0)) ** 2).sum()) if k == 1 else ctx.kmeans(k)[1]) for k in ks}
        values = np.array([curve[k] for k in ks])
        k = ks[knee_index(values)]
        return max(k, ctx.ks[0]), curve, ""
