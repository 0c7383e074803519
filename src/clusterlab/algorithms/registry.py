"""The one list of clustering algorithms. Everything else reads it.

Each entry is an `AlgorithmSpec`; `fit_predict` is the single way to run one: it validates
k and parameters up front, refuses sizes that would exhaust memory, and returns the labels
with the parameters actually used.
"""

from __future__ import annotations

import inspect
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import DataError, NotFoundError, ParameterError, TooLargeError
from .spec import INPUTS, AlgorithmSpec


def _kmeans(k, seed, pre, p):
    from sklearn.cluster import KMeans
    return KMeans(n_clusters=k, random_state=seed, **p)


def _minibatch(k, seed, pre, p):
    from sklearn.cluster import MiniBatchKMeans
    return MiniBatchKMeans(n_clusters=k, random_state=seed, **p)


def _kmedians(k, seed, pre, p):
    from .kmedians import KMedians
    return KMedians(n_clusters=k, random_state=seed, **p)


def _kmedoids(k, seed, pre, p):
    import kmedoids
    return kmedoids.KMedoids(n_clusters=k, metric="precomputed" if pre else "euclidean",
                             random_state=seed, **p)


def _linkage(linkage):
    def factory(k, seed, pre, p):
        from sklearn.cluster import AgglomerativeClustering
        return AgglomerativeClustering(n_clusters=k, linkage=linkage,
                                       metric="precomputed" if pre else "euclidean", **p)
    return factory


def _spectral(k, seed, pre, p):
    from sklearn.cluster import SpectralClustering
    return SpectralClustering(n_clusters=k, random_state=seed, **p)


def _gmm(k, seed, pre, p):
    from sklearn.mixture import GaussianMixture
    return GaussianMixture(n_components=k, random_state=seed, **p)


def _birch(k, seed, pre, p):
    from .defaults import AutoBirch
    return AutoBirch(n_clusters=k, random_state=seed, **p)


def _dbscan(k, seed, pre, p):
    from .defaults import AutoDBSCAN
    return AutoDBSCAN(metric="precomputed" if pre else "euclidean", random_state=seed, **p)


def _hdbscan(k, seed, pre, p):
    from .defaults import AutoHDBSCAN
    return AutoHDBSCAN(metric="precomputed" if pre else "euclidean", **p)


def _optics(k, seed, pre, p):
    from .defaults import AutoOPTICS
    return AutoOPTICS(metric="precomputed" if pre else "minkowski", **p)


def _meanshift(k, seed, pre, p):
    from .defaults import AutoMeanShift
    return AutoMeanShift(random_state=seed, **p)


def _affinity(k, seed, pre, p):
    if pre:
        from .defaults import PrecomputedAffinityPropagation
        return PrecomputedAffinityPropagation(random_state=seed, **p)
    from sklearn.cluster import AffinityPropagation
    return AffinityPropagation(random_state=seed, **p)


def _gower_kmedoids(k, seed, pre, p):
    from .mixed import GowerKMedoids
    return GowerKMedoids(n_clusters=k, random_state=seed, **p)


def _gower_average(k, seed, pre, p):
    from .mixed import GowerAverage
    return GowerAverage(n_clusters=k, **p)


def _gower_hdbscan(k, seed, pre, p):
    from .mixed import GowerHDBSCAN
    return GowerHDBSCAN(**p)


def _kprototypes(k, seed, pre, p):
    from .mixed import KPrototypes
    return KPrototypes(n_clusters=k, random_state=seed, **p)


def _genie(k, seed, pre, p):
    from .genie import Genie
    return Genie(n_clusters=k, metric="precomputed" if pre else "l2", **p)


