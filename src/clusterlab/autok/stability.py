"""Prediction strength (Tibshirani & Walther 2005): a stability-based estimate."""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans

from .base import Context, KEstimator


def prediction_strength(train: np.ndarray, test: np.ndarray, k: int, seed: int) -> float:
    """Worst test cluster's share of within-cluster pairs that the training centres also keep
    together."""
    centres = KMeans(k, n_init=2, random_state=seed).fit(train).cluster_centers_
    test_labels = KMeans(k, n_init=2, random_state=seed).fit_predict(test)
    predicted = ((test[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    worst = 1.0
    for c in range(k):
        members = predicted[test_labels == c]
        m = members.size
        if m < 2:
            continue
        counts = np.bincount(members)
        together = float((counts * (counts - 1)).sum()) / (m * (m - 1))
        worst = min(worst, together)
    return worst


class PredictionStrength(KEstimator):
    name = "prediction_strength"
    values = "prediction strength"
    criterion = "prediction strength over random halves; the largest k with strength >= threshold"

    def __init__(self, threshold: float = 0.8, repeats: int = 3):
        self.threshold = threshold
        self.repeats = repeats

    def _estimate(self, ctx: Context):
        rng = np.random.default_rng(ctx.seed)
        n = ctx.x.shape[0]
        curve = {}
        for k in ctx.ks:
            if 2 * k > n // 2:
                break
            scores = []
            for r in range(self.repeats):
                order = rng.permutation(n)
                half = n // 2
                scores.append(prediction_strength(ctx.x[order[:half]], ctx.x[order[half:]], k, ctx.seed + r))
            curve[k] = float(np.mean(scores))
        strong = [k for k, v in curve.items() if v >= self.threshold]
        if not strong:
            return ctx.ks[0], curve, f"no k reached strength {self.threshold}; the data may hold one cluster"
        return max(strong), curve, ""


class GenieStability(KEstimator):
    """Stability of Genie partitions (Gagolewski's MST-based linkage, Gini threshold 0.3).

    Genie clusters several pairs of random 70 % subsamples, each once for every k at the same
    time (its hierarchy yields all coarser partitions); for each k the partitions of a pair are
    compared (ARI) on the points they share. k is the largest whose mean agreement reaches
    `threshold`: an extra split that is not in the data lands somewhere different in each
    subsample. Genie follows non-convex shapes and shrugs off outliers, which k-means-based
    criteria cannot. Every k of the range is scored: on nested structure (seven blobs that
    merge ambiguously into fewer) agreement dips at small k and returns at the true one.

    The threshold is strict because splitting a handful of outliers off a cluster, the same
    way in every subsample, barely moves the ARI (0.94 on four clean blobs).
    """

    name = "genie_stability"
    values = "agreement (ARI)"
    criterion = "Genie on pairs of 70 % subsamples; the largest k whose partitions agree (ARI) >= 0.95"

    def __init__(self, threshold: float = 0.95, pairs: int = 4, share: float = 0.7):
        self.threshold = threshold
        self.pairs = pairs
        self.share = share

    def _estimate(self, ctx: Context):
        from sklearn.metrics import adjusted_rand_score

        from ..algorithms.genie import genie_partitions

        rng = np.random.default_rng(ctx.seed)
        n = ctx.x.shape[0]
        m = max(3, int(self.share * n))
        top = min(ctx.ks[-1], m - 1)
        ks = [k for k in ctx.ks if k <= top]
        agreement: dict[int, list[float]] = {k: [] for k in ks}
        for _ in range(self.pairs):
            a = np.sort(rng.choice(n, m, replace=False))
            b = np.sort(rng.choice(n, m, replace=False))
            pa, pb = genie_partitions(ctx.x[a], top), genie_partitions(ctx.x[b], top)
            _, ia, ib = np.intersect1d(a, b, return_indices=True)
            for k in ks:
                agreement[k].append(adjusted_rand_score(pa[k - 1][ia], pb[k - 1][ib]))
        curve = {k: float(np.mean(v)) for k, v in agreement.items()}
        stable = [k for k, v in curve.items() if v >= self.threshold]
        if not stable:
            # As with prediction strength: no stable split means no structure it can see, and
            # the smallest k allowed is the nearest answer to "one cluster".
            return ctx.ks[0], curve, f"no k reached agreement {self.threshold}; the data may hold one cluster"
        return max(stable), curve, ""
