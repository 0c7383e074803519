"""Random subsets of rows: the one place that draws them, so that every step that works on a
sample draws the same rows for the same (n, size, seed)."""

from __future__ import annotations

import numpy as np


def subsample(n: int, size: int | None, seed: int = 0) -> np.ndarray:
    """Sorted indices of a uniform random sample of at most `size` of `n` rows (all rows, in
    order, when `size` is None or not below n). Sorted, so a sample keeps the rows' order."""
    if size is None or n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


def stratified_subsample(labels: np.ndarray, size: int | None, seed: int = 0) -> np.ndarray:
    """Sorted indices of at most about `size` rows, drawn per cluster in proportion to its size
    (each cluster keeps at least 2), so a score on the sample sees every cluster."""
    labels = np.asarray(labels)
    n = labels.size
    if size is None or n <= size:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    picked = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        take = min(members.size, max(2, int(round(size * members.size / n))))
        picked.append(rng.choice(members, take, replace=False))
    return np.sort(np.concatenate(picked))