_SPECS = [
    AlgorithmSpec("kmeans", "centroid", True, False, "linear", _kmeans,
                  "k-means (Lloyd, k-means++ seeding, best of 10 starts)", {"n_init": 10}, tags=("clustrecnet",)),
    AlgorithmSpec("kmedians", "centroid", True, False, "linear", _kmedians,
                  "k-medians: L1 distance, coordinate-wise medians (clusterlab)", {"n_init": 5},
                  library="clusterlab", tags=("clustrecnet",)),
    AlgorithmSpec("kmedoids", "centroid", True, True, "quadratic", _kmedoids,
                  "k-medoids by FasterPAM on the full distance matrix", {"method": "fasterpam", "init": "build"},
                  max_n=20_000, alternative=("kmeans", "minibatch_kmeans"), library="kmedoids"),
    AlgorithmSpec("minibatch_kmeans", "centroid", True, False, "linear", _minibatch,
                  "mini-batch k-means, for large n", {"n_init": 3, "batch_size": 2048}),
    AlgorithmSpec("ward", "hierarchical", True, False, "quadratic", _linkage("ward"),
                  "agglomerative, Ward's minimum variance", max_n=20_000, alternative=("genie", "birch"), tags=("clustrecnet",)),
    AlgorithmSpec("average", "hierarchical", True, True, "quadratic", _linkage("average"),
                  "agglomerative, average linkage (UPGMA)", max_n=20_000, alternative=("genie",)),
    AlgorithmSpec("complete", "hierarchical", True, True, "quadratic", _linkage("complete"),
                  "agglomerative, complete linkage", max_n=20_000, alternative=("genie",), tags=("clustrecnet",)),
    AlgorithmSpec("single", "hierarchical", True, True, "quadratic", _linkage("single"),
                  "agglomerative, single linkage (minimum spanning tree)", max_n=50_000,
                  alternative=("genie", "hdbscan")),
    AlgorithmSpec("genie", "hierarchical", True, True, "n log n", _genie,
                  "Genie: MST-based linkage with a Gini-index cap on cluster inequality",
                  {"gini_threshold": 0.3}, library="genieclust"),
    AlgorithmSpec("spectral", "graph", True, False, "quadratic", _spectral,
                  "spectral clustering on a 10-nearest-neighbour graph",
                  {"affinity": "nearest_neighbors", "n_neighbors": 10, "assign_labels": "kmeans", "n_init": 10},
                  max_n=50_000, alternative=("genie", "kmeans"), tags=("clustrecnet",)),
    AlgorithmSpec("gmm", "model", True, False, "linear", _gmm,
                  "Gaussian mixture, full covariances, EM from k-means", {"covariance_type": "full", "n_init": 2,
                                                                          "reg_covar": 1e-6}, tags=("clustrecnet",)),
    AlgorithmSpec("birch", "hierarchical", True, False, "linear", _birch,
                  "BIRCH: CF-tree summary (radius from the data), then Ward on the subclusters", max_n=100_000,
                  alternative=("minibatch_kmeans",), tags=("clustrecnet",)),
    AlgorithmSpec("dbscan", "density", False, True, "n log n", _dbscan,
                  "DBSCAN; min_samples = 2 x dim in [5, 20], eps at the knee of the k-distance curve",
                  noise=True, tags=("clustrecnet",)),
    AlgorithmSpec("hdbscan", "density", False, True, "n log n", _hdbscan,
                  "HDBSCAN; min_cluster_size = sqrt(n)/2, at least 5", noise=True, tags=("clustrecnet",)),
    AlgorithmSpec("optics", "density", False, True, "quadratic", _optics,
                  "OPTICS, xi-steep extraction (xi 0.2, clusters >= 5 % of n)", max_n=20_000,
                  alternative=("hdbscan",), noise=True, tags=("clustrecnet",)),
    AlgorithmSpec("meanshift", "density", False, False, "quadratic", _meanshift,
                  "mean shift; bandwidth from the 20 % quantile of pairwise distances, binned seeds",
                  max_n=100_000, alternative=("hdbscan",)),
    AlgorithmSpec("affinity_propagation", "exemplar", False, True, "quadratic", _affinity,
                  "affinity propagation, median preference, damping 0.9",
                  {"damping": 0.9, "max_iter": 500}, max_n=5_000, alternative=("kmedoids", "hdbscan")),
    # Mixed tables (numbers, categories, blanks), on Gower distance: prep.gower, algorithms.mixed.
    AlgorithmSpec("gower_kmedoids", "centroid", True, False, "linear", _gower_kmedoids,
                  "k-medoids (FasterPAM) on Gower distance, k by medoid silhouette when not given; "
                  "CLARA-style samples above 4,000 rows", library="kmedoids", input="table", k_optional=True),
    AlgorithmSpec("gower_average", "hierarchical", True, False, "quadratic", _gower_average,
                  "average linkage on the full Gower matrix", max_n=20_000,
                  alternative=("gower_kmedoids",), library="scipy", input="table"),
    AlgorithmSpec("kprototypes", "centroid", True, False, "linear", _kprototypes,
                  "k-prototypes (Huang): standardised numbers plus weighted category mismatches",
                  {"n_init": 3}, library="kmodes", input="table"),
    AlgorithmSpec("gower_hdbscan", "density", False, False, "quadratic", _gower_hdbscan,
                  "HDBSCAN on the full Gower matrix; min_cluster_size = sqrt(n)/2, at least 5",
                  max_n=15_000, alternative=("gower_kmedoids",), noise=True, input="table"),
]

