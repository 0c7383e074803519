"""Eigengap of the normalised graph Laplacian of a k-nearest-neighbour graph."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.linalg import eigh
from sklearn.neighbors import NearestNeighbors

from .base import Context, KEstimator


def knn_affinity(x: np.ndarray, n_neighbors: int) -> sparse.csr_matrix:
    """Symmetric kNN graph with self-tuning Gaussian weights (Zelnik-Manor & Perona 2004):
    sigma_i is the distance of point i to its 7th neighbour."""
    n = x.shape[0]
    m = min(n_neighbors, n - 1)
    dist, idx = NearestNeighbors(n_neighbors=m + 1).fit(x).kneighbors(x)
    dist, idx = dist[:, 1:], idx[:, 1:]
    sigma = dist[:, min(6, m - 1)]
    sigma = np.where(sigma > 0, sigma, max(float(dist[dist > 0].min(initial=1.0)), 1e-12))
    weights = np.exp(-dist ** 2 / (sigma[:, None] * sigma[idx]))
    w = sparse.csr_matrix((weights.ravel(), (np.repeat(np.arange(n), m), idx.ravel())), shape=(n, n))
    return w.maximum(w.T).tocsr()


class Eigengap(KEstimator):
    """The gap is measured between log eigenvalues: long thin clusters (rings, chains) have
    tiny but non-zero low eigenvalues, whose absolute gaps are dwarfed by the noise between
    larger eigenvalues higher up; their ratio to the next eigenvalue is what stands out."""

    name = "eigengap"
    values = "gap in log eigenvalue"
    criterion = "log eigenvalues of the normalised Laplacian of a kNN graph; k before the largest gap"
    floor = 1e-4  # eigenvalues lie in [0, 2]; below this they count as zero

    def __init__(self, n_neighbors: int = 10):
        self.n_neighbors = n_neighbors

    def _estimate(self, ctx: Context):
        w = knn_affinity(ctx.x, self.n_neighbors)
        degree = np.asarray(w.sum(axis=1)).ravel()
        inv = 1.0 / np.sqrt(np.maximum(degree, 1e-300))
        lap = np.eye(w.shape[0]) - (w.multiply(inv[:, None]).multiply(inv[None, :])).toarray()
        top = min(ctx.ks[-1] + 1, w.shape[0] - 1)
        values = eigh(lap, eigvals_only=True, subset_by_index=[0, top])
        logs = np.log(np.maximum(values, 0.0) + self.floor)
        curve = {k: float(logs[k] - logs[k - 1]) for k in ctx.ks if k < values.size}
        k = max(curve, key=lambda k: (curve[k], -k))
        return k, curve, ""
