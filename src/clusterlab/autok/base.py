"""The interface every estimator of the number of clusters follows.

An estimator looks at (a sample of) the data and returns a `KEstimate`: its k, the curve or
statistic per k it decided from, and the time it took. Estimators share one `Context`, which
holds the sample and caches the partitions that several of them read (a k-means sweep), so
that asking for five index-based estimates costs one sweep, not five.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..algorithms import distinct_rows, fit_predict
from ..errors import DataError, ParameterError
from ..sampling import subsample

DEFAULT_SAMPLE = 2048
# Above this many features the sample is projected onto its leading principal components:
# every estimator slows with d (k-means sweeps, kNN graphs, reference sets), while the cluster
# structure of wide data (pixels, one-hot tables, embeddings) lives in far fewer directions.
MAX_DIMENSIONS = 50


@dataclass
class KEstimate:
    method: str
    k: int | None  # None: the estimator could not decide (reason in `note`)
    curve: dict[int, float]  # the statistic per k (or per lambda / round) it decided from
    seconds: float
    criterion: str = ""  # what the curve is and how k is read off it
    note: str = ""
    # What the curve's keys are: "k", or a parameter swept ("lambda", "minimum cluster size"),
    # in which case the curve's values are the k found at each setting.
    axis: str = "k"
    values: str = ""  # what the curve's values are (a short label for plots)

    def to_dict(self) -> dict:
        return {"method": self.method, "k": self.k, "criterion": self.criterion, "note": self.note,
                "seconds": round(self.seconds, 4), "axis": self.axis, "values": self.values,
                "curve": {str(k): float(v) for k, v in self.curve.items()}}


@dataclass
class Context:
    """The sample every estimator sees, the k range, the seed, and shared cached work."""

    x: np.ndarray
    ks: list[int]
    seed: int = 0
    n_total: int = 0
    notes: list[str] = field(default_factory=list)
    _kmeans: dict[int, tuple[np.ndarray, float, np.ndarray]] = field(default_factory=dict, repr=False)

    def kmeans(self, k: int) -> tuple[np.ndarray, float, np.ndarray]:
        """Labels, inertia and centres of k-means with k clusters on the sample (cached)."""
        if k not in self._kmeans:
            result = fit_predict("kmeans", self.x, k, seed=self.seed, n_init=3)
            est = result.estimator
            self._kmeans[k] = (result.labels, float(est.inertia_), est.cluster_centers_)
        return self._kmeans[k]


def sample_rows(x: np.ndarray, size: int | None, seed: int) -> np.ndarray:
    return x[subsample(x.shape[0], size, seed)]


def make_context(x, min_k: int = 2, max_k: int = 10, sample_size: int | None = DEFAULT_SAMPLE,
                 seed: int = 0) -> Context:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise DataError(f"expected a 2-D matrix of rows x features, got shape {x.shape}")
    if x.shape[0] < 3:
        raise DataError(f"only {x.shape[0]} rows: estimating the number of clusters needs at least 3")
    if not np.isfinite(x).all():
        raise DataError("the matrix holds NaN or infinite values; impute or drop them first")
    if sample_size is not None and sample_size < 3:
        raise ParameterError(f"sample_size must be at least 3, got {sample_size}")
    if min_k < 1 or max_k < min_k:
        raise ParameterError(f"the k range {min_k}..{max_k} is empty; need 1 <= min_k <= max_k")
    sample = sample_rows(x, sample_size, seed)
    notes = []
    if sample is not x:
        notes.append(f"estimated on a random sample of {sample.shape[0]:,} of {x.shape[0]:,} rows")
    distinct = distinct_rows(sample)
    top = min(max_k, sample.shape[0] - 1, distinct)
    if top < max(min_k, 2):
        raise ParameterError(
            f"cannot evaluate k in {min_k}..{max_k}: the data {'sample ' if sample is not x else ''}has "
            f"{sample.shape[0]} rows of which {distinct} distinct; lower --max-k or give more varied data")
    if sample.shape[1] > MAX_DIMENSIONS and sample.shape[0] > MAX_DIMENSIONS:
        from sklearn.decomposition import PCA

        pca = PCA(n_components=MAX_DIMENSIONS, random_state=seed)
        sample = pca.fit_transform(sample)
        notes.append(f"{x.shape[1]} features projected onto {MAX_DIMENSIONS} principal components "
                     f"({pca.explained_variance_ratio_.sum():.0%} of the variance)")
    return Context(sample, list(range(max(min_k, 2), top + 1)), seed, x.shape[0], notes)


class KEstimator:
    """Base class: subclasses set `name` and `criterion` and implement `_estimate`."""

    name = ""
    criterion = ""
    axis = "k"  # see KEstimate.axis
    values = ""  # see KEstimate.values

    def estimate(self, ctx: Context) -> KEstimate:
        start = time.perf_counter()
        k, curve, note = self._estimate(ctx)
        return KEstimate(self.name, None if k is None else int(k), curve, time.perf_counter() - start,
                         self.criterion, note, self.axis, self.values)

    def _estimate(self, ctx: Context) -> tuple[int | None, dict, str]:
        raise NotImplementedError


def best_of(curve: dict[int, float], greater: bool = True) -> int | None:
    """The k with the best finite value; ties go to the smaller k."""
    finite = {k: v for k, v in curve.items() if np.isfinite(v)}
    if not finite:
        return None
    sign = 1.0 if greater else -1.0
    return max(finite, key=lambda k: (sign * finite[k], -k))

