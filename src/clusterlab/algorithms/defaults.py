"""Data-driven parameters for algorithms that do not take k.

A user would otherwise hand-tune these per dataset (DBSCAN's eps, mean shift's bandwidth,
BIRCH's threshold); each estimator below picks them from the data at fit time and records
what it chose in a fitted attribute, so the choice is visible.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.neighbors import NearestNeighbors

from ..sampling import subsample

_SAMPLE = 4000


def density_min_samples(n: int, d: int) -> int:
    """Points in a core neighbourhood: 2 x dimension (Sander et al. 1998), kept in [5, 20] and
    below 5 % of n so that small datasets still have dense regions."""
    return int(max(3, min(max(5, 2 * d), 20, max(3, n // 20))))


def kth_neighbour_distances(x: np.ndarray, k: int, precomputed: bool, seed: int) -> np.ndarray:
    """Distance of (a sample of) points to their k-th nearest neighbour, the point itself counted."""
    n = x.shape[0]
    rows = subsample(n, _SAMPLE, seed)
    k = min(k, n)
    if precomputed:
        return np.sort(np.asarray(x)[rows], axis=1)[:, k - 1]
    nn = NearestNeighbors(n_neighbors=k).fit(x)
    dist, _ = nn.kneighbors(x[rows])
    return dist[:, -1]


def knee_index(y) -> int:
    """Index of the knee of a monotone curve: the point farthest from the chord joining its
    ends, both axes scaled to [0, 1] (the Kneedle criterion; either convexity)."""
    y = np.asarray(y, dtype=np.float64)
    if y.size < 3 or y[-1] == y[0]:
        return 0
    x = np.linspace(0.0, 1.0, y.size)
    return int(np.argmax(np.abs((y - y[0]) / (y[-1] - y[0]) - x)))


def knee(values: np.ndarray) -> float:
    """The knee of the sorted k-distance curve."""
    y = np.sort(np.asarray(values, dtype=np.float64))
    return float(y[knee_index(y)]) if y.size else 0.0


class AutoDBSCAN(ClusterMixin, BaseEstimator):
    """DBSCAN whose eps is the knee of the k-distance curve when not given."""

    def __init__(self, eps=None, min_samples=None, metric="euclidean", random_state=0):
        self.eps = eps
        self.min_samples = min_samples
        self.metric = metric
        self.random_state = random_state

    def fit(self, X, y=None):
        from sklearn.cluster import DBSCAN

        n, d = X.shape
        self.min_samples_ = self.min_samples or density_min_samples(n, d)
        self.eps_ = self.eps or knee(kth_neighbour_distances(X, self.min_samples_, self.metric == "precomputed",
                                                             self.random_state))
        if self.eps_ <= 0:
            self.eps_ = 1e-12
        self.model_ = DBSCAN(eps=self.eps_, min_samples=self.min_samples_, metric=self.metric).fit(X)
        self.labels_ = self.model_.labels_
        return self


class AutoOPTICS(ClusterMixin, BaseEstimator):
    """OPTICS with xi-steep extraction. With the usual min_samples of 5 and xi of 0.05 the
    reachability plot of even clean Gaussian blobs splits into many fragments; neighbourhoods
    of at least 10 points, xi = 0.2 and clusters of at least 5 % of the data were the most
    robust on the wut/fcps/graves batteries (measured when the defaults were chosen)."""

    def __init__(self, min_samples=None, xi=0.2, min_cluster_size=0.05, metric="minkowski"):
        self.min_samples = min_samples
        self.xi = xi
        self.min_cluster_size = min_cluster_size
        self.metric = metric

    def fit(self, X, y=None):
        from sklearn.cluster import OPTICS

        n, d = X.shape
        self.min_samples_ = self.min_samples or int(min(max(10, density_min_samples(n, d)), max(2, n // 10)))
        self.model_ = OPTICS(min_samples=self.min_samples_, xi=self.xi, min_cluster_size=self.min_cluster_size,
                             metric=self.metric).fit(X)
        self.labels_ = self.model_.labels_
        return self


def hdbscan_min_cluster_size(n: int) -> int:
    """Half the square root of n, at least 5: tiny groups are noise, large n allows large clusters."""
    return int(max(5, round(np.sqrt(n) / 2)))


class AutoHDBSCAN(ClusterMixin, BaseEstimator):
    def __init__(self, min_cluster_size=None, min_samples=None, metric="euclidean"):
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.metric = metric

    def fit(self, X, y=None):
        from sklearn.cluster import HDBSCAN

        n, d = X.shape
        self.min_cluster_size_ = self.min_cluster_size or hdbscan_min_cluster_size(n)
        self.min_samples_ = self.min_samples or min(self.min_cluster_size_, density_min_samples(n, d))
        self.model_ = HDBSCAN(min_cluster_size=self.min_cluster_size_, min_samples=self.min_samples_,
                              metric=self.metric, copy=True).fit(X)
        self.labels_ = self.model_.labels_
        return self


class AutoMeanShift(ClusterMixin, BaseEstimator):
    """Mean shift with the bandwidth estimated on a sample (20 % quantile of pairwise distances)."""

    def __init__(self, bandwidth=None, quantile=0.2, random_state=0):
        self.bandwidth = bandwidth
        self.quantile = quantile
        self.random_state = random_state

    def fit(self, X, y=None):
        from sklearn.cluster import MeanShift, estimate_bandwidth

        self.bandwidth_ = self.bandwidth or estimate_bandwidth(
            X, quantile=self.quantile, n_samples=min(X.shape[0], 1000), random_state=self.random_state)
        if not self.bandwidth_ or self.bandwidth_ <= 0:
            self.bandwidth_ = float(np.std(X)) or 1.0
        self.model_ = MeanShift(bandwidth=self.bandwidth_, bin_seeding=True, cluster_all=True).fit(X)
        self.labels_ = self.model_.labels_
        return self


class AutoBirch(ClusterMixin, BaseEstimator):
    """BIRCH whose subcluster radius is half the median distance to the 2nd nearest neighbour:
    small enough that a subcluster never spans two clusters, even in high dimension.

    The global step (Ward on the subclusters' centres) is quadratic in their number, which at
    that radius grows with n: above `MAX_SUBCLUSTERS` Ward runs on a sample of the centres and
    every other subcluster takes the cluster of its nearest sampled centre (a million rows made
    about 900,000 subclusters, and Ward on them asked for 3 TiB)."""

    MAX_SUBCLUSTERS = 10_000

    def __init__(self, n_clusters=3, threshold=None, branching_factor=50, random_state=0):
        self.n_clusters = n_clusters
        self.threshold = threshold
        self.branching_factor = branching_factor
        self.random_state = random_state

    def fit(self, X, y=None):
        from sklearn.cluster import Birch

        self.threshold_ = self.threshold or 0.5 * float(np.median(kth_neighbour_distances(X, 3, False, self.random_state)))
        if self.threshold_ <= 0:
            self.threshold_ = 1e-9
        model = Birch(n_clusters=None, threshold=self.threshold_, branching_factor=self.branching_factor).fit(X)
        centres = model.subcluster_centers_
        if len(centres) <= self.MAX_SUBCLUSTERS:
            model.set_params(n_clusters=self.n_clusters)
            model.partial_fit()  # the global step alone, on the tree already built
        else:
            from sklearn.cluster import AgglomerativeClustering
            from sklearn.neighbors import NearestNeighbors

            from ..sampling import subsample

            rows = subsample(len(centres), self.MAX_SUBCLUSTERS, self.random_state)
            ward = AgglomerativeClustering(n_clusters=self.n_clusters).fit(centres[rows])
            nearest = NearestNeighbors(n_neighbors=1).fit(centres[rows]).kneighbors(centres, return_distance=False)
            model.subcluster_labels_ = ward.labels_[nearest[:, 0]]
            model.n_clusters = self.n_clusters
        self.model_ = model
        self.labels_ = np.asarray(model.predict(X), dtype=np.int64)
        return self


class PrecomputedAffinityPropagation(ClusterMixin, BaseEstimator):
    """Affinity propagation that takes distances (as every precomputed path here does) and
    turns them into the similarities it needs (negative squared distances)."""

    def __init__(self, damping=0.9, max_iter=500, preference=None, random_state=0):
        self.damping = damping
        self.max_iter = max_iter
        self.preference = preference
        self.random_state = random_state

    def fit(self, X, y=None):
        from sklearn.cluster import AffinityPropagation

        self.model_ = AffinityPropagation(damping=self.damping, max_iter=self.max_iter, preference=self.preference,
                                          affinity="precomputed", random_state=self.random_state).fit(-np.square(X))
        self.labels_ = self.model_.labels_
        return self
