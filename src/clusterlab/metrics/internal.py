"""Internal scores: how good a clustering looks from the data alone.

Points labelled noise (-1) are left out. Scores that cost O(n^2) (silhouette, Dunn, DBCV)
work on a stratified random sample above `sample_size` points, so they stay bounded for
large n; pass `sample_size=None` for the exact value.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse.csgraph import minimum_spanning_tree
from sklearn import metrics as skm
from sklearn.metrics import pairwise_distances, pairwise_distances_chunked

from ..sampling import stratified_subsample

DEFAULT_SAMPLE = 5000


def _clean(x, labels) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x)
    labels = np.asarray(labels).ravel()
    keep = labels >= 0
    return x[keep], labels[keep]


def _valid(labels: np.ndarray) -> bool:
    k = np.unique(labels).size
    return 2 <= k < labels.size


def _silhouette_rows(labels, sample_size: int | None, seed: int) -> np.ndarray | None:
    """The rows a silhouette is computed on: not noise, stratified above `sample_size`; None
    where the silhouette is undefined (fewer than 2 clusters, or one point per cluster)."""
    labels = np.asarray(labels).ravel()
    kept = np.flatnonzero(labels >= 0)
    if not _valid(labels[kept]):
        return None
    rows = kept[stratified_subsample(labels[kept], sample_size, seed)]
    return rows if _valid(labels[rows]) else None


def _rows_of(x, rows: np.ndarray, precomputed: bool):
    x = np.asarray(x)
    return x[np.ix_(rows, rows)] if precomputed else x[rows]


def silhouette(x, labels, sample_size: int | None = DEFAULT_SAMPLE, seed: int = 0,
               precomputed: bool = False) -> float:
    """Mean silhouette; `x` is a matrix of rows, or a square distance matrix where `precomputed`."""
    rows = _silhouette_rows(labels, sample_size, seed)
    if rows is None:
        return float("nan")
    if precomputed:
        return float(_silhouettes_of_distances(_rows_of(x, rows, True), np.asarray(labels).ravel()[rows]).mean())
    return float(skm.silhouette_score(_rows_of(x, rows, False), np.asarray(labels).ravel()[rows]))


def _silhouettes_of_distances(d: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each point's silhouette from a square distance matrix, as scikit-learn defines it (0 for
    a point alone in its cluster), in one matrix product: scikit-learn's own checks cost more
    than the arithmetic when dozens of candidate partitions of the same rows are scored."""
    codes = np.unique(labels, return_inverse=True)[1]
    k = int(codes.max()) + 1
    counts = np.bincount(codes, minlength=k).astype(np.float64)
    sums = np.asarray(d, dtype=np.float64) @ np.eye(k)[codes]  # n x k: summed distance to each cluster
    own = counts[codes]
    a = sums[np.arange(codes.size), codes] / np.maximum(own - 1, 1)
    means = sums / counts
    means[np.arange(codes.size), codes] = np.inf
    b = means.min(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = (b - a) / np.maximum(a, b)
    return np.where(own > 1, np.nan_to_num(s), 0.0)


def silhouette_samples(x, labels, sample_size: int | None = None, seed: int = 0,
                       precomputed: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(rows, each row's silhouette) over the non-noise rows, stratified above `sample_size`;
    two empty arrays where the silhouette is undefined."""
    rows = _silhouette_rows(labels, sample_size, seed)
    if rows is None:
        return np.array([], dtype=np.int64), np.array([])
    return rows, skm.silhouette_samples(_rows_of(x, rows, precomputed), np.asarray(labels).ravel()[rows],
                                        metric="precomputed" if precomputed else "euclidean")


def _centroids(x: np.ndarray, labels: np.ndarray):
    codes = np.unique(labels, return_inverse=True)[1]
    k = int(codes.max()) + 1
    counts = np.bincount(codes, minlength=k).astype(np.float64)
    centres = (np.eye(k)[codes].T @ x) / counts[:, None]
    return codes, counts, centres


def calinski_harabasz(x, labels) -> float:
    """As scikit-learn defines it (1 where every cluster is a point), without its per-call checks."""
    x, labels = _clean(x, labels)
    if not _valid(labels):
        return float("nan")
    x = np.asarray(x, dtype=np.float64)
    codes, counts, centres = _centroids(x, labels)
    n, k = x.shape[0], centres.shape[0]
    between = float((counts * ((centres - x.mean(axis=0)) ** 2).sum(axis=1)).sum())
    within = float(((x - centres[codes]) ** 2).sum())
    return 1.0 if within == 0 else between * (n - k) / (within * (k - 1))


def davies_bouldin(x, labels) -> float:
    """As scikit-learn defines it, without its per-call checks."""
    x, labels = _clean(x, labels)
    if not _valid(labels):
        return float("nan")
    x = np.asarray(x, dtype=np.float64)
    codes, counts, centres = _centroids(x, labels)
    spread = np.bincount(codes, weights=np.sqrt(((x - centres[codes]) ** 2).sum(axis=1))) / counts
    between = np.sqrt(((centres[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2))
    if np.allclose(spread, 0) or np.allclose(between, 0):
        return 0.0
    between[between == 0] = np.inf
    ratio = (spread[:, None] + spread[None, :]) / between
    np.fill_diagonal(ratio, -np.inf)
    return float(ratio.max(axis=1).mean())


def dunn(x, labels, sample_size: int | None = DEFAULT_SAMPLE, seed: int = 0) -> float:
    """Smallest distance between points of different clusters over the largest cluster diameter."""
    x, labels = _clean(x, labels)
    if not _valid(labels):
        return float("nan")
    idx = stratified_subsample(labels, sample_size, seed)
    x, labels = x[idx], labels[idx]
    min_between, max_within = np.inf, 0.0
    start = 0
    for block in pairwise_distances_chunked(x):
        rows = labels[start: start + block.shape[0]]
        same = rows[:, None] == labels[None, :]
        if (~same).any():
            min_between = min(min_between, float(block[~same].min()))
        max_within = max(max_within, float(block[same].max()))
        start += block.shape[0]
    return float(min_between / max_within) if max_within > 0 else float("nan")


def dbcv(x, labels, sample_size: int | None = 2000, seed: int = 0) -> float:
    """Density-Based Clustering Validation (Moulavi et al., SDM 2014), in [-1, 1].

    Per cluster: the all-points core distance of each member, the minimum spanning tree of
    the cluster under mutual reachability; density sparseness is the largest internal edge of
    that tree, density separation the smallest mutual reachability distance between internal
    (non-leaf) nodes of two clusters. Validity is their normalised difference, averaged with
    cluster-size weights. Noise points count against the score through the weighting.
    """
    labels_all = np.asarray(labels).ravel()
    n_total = labels_all.size
    x, labels = _clean(x, labels_all)
    if not _valid(labels):
        return float("nan")
    idx = stratified_subsample(labels, sample_size, seed)
    scale_weight = labels.size / n_total  # share of non-noise points
    x, labels = x[idx].astype(np.float64), labels[idx]
    d = x.shape[1]
    dist = pairwise_distances(x)
    np.fill_diagonal(dist, np.inf)
    clusters = np.unique(labels)
    core = np.empty(labels.size)
    internal: dict[int, np.ndarray] = {}
    sparseness = {}
    for c in clusters:
        members = np.flatnonzero(labels == c)
        m = members.size
        sub = dist[np.ix_(members, members)]
        with np.errstate(divide="ignore"):
            inv = (1.0 / sub) ** d
        inv[~np.isfinite(inv)] = 0.0  # duplicates and the diagonal carry no density
        core[members] = ((inv.sum(axis=1) / max(m - 1, 1)) ** (-1.0 / d)) if m > 1 else 0.0
        core[members] = np.where(np.isfinite(core[members]), core[members], 0.0)
        reach = np.maximum(sub, np.maximum(core[members][:, None], core[members][None, :]))
        np.fill_diagonal(reach, 0.0)
        if m < 2:
            sparseness[c] = 0.0
            internal[c] = members
            continue
        tree = minimum_spanning_tree(reach + 1e-300).toarray()  # the shift keeps zero-length edges
        tree = np.maximum(tree, tree.T)
        degree = (tree > 0).sum(axis=1)
        inner = degree > 1
        internal[c] = members[inner] if inner.any() else members
        edges = tree[np.ix_(inner, inner)] if inner.sum() > 1 else tree
        sparseness[c] = float(edges.max())
    validity = 0.0
    for c in clusters:
        others = [o for o in clusters if o != c]
        sep = np.inf
        for o in others:
            a, b = internal[c], internal[o]
            reach = np.maximum(dist[np.ix_(a, b)], np.maximum(core[a][:, None], core[b][None, :]))
            sep = min(sep, float(reach.min()))
        denom = max(sep, sparseness[c])
        v = 0.0 if denom == 0 else (sep - sparseness[c]) / denom
        validity += v * np.sum(labels == c) / labels.size
    return float(validity * scale_weight)


INTERNAL = {"silhouette": silhouette, "calinski_harabasz": calinski_harabasz,
            "davies_bouldin": davies_bouldin, "dunn": dunn, "dbcv": dbcv}
# Which way is better, for any code that ranks by an internal score.
GREATER_IS_BETTER = {"silhouette": True, "calinski_harabasz": True, "davies_bouldin": False,
                     "dunn": True, "dbcv": True}


def internal_scores(x, labels, which=("silhouette", "calinski_harabasz", "davies_bouldin"),
                    seed: int = 0) -> dict[str, float]:
    out = {}
    for name in which:
        fn = INTERNAL[name]
        out[name] = fn(x, labels, seed=seed) if name in ("silhouette", "dunn", "dbcv") else fn(x, labels)
    return out


def neighbour_modularity(neighbours: np.ndarray, labels: np.ndarray) -> float:
    """Modularity of a partition on a k-nearest-neighbour graph (`neighbours`: n x m indices):
    the share of edges inside clusters less the share expected of clusters of the same sizes
    drawn at random, sum of squared cluster shares. Scale-free, so it compares partitions made
    in different spaces of the same rows; 0 for a random partition, below 1."""
    labels = np.asarray(labels)
    inside = float((labels[np.asarray(neighbours)] == labels[:, None]).mean())
    share = np.unique(labels, return_counts=True)[1] / labels.size
    return inside - float((share ** 2).sum())
