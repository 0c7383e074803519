"""Clustering mixed tables on Gower's dissimilarity (see `prep.gower`).

Every estimator here takes a pandas table (numbers, categories, booleans, blanks) or an
already encoded `GowerData`, so that one encoding can serve several algorithms and values of k.

- `GowerKMedoids`: FasterPAM (the `kmedoids` package); k, when not given, is the one whose
  k-medoids partition has the highest silhouette (Rousseeuw's, on the distance matrix of the
  rows clustered; `criterion="medoid"` takes the medoid silhouette 1 - a/b instead, a and b the
  distances to the nearest and second nearest medoid, which needs only n x k distances). Above
  `sample_size` rows it runs CLARA-style: FasterPAM on several random samples, every row then
  assigned to the nearest medoid, the sample whose medoids cost least kept; the silhouette is
  then that of the sample.
- `GowerAverage`: average linkage (UPGMA) on the full Gower matrix.
- `GowerHDBSCAN`: scikit-learn's HDBSCAN on the full Gower matrix.
- `KPrototypes`: Huang's k-prototypes (the `kmodes` package) on standardised numbers and
  category codes; missing cells are filled (median, most frequent) because it has no notion
  of them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin

from ..errors import DataError, ParameterError
from ..prep.gower import GowerData, encode_like, gower_data, gower_matrix

FULL_MATRIX_ROWS = 4_000  # above this many rows k-medoids samples (CLARA) instead of an n x n matrix
CRITERIA = ("silhouette", "medoid")  # how k is chosen when not given


def as_gower(x) -> GowerData:
    if isinstance(x, GowerData):
        return x
    if isinstance(x, pd.DataFrame):
        return gower_data(x)
    raise DataError(f"Gower-based clustering needs a table (pandas DataFrame) or GowerData, got {type(x).__name__}")


def medoid_silhouette(to_medoids: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean and per-row medoid silhouette from the n x k distances to the medoids."""
    if to_medoids.shape[1] < 2:
        return 0.0, np.zeros(to_medoids.shape[0])
    two = np.partition(to_medoids, 1, axis=1)[:, :2].astype(np.float64)
    a, b = two[:, 0], two[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(b > 0, 1.0 - a / np.where(b > 0, b, 1.0), 0.0)
    return float(s.mean()), s


def _check_finite(d: np.ndarray) -> None:
    if np.isnan(d).any():
        i, j = np.argwhere(np.isnan(d))[0]
        raise DataError(f"rows {i} and {j} share no observed feature, so their Gower distance is undefined; "
                        "drop rows that are mostly blank or impute them")


def _k_candidates(n_clusters, k_range, n: int) -> list[int]:
    if n_clusters is not None:
        if not isinstance(n_clusters, (int, np.integer)) or n_clusters < 2:
            raise ParameterError(f"n_clusters must be an integer of at least 2, got {n_clusters!r}")
        if n_clusters > n:
            raise ParameterError(f"n_clusters={n_clusters} exceeds the number of rows ({n})")
        return [int(n_clusters)]
    lo, hi = k_range
    if lo < 2 or hi < lo:
        raise ParameterError(f"k_range must be (low, high) with 2 <= low <= high, got {k_range!r}")
    ks = list(range(lo, min(hi, n - 1) + 1))
    if not ks:
        raise DataError(f"only {n} rows: too few to choose k in {k_range}")
    return ks


class GowerKMedoids(ClusterMixin, BaseEstimator):
    """k-medoids (FasterPAM) on Gower distance, k by medoid silhouette when not given."""

    def __init__(self, n_clusters: int | None = None, k_range: tuple[int, int] = (2, 10),
                 criterion: str = "silhouette", sample_size: int = FULL_MATRIX_ROWS, n_samples: int = 3,
                 random_state: int = 0):
        self.n_clusters = n_clusters
        self.k_range = k_range
        self.criterion = criterion
        self.sample_size = sample_size
        self.n_samples = n_samples
        self.random_state = random_state

    def fit(self, X, y=None):
        import kmedoids

        if self.criterion not in CRITERIA:
            raise ParameterError(f"criterion={self.criterion!r} is not allowed; choose one of: {', '.join(CRITERIA)}")
        g = as_gower(X)
        n = g.n
        ks = _k_candidates(self.n_clusters, self.k_range, n)
        if self.sample_size < 2 * max(ks):
            raise ParameterError(f"sample_size={self.sample_size} is too small for k={max(ks)}")
        rng = np.random.default_rng(self.random_state)
        self.sampled_ = n > self.sample_size
        draws = ([np.arange(n)] if not self.sampled_ else
                 [np.sort(rng.choice(n, self.sample_size, replace=False)) for _ in range(self.n_samples)])
        # One distance matrix per draw, reused by every k.
        mats = []
        for rows in draws:
            d = gower_matrix(g.take(rows))
            _check_finite(d)
            mats.append((rows, d))
        best_per_k = {}
        for k in ks:
            best = None
            for rows, d in mats:
                res = kmedoids.fasterpam(d, k, init="build", random_state=self.random_state, n_cpu=1)
                medoids = rows[np.asarray(res.medoids)]
                to_med = d[:, res.medoids] if not self.sampled_ else gower_matrix(g, g.take(medoids))
                _check_finite(to_med)
                cost = float(to_med.min(axis=1).sum())
                if best is None or cost < best[0]:
                    best = (cost, medoids, to_med, d, np.asarray(res.labels))
            best_per_k[k] = best
        self.k_scores_ = {k: self._score(b) for k, b in best_per_k.items()}
        k = max(self.k_scores_, key=self.k_scores_.get)
        cost, medoids, to_med = best_per_k[k][:3]
        order = np.argsort(medoids)  # a stable numbering: clusters ordered by their medoid's row
        self.medoid_indices_ = medoids[order]
        # Ties (frequent on categories) go to the first medoid in that numbering, as in predict.
        self.labels_ = to_med[:, order].argmin(axis=1).astype(np.int64)
        self.n_clusters_ = k
        self.inertia_ = cost
        self.silhouette_ = self.k_scores_[k]
        self.medoids_ = g.take(self.medoid_indices_)
        return self

    def _score(self, best) -> float:
        _, _, to_med, d, sample_labels = best
        if self.criterion == "medoid" or np.unique(sample_labels).size < 2:
            return medoid_silhouette(to_med)[0]
        from ..metrics import silhouette
        return silhouette(d, sample_labels, sample_size=None, precomputed=True)

    def predict(self, X) -> np.ndarray:
        """Nearest medoid for new rows (a table with the fitted columns)."""
        new = X if isinstance(X, GowerData) else encode_like(X, self.medoids_)
        d = gower_matrix(new, self.medoids_)
        _check_finite(d)
        return d.argmin(axis=1).astype(np.int64)


class _FullMatrix(ClusterMixin, BaseEstimator):
    def _distances(self, X) -> np.ndarray:
        d = gower_matrix(as_gower(X))
        _check_finite(d)
        return d


class GowerAverage(_FullMatrix):
    """Average linkage (UPGMA) on Gower distance, the tree cut into n_clusters."""

    def __init__(self, n_clusters: int = 2):
        self.n_clusters = n_clusters

    def fit(self, X, y=None):
        from scipy.cluster.hierarchy import fcluster, linkage
        from scipy.spatial.distance import squareform

        d = self._distances(X)
        _k_candidates(self.n_clusters, (2, 2), d.shape[0])
        tree = linkage(squareform(d, checks=False).astype(np.float64), method="average")
        self.labels_ = fcluster(tree, t=self.n_clusters, criterion="maxclust").astype(np.int64) - 1
        return self


class GowerHDBSCAN(_FullMatrix):
    """HDBSCAN on the precomputed Gower matrix; min_cluster_size = sqrt(n)/2, at least 5, by default."""

    def __init__(self, min_cluster_size: int | None = None, min_samples: int | None = None):
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples

    def fit(self, X, y=None):
        from sklearn.cluster import HDBSCAN

        d = self._distances(X)
        size = self.min_cluster_size or max(5, int(np.sqrt(d.shape[0]) / 2))
        model = HDBSCAN(min_cluster_size=size, min_samples=self.min_samples, metric="precomputed",
                        copy=False).fit(d.astype(np.float64))
        self.labels_ = model.labels_.astype(np.int64)
        self.min_cluster_size_ = size
        return self


class KPrototypes(ClusterMixin, BaseEstimator):
    """k-prototypes (Huang 1997) via `kmodes`: squared Euclidean on standardised numbers plus
    gamma x category mismatches."""

    def __init__(self, n_clusters: int = 2, n_init: int = 3, gamma: float | None = None,
                 random_state: int = 0):
        self.n_clusters = n_clusters
        self.n_init = n_init
        self.gamma = gamma
        self.random_state = random_state

    def fit(self, X, y=None):
        from kmodes.kprototypes import KPrototypes as _KP

        g = as_gower(X)
        _k_candidates(self.n_clusters, (2, 2), g.n)
        num = g.numeric.astype(np.float64)
        if num.shape[1]:
            med = np.nanmedian(num, axis=0)
            num = np.where(np.isnan(num), np.nan_to_num(med), num)
            sd = num.std(axis=0)
            num = (num - num.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
        codes = g.codes.copy()
        for c in range(codes.shape[1]):  # missing category -> the column's most frequent one
            col = codes[:, c]
            if (col < 0).any():
                present = col[col >= 0]
                col[col < 0] = np.bincount(present).argmax() if present.size else 0
        if codes.shape[1] == 0 or num.shape[1] == 0:
            raise DataError("k-prototypes needs both numeric and categorical columns; "
                            "use kmeans (numbers only) or gower_kmedoids instead")
        data = np.hstack([num, codes.astype(np.float64)])
        cats = list(range(num.shape[1], data.shape[1]))
        model = _KP(n_clusters=self.n_clusters, n_init=self.n_init, gamma=self.gamma, init="Cao",
                    random_state=self.random_state, n_jobs=1)
        self.labels_ = np.asarray(model.fit_predict(data, categorical=cats), dtype=np.int64)
        self.gamma_ = float(model.gamma)
        return self
