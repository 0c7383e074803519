"""Estimators that grow k by splitting clusters: X-means (BIC) and G-means (Anderson-Darling)."""

from __future__ import annotations

import numpy as np
from scipy import stats
from sklearn.cluster import KMeans

from .base import Context, KEstimator


def _two_means(points: np.ndarray, seed: int) -> KMeans:
    return KMeans(2, n_init=2, random_state=seed).fit(points)


def spherical_bic(x: np.ndarray, labels: np.ndarray, centres: np.ndarray) -> float:
    """BIC of a spherical Gaussian mixture with one shared variance (Pelleg & Moore 2000);
    larger is better."""
    n, d = x.shape
    k = centres.shape[0]
    if n <= k:
        return -np.inf
    sse = float(((x - centres[labels]) ** 2).sum())
    variance = max(sse / (d * (n - k)), 1e-12)
    sizes = np.bincount(labels, minlength=k).astype(float)
    sizes = sizes[sizes > 0]
    loglik = float((sizes * np.log(sizes / n)).sum() - n * d / 2 * np.log(2 * np.pi * variance) - d * (n - k) / 2)
    params = k * (d + 1)
    return loglik - params / 2 * np.log(n)


class XMeans(KEstimator):
    name = "xmeans"
    values = "BIC"
    criterion = "X-means: split clusters whose local BIC improves; the visited k of best global BIC"

    def _estimate(self, ctx: Context):
        x, seed = ctx.x, ctx.seed
        k = ctx.ks[0]
        labels, _, centres = ctx.kmeans(k)
        curve = {}
        while k <= ctx.ks[-1]:
            curve[k] = spherical_bic(x, labels, centres)
            new_centres = []
            for c in range(centres.shape[0]):
                members = x[labels == c]
                if members.shape[0] < 4:
                    new_centres.append(centres[c])
                    continue
                split = _two_means(members, seed)
                parent = spherical_bic(members, np.zeros(members.shape[0], dtype=int), members.mean(axis=0, keepdims=True))
                child = spherical_bic(members, split.labels_, split.cluster_centers_)
                new_centres.extend(split.cluster_centers_ if child > parent else [centres[c]])
            if len(new_centres) == centres.shape[0]:
                break
            k = min(len(new_centres), ctx.ks[-1])
            if k == centres.shape[0]:
                break
            model = KMeans(k, init=np.array(new_centres[:k]), n_init=1, random_state=seed).fit(x)
            labels, centres = model.labels_, model.cluster_centers_
        curve[centres.shape[0]] = spherical_bic(x, labels, centres)
        # Pelleg & Moore report the best-scoring model visited, not the last one: local splits
        # keep improving long after the global BIC has peaked.
        return max(curve, key=lambda k: (curve[k], -k)), curve, ""


class GMeans(KEstimator):
    name = "gmeans"
    values = "splitting round"
    criterion = "G-means: split a cluster while its projection on the split axis fails Anderson-Darling"

    # Hamerly & Elkan's test: the Anderson-Darling statistic with the small-sample correction
    # A*2 = A2 (1 + 4/n - 25/n2), against 1.8692, its critical value at alpha = 0.0001.
    critical = 1.8692

    def _is_gaussian(self, members: np.ndarray, seed: int) -> bool:
        split = _two_means(members, seed)
        axis = split.cluster_centers_[0] - split.cluster_centers_[1]
        norm = float(axis @ axis)
        if norm == 0:
            return True
        projected = members @ axis / norm
        if projected.std() == 0:
            return True
        n = projected.size
        statistic = stats.anderson((projected - projected.mean()) / projected.std(), dist="norm",
                                   method="interpolate").statistic
        return bool(statistic * (1 + 4 / n - 25 / n ** 2) < self.critical)

    def _estimate(self, ctx: Context):
        x, seed = ctx.x, ctx.seed
        k = 1
        labels = np.zeros(x.shape[0], dtype=np.int64)
        centres = x.mean(axis=0, keepdims=True)
        curve = {1: 0.0}
        round_ = 0
        while True:
            round_ += 1
            new_centres = []
            for c in range(centres.shape[0]):
                members = x[labels == c]
                if members.shape[0] < 8 or self._is_gaussian(members, seed):
                    new_centres.append(centres[c])
                else:
                    new_centres.extend(_two_means(members, seed).cluster_centers_)
            if len(new_centres) == centres.shape[0] or len(new_centres) > ctx.ks[-1]:
                break
            k = len(new_centres)
            model = KMeans(k, init=np.array(new_centres), n_init=1, random_state=seed).fit(x)
            labels, centres = model.labels_, model.cluster_centers_
            curve[k] = float(round_)
        k = centres.shape[0]
        note = "" if k >= ctx.ks[0] else f"the data looks like one Gaussian; raised to min_k={ctx.ks[0]}"
        return max(k, ctx.ks[0]), curve, note
