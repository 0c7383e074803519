"""Meta-features of a dataset: statistics of its columns and of its distance distribution
(after Ferrari & de Castro 2015), as meta-learning systems such as AutoCluster describe datasets.

`metafeatures(x)` is a vector of 30 numbers that need no labels: size, column shape
statistics, principal-component spread, outlier share, the distribution of normalised pairwise
distances on a sample of rows, and the Hopkins statistic of clustering tendency.
They are inputs of the set recommender (`encoders.canonical_set`) and of the meta-feature
baseline the benchmarks measure it against (`benchmarks/baselines.py`).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

from ..errors import DataError

NAMES = (["log_n", "log_d", "log_n_over_d", "skew_mean", "skew_sd", "kurt_mean", "kurt_sd", "pc1_share",
          "pcs_for_90", "outlier_share", "dist_mean", "dist_sd", "dist_skew", "dist_kurt"]
         + [f"dist_hist_{i}" for i in range(10)] + [f"dist_z_{i}" for i in range(4)] + ["hopkins", "nn_ratio"])


def zscore(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    sd = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def spectrum(z: np.ndarray) -> np.ndarray:
    """The eigenvalues of the columns' covariance, largest first (d of them). Wide data (d > n)
    takes them from the n x n Gram matrix, which shares the nonzero ones: n^2 d work instead of
    d^3, so 10,000 columns cost seconds, not minutes."""
    n, d = z.shape
    if d <= n:
        return np.clip(np.linalg.eigvalsh(np.cov(z, rowvar=False).reshape(d, d))[::-1], 0, None)
    centred = z - z.mean(axis=0)
    values = np.zeros(d)
    values[:n] = np.clip(np.linalg.eigvalsh(centred @ centred.T)[::-1], 0, None) / max(n - 1, 1)
    return values


def metafeatures(x: np.ndarray, sample: int = 500, seed: int = 0) -> np.ndarray:
    from sklearn.metrics import pairwise_distances
    from sklearn.neighbors import NearestNeighbors

    x = np.asarray(x, dtype=np.float64)
    n, d = x.shape
    if n < 3:
        raise DataError(f"meta-features need at least 3 rows, got {n}")
    rng = np.random.default_rng(seed)
    z = zscore(x)
    with np.errstate(all="ignore"):
        skew = np.nan_to_num(stats.skew(z, axis=0))
        kurt = np.nan_to_num(stats.kurtosis(z, axis=0))
    values = spectrum(z)
    share = values / values.sum() if values.sum() > 0 else np.full(d, 1.0 / d)
    pcs90 = (int(np.searchsorted(np.cumsum(share), 0.9)) + 1) / d
    s = z[rng.choice(n, min(n, sample), replace=False)]
    dist = pairwise_distances(s)[np.triu_indices(len(s), 1)]
    top = dist.max() if dist.size and dist.max() > 0 else 1.0
    norm = dist / top
    hist = np.histogram(norm, bins=10, range=(0, 1))[0] / max(norm.size, 1)
    dz = (dist - dist.mean()) / (dist.std() or 1.0)
    zbins = np.histogram(np.abs(dz), bins=[0, 1, 2, 3, np.inf])[0] / max(dz.size, 1)
    # Hopkins: nearest-neighbour distances of uniform points against those of real points.
    m = max(1, min(len(s) // 2, 100))
    nn = NearestNeighbors(n_neighbors=2).fit(s)
    real = nn.kneighbors(s[rng.choice(len(s), m, replace=False)], 2)[0][:, 1]
    uniform = nn.kneighbors(rng.uniform(s.min(axis=0), s.max(axis=0), size=(m, d)), 1)[0][:, 0]
    hopkins = uniform.sum() / max(uniform.sum() + real.sum(), 1e-12)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # moments of near-constant distances: nan_to_num'd
        feats = [np.log(n), np.log(d), np.log(n / d), skew.mean(), skew.std(), kurt.mean(), kurt.std(),
                 share[0], pcs90, float((np.abs(z) > 3).mean()), norm.mean(), norm.std(),
                 float(np.nan_to_num(stats.skew(norm))), float(np.nan_to_num(stats.kurtosis(norm))),
                 *hist, *zbins, hopkins, real.mean() / (dist.mean() or 1.0)]
    return np.nan_to_num(np.asarray(feats, dtype=np.float64))
