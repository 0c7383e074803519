"""The baselines the recommender is measured against, used only by the benchmarks.

Selection by a cluster validity index: run every candidate (algorithm, k) of a grid, score
each partition with an internal index, keep the best. The classic baseline of algorithm
recommendation, and the protocol by which ClustRecNet picks k on real data (a sweep of k
maximising Calinski-Harabasz). Partitions with fewer than two clusters (after noise points are
set aside) cannot be scored and never win.

`MetaKNN`, "in the manner of AutoCluster": the training datasets nearest in meta-feature space
(`clusterlab.recommend.metafeatures`) vote with the mean ARI each algorithm reached on them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clusterlab.algorithms import REGISTRY, fit_predict
from clusterlab.errors import ClusterlabError
from clusterlab.metrics import GREATER_IS_BETTER, INTERNAL

INDICES = ("silhouette", "calinski_harabasz", "davies_bouldin", "dunn")


@dataclass
class Candidate:
    algorithm: str
    k: int | None  # None: the algorithm found its own number of clusters
    labels: np.ndarray
    scores: dict


def run_grid(x: np.ndarray, algorithms, ks, seed: int = 0, indices=INDICES) -> list[Candidate]:
    """Every algorithm at every k of `ks` (those that take k) or at its defaults, each partition
    scored by every index. Refusals (too large) and failures are skipped."""
    out = []
    for name in algorithms:
        for k in (ks if REGISTRY[name].needs_k else [None]):
            if k is not None and k >= x.shape[0]:
                continue
            try:
                labels = fit_predict(name, x, k, seed=seed).labels
            except ClusterlabError:
                continue
            out.append(Candidate(name, k, labels, score_partition(x, labels, indices, seed)))
    return out


def score_partition(x: np.ndarray, labels: np.ndarray, indices=INDICES, seed: int = 0) -> dict:
    keep = labels >= 0
    if np.unique(labels[keep]).size < 2 or np.unique(labels[keep]).size >= keep.sum():
        return {i: np.nan for i in indices}
    scores = {}
    for i in indices:
        fn = INTERNAL[i]
        try:
            with np.errstate(all="ignore"):
                scores[i] = float(fn(x, labels, seed=seed) if i in ("silhouette", "dunn") else fn(x, labels))
        except ValueError:
            scores[i] = np.nan
    return scores


def best(candidates: list[Candidate], index: str) -> Candidate | None:
    """The candidate the index prefers (None when no partition could be scored)."""
    sign = 1.0 if GREATER_IS_BETTER[index] else -1.0
    scored = [(sign * c.scores[index], i) for i, c in enumerate(candidates) if np.isfinite(c.scores.get(index, np.nan))]
    return candidates[max(scored)[1]] if scored else None


def best_k(x: np.ndarray, algorithm: str, ks, index: str = "calinski_harabasz", seed: int = 0) -> int | None:
    """ClustRecNet's protocol for k on real data: the k of `ks` whose partition by `algorithm`
    the index prefers (None for algorithms that do not take k)."""
    if not REGISTRY[algorithm].needs_k:
        return None
    chosen = best(run_grid(x, [algorithm], ks, seed, indices=(index,)), index)
    return chosen.k if chosen else None


class MetaKNN:
    """Recommend by the mean ARI of each algorithm on the `n_neighbors` nearest training datasets."""

    def __init__(self, n_neighbors: int = 10):
        self.n_neighbors = n_neighbors

    def fit(self, features: np.ndarray, ari: np.ndarray, algorithms: tuple[str, ...]) -> "MetaKNN":
        from sklearn.neighbors import NearestNeighbors
        from sklearn.preprocessing import StandardScaler

        self.scaler = StandardScaler().fit(features)
        self.index = NearestNeighbors(n_neighbors=min(self.n_neighbors, len(features))).fit(
            self.scaler.transform(features))
        self.ari = np.nan_to_num(ari, nan=0.0)
        self.algorithms = tuple(algorithms)
        return self

    def scores(self, features: np.ndarray) -> np.ndarray:
        """Expected ARI of every algorithm, one row per dataset."""
        idx = self.index.kneighbors(self.scaler.transform(np.atleast_2d(features)), return_distance=False)
        return self.ari[idx].mean(axis=1)

    def rank(self, features: np.ndarray) -> list[tuple[str, float]]:
        s = self.scores(features)[0]
        return [(self.algorithms[i], float(s[i])) for i in np.argsort(-s, kind="stable")]