REGISTRY: dict[str, AlgorithmSpec] = {s.name: s for s in _SPECS}
# What runs when nothing better can be chosen for an input: the scalable, well-understood one.
DEFAULTS = {"matrix": "kmeans", "table": "gower_kmedoids"}


def _check_registry() -> None:
    """Every name the registry refers to is registered, and each alternative scales further."""
    for spec in _SPECS:
        for other in spec.alternative or ():
            alt = REGISTRY.get(other)
            assert alt is not None and alt.input == spec.input, f"{spec.name}: alternative {other!r}"
            assert alt.max_n is None or alt.max_n > (spec.max_n or 0), f"{spec.name}: {other} does not scale further"
    assert all(REGISTRY[name].input == kind for kind, name in DEFAULTS.items())


_check_registry()
_ALIASES = {"k-means": "kmeans", "k-medians": "kmedians", "k-medoids": "kmedoids", "pam": "kmedoids",
            "mini-batch-kmeans": "minibatch_kmeans", "minibatch": "minibatch_kmeans", "gaussian_mixture": "gmm",
            "mean_shift": "meanshift", "ap": "affinity_propagation", "affinity": "affinity_propagation"}


def names(input: str | None = None, tag: str | None = None) -> list[str]:
    """Registered algorithm names, in registry order; `input="matrix"` or `"table"` keeps those
    that take that input, `tag` those that carry the tag."""
    if input is not None and input not in INPUTS:
        raise ParameterError(f"input={input!r} is not allowed; choose one of: {', '.join(INPUTS)}")
    return [n for n, s in REGISTRY.items() if (input is None or s.input == input) and (tag is None or tag in s.tags)]


def runs_at(name: str, n: int) -> bool:
    """Whether the algorithm accepts n rows (quadratic ones have a limit)."""
    limit = REGISTRY[name].max_n
    return limit is None or n <= limit


def scalable_alternative(name: str, n: int) -> str:
    """The algorithm to run instead of `name` at n rows: itself where it runs at n, else the
    first of its alternatives that does (the input's default when none does)."""
    spec = get(name)
    for candidate in (spec.name, *(spec.alternative or ())):
        if runs_at(candidate, n):
            return candidate
    return DEFAULTS[spec.input]


def get(name: str) -> AlgorithmSpec:
    key = name.strip().lower().replace(" ", "_")
    key = _ALIASES.get(key, _ALIASES.get(key.replace("_", "-"), key))
    if key not in REGISTRY:
        raise NotFoundError(f"unknown algorithm {name!r}; choose one of: {', '.join(REGISTRY)}")
    return REGISTRY[key]


@dataclass
class ClusterResult:
    algorithm: str
    labels: np.ndarray
    params: dict[str, Any]
    seconds: float
    estimator: Any = field(repr=False, default=None)

    @property
    def n_clusters(self) -> int:
        return int(np.unique(self.labels[self.labels >= 0]).size)

    @property
    def n_noise(self) -> int:
        return int((self.labels < 0).sum())


def _allowed_params(spec: AlgorithmSpec) -> set[str]:
    est = spec.factory(2 if spec.needs_k else None, 0, False, {})
    fixed = {"n_clusters", "n_components", "random_state", "metric", "affinity_precomputed"}
    return set(est.get_params(deep=False)) - fixed


def make_estimator(name: str, k: int | None = None, *, seed: int = 0, precomputed: bool = False,
                   **params) -> Any:
    """An unfitted estimator for `name`, with registry defaults, `params` on top."""
    spec = get(name)
    if spec.needs_k and k is None and not spec.k_optional:
        raise ParameterError(f"{spec.name} needs the number of clusters: pass k (--k on the command line)")
    if precomputed and not spec.precomputed:
        takes = [s.name for s in REGISTRY.values() if s.precomputed]
        raise ParameterError(f"{spec.name} cannot take a precomputed distance; these can: {', '.join(takes)}")
    unknown = set(params) - _allowed_params(spec)
    if unknown:
        raise ParameterError(f"{spec.name} has no parameter {', '.join(sorted(unknown))}; "
                             f"it takes: {', '.join(sorted(_allowed_params(spec)))}")
    return spec.factory(k if spec.needs_k else None, seed, precomputed, {**spec.defaults, **params})


SEED_MAX = 2**32 - 1  # numpy and scikit-learn take seeds in [0, 2^32 - 1]


def check_seed(seed) -> None:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= SEED_MAX:
        raise ParameterError(f"seed must be a whole number from 0 to {SEED_MAX:,}, got {seed!r}")


