"""External scores: agreement of a clustering with reference labels.

Noise follows Gagolewski's benchmark framework: points the reference marks as noise (-1) are
left out of every score. A predicted noise label (-1, from DBSCAN and kin) is kept as one more
predicted cluster, so noise can match at most one reference cluster.
Several reference labellings of one dataset are scored separately and the best one counts.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn import metrics as skm

from ..errors import DataError


def _pair(truth, pred) -> tuple[np.ndarray, np.ndarray]:
    truth = np.asarray(truth).ravel()
    pred = np.asarray(pred).ravel()
    if truth.shape != pred.shape:
        raise DataError(f"truth has {truth.size} labels but the clustering has {pred.size}")
    keep = truth >= 0
    if not keep.any():
        raise DataError("every reference label marks noise; nothing to score against")
    return truth[keep], pred[keep]


def contingency(truth, pred) -> np.ndarray:
    """Counts of (reference cluster, predicted cluster) pairs: rows are reference clusters."""
    t, p = _pair(truth, pred)
    return skm.cluster.contingency_matrix(t, p)


def ari(truth, pred) -> float:
    return float(skm.adjusted_rand_score(*_pair(truth, pred)))


def nmi(truth, pred) -> float:
    return float(skm.normalized_mutual_info_score(*_pair(truth, pred)))


def pairwise_ari(partitions: list[np.ndarray]) -> np.ndarray:
    """ARI between every two partitions of the same rows, each label (noise too) a group, as
    scikit-learn's `adjusted_rand_score` has it, from contingency tables counted with bincount:
    thousands of pairs in well under a second, where one call per pair takes a millisecond."""
    codes = [np.unique(p, return_inverse=True)[1] for p in partitions]
    n = codes[0].size if codes else 0
    pairs = lambda counts: float((counts * (counts - 1)).sum()) / 2.0  # noqa: E731
    own = [pairs(np.bincount(c)) for c in codes]
    total = n * (n - 1) / 2.0
    m = len(codes)
    out = np.eye(m)
    for i in range(m):
        ki = int(codes[i].max()) + 1
        for j in range(i + 1, m):
            kj = int(codes[j].max()) + 1
            both = pairs(np.bincount(codes[i] * kj + codes[j], minlength=ki * kj))
            expected = own[i] * own[j] / total if total else 0.0
            top = 0.5 * (own[i] + own[j])
            out[i, j] = out[j, i] = 1.0 if top == expected else (both - expected) / (top - expected)
    return out


def ami(truth, pred) -> float:
    return float(skm.adjusted_mutual_info_score(*_pair(truth, pred)))


def accuracy(truth, pred) -> float:
    """Clustering accuracy: the share of points on the diagonal after the best one-to-one
    matching of predicted to reference clusters (Hungarian algorithm)."""
    c = contingency(truth, pred)
    rows, cols = linear_sum_assignment(c, maximize=True)
    return float(c[rows, cols].sum() / c.sum())


def purity(truth, pred) -> float:
    """Share of points whose predicted cluster's majority reference class is their own."""
    c = contingency(truth, pred)
    return float(c.max(axis=0).sum() / c.sum())


def nca(truth, pred) -> float:
    """Gagolewski's normalised clustering accuracy.

    Mean over reference clusters of the share of each one recovered by its matched predicted
    cluster, under the matching that maximises that mean, rescaled so that 1 is a perfect
    match and 0 what spreading every cluster uniformly would give. With fewer predicted
    clusters than reference ones the unmatched reference clusters count as 0 recovered.
    """
    c = contingency(truth, pred).astype(np.float64)
    k = c.shape[0]
    if k < 2:
        return float("nan")
    share = c / c.sum(axis=1, keepdims=True)
    if share.shape[1] < k:
        share = np.hstack([share, np.zeros((k, k - share.shape[1]))])
    rows, cols = linear_sum_assignment(share, maximize=True)
    mean = share[rows, cols].sum() / k
    return float((mean - 1.0 / k) / (1.0 - 1.0 / k))


EXTERNAL: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "ari": ari, "nmi": nmi, "ami": ami, "acc": accuracy, "purity": purity, "nca": nca,
}


def external_scores(references: np.ndarray | Sequence[np.ndarray], pred,
                    which: Sequence[str] = tuple(EXTERNAL)) -> dict[str, float]:
    """Every requested score, each the best over the reference labellings given."""
    refs = [references] if isinstance(references, np.ndarray) and references.ndim == 1 else list(references)
    out = {}
    for name in which:
        out[name] = max(EXTERNAL[name](ref, pred) for ref in refs)
    return out