def distinct_rows(x: np.ndarray) -> int:
    """How many different rows a matrix holds, from one random projection (two different rows
    meet there with probability zero): a matrix-vector product, not a sort of whole rows."""
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    direction = np.random.default_rng(0).normal(size=x.shape[1])
    return int(np.unique(x @ direction).size)


def _is_frame(x) -> bool:
    """A pandas DataFrame, without importing pandas (listing the registry stays fast): one
    can exist only where pandas was imported already."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(x, pandas.DataFrame)


def check_input(x, spec: AlgorithmSpec, k: int | None, precomputed: bool,
                ignore_limits: bool = False) -> None:
    if spec.input == "table":
        from ..prep.gower import GowerData
        if not (_is_frame(x) or isinstance(x, GowerData)):
            raise DataError(f"{spec.name} clusters tables on Gower distance: pass a pandas DataFrame, "
                            f"not a {type(x).__name__}")
        n = x.n if isinstance(x, GowerData) else x.shape[0]
        _check_k_and_size(spec, k, n, ignore_limits)
        return
    if spec.input == "matrix" and _is_frame(x):
        raise DataError(f"{spec.name} needs a numeric matrix; encode the table first (prep.encode) "
                        f"or use a table algorithm: {', '.join(names('table'))}")
    if x.ndim != 2:
        raise DataError(f"expected a 2-D matrix of rows x features, got shape {x.shape}")
    n = x.shape[0]
    if precomputed and x.shape[0] != x.shape[1]:
        raise DataError(f"a precomputed distance matrix must be square, got {x.shape}")
    if not np.isfinite(x).all():
        bad = np.argwhere(~np.isfinite(x))[0]
        raise DataError(f"the matrix holds a non-finite value (NaN or infinity) at row {bad[0]}, column {bad[1]}")
    _check_k_and_size(spec, k, n, ignore_limits)
    if spec.needs_k and k is not None and not precomputed:
        distinct = distinct_rows(x)
        if distinct == 1:
            raise DataError(f"all {n:,} rows are identical: there is nothing to cluster")
        if k > distinct:
            raise ParameterError(f"k={k} exceeds the number of distinct rows ({distinct:,} of {n:,}); "
                                 f"choose k <= {distinct}")


def _check_k_and_size(spec: AlgorithmSpec, k: int | None, n: int, ignore_limits: bool) -> None:
    if n < 2:
        raise DataError(f"only {n} row{'s' if n != 1 else ''}: clustering needs at least 2")
    if spec.needs_k and not (k is None and spec.k_optional):
        if k is None:
            raise ParameterError(f"{spec.name} needs the number of clusters: pass k (--k on the command line)")
        if not isinstance(k, (int, np.integer)) or k < 2:
            raise ParameterError(f"k must be an integer of at least 2, got {k!r}")
        if k > n:
            raise ParameterError(f"k={k} exceeds the number of rows ({n}); choose k <= {n}")
    if spec.max_n is not None and n > spec.max_n and not ignore_limits:
        raise TooLargeError(
            f"{spec.name} needs {'an n x n matrix' if spec.cost == 'quadratic' else 'quadratic time'} "
            f"and is limited to {spec.max_n:,} rows (this data has {n:,}); use {' or '.join(spec.alternative)} instead"
        )


def fit_predict(name: str, x: np.ndarray, k: int | None = None, *, seed: int = 0, precomputed: bool = False,
                ignore_limits: bool = False, **params) -> ClusterResult:
    """Run one registered algorithm on a matrix (or a precomputed distance matrix)."""
    spec = get(name)
    check_seed(seed)
    if spec.input == "matrix" and not _is_frame(x):
        x = np.asarray(x)
    check_input(x, spec, k, precomputed, ignore_limits)
    est = make_estimator(spec.name, k, seed=seed, precomputed=precomputed, **params)
    start = time.perf_counter()
    try:
        labels = np.asarray(est.fit_predict(x), dtype=np.int64)
    except Exception as exc:  # a parameter value scikit-learn refuses (its own check runs at fit time)
        if type(exc).__name__ != "InvalidParameterError":
            raise
        raise ParameterError(f"{spec.name}: {str(exc).splitlines()[0]}") from None
    seconds = time.perf_counter() - start
    used = {p: v for p, v in est.get_params(deep=False).items() if not inspect.isclass(v)}
    used.update({a.rstrip("_"): _plain(getattr(est, a)) for a in vars(est)
                 if a.endswith("_") and not a.endswith("__") and a.rstrip("_") in used})
    return ClusterResult(spec.name, labels, used, seconds, est)


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
