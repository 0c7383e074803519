"""The partitions worth comparing for one dataset, with the work shared where it can be.

Every registry algorithm that takes a matrix and runs at this size contributes: those that take
k at every k of `ks`, the others over a small grid of their main parameter. Sharing:
- the linkage methods (Ward, average, complete, single) build one tree each, cut at every k;
- Genie builds one tree, cut at every k (`genie_partitions`);
- spectral clustering builds one 10-nearest-neighbour affinity and one embedding of max(ks)
  eigenvectors; each k runs k-means on its first k of them (what `SpectralClustering` does with
  an embedding of k vectors);
- k-means, k-medians, the mixture and BIRCH fit once per k, through `fit_predict`.
Quadratic algorithms run on a sample of at most `SAMPLE_ROWS` rows, the sample every candidate
uses, so that all candidates partition the same rows; a sample wider than `MAX_DIMENSIONS`
columns is clustered on its leading principal components, as the k estimators do."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..algorithms import REGISTRY, fit_predict, names, runs_at
from ..errors import ClusterlabError
from ..sampling import subsample

SAMPLE_ROWS = 2_000
MAX_DIMENSIONS = 50  # wider samples are clustered on their leading principal components
LINKAGES = ("ward", "average", "complete", "single")
# The k-free algorithms' main parameter, as multiples of the data-driven default each chooses.
FREE_GRID = {"hdbscan": ("min_cluster_size", (0.5, 1.0, 2.0)), "dbscan": ("eps", (0.5, 1.0, 2.0))}
SKIPPED = {"minibatch_kmeans": "k-means itself runs at every size the candidates use",
           "kmedoids": "k-means and k-medians stand for the centroid family",
           "optics": "HDBSCAN stands for the density family", "meanshift": "its bandwidth is one setting",
           "affinity_propagation": "it chooses its own k by a preference with no grid here"}


@dataclass
class Candidate:
    algorithm: str
    k: int | None  # asked for; None for algorithms that find their own
    params: dict
    labels: np.ndarray  # on the candidates' rows
    seconds: float = 0.0
    note: str = ""

    @property
    def found_k(self) -> int:
        return int(np.unique(self.labels[self.labels >= 0]).size)

    @property
    def name(self) -> str:
        setting = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in self.params.items())
        return f"{self.algorithm} k={self.k}" if self.k is not None else f"{self.algorithm} ({setting or 'default'})"


@dataclass
class CandidateSet:
    rows: np.ndarray  # the dataset rows the candidates partition
    candidates: list[Candidate]
    skipped: dict = field(default_factory=dict)  # algorithm -> why it has no candidate
    projection: object | None = None  # the PCA the candidates ran in, for data wider than MAX_DIMENSIONS

    def space(self, x: np.ndarray) -> np.ndarray:
        """Rows of `x` in the space the candidates were found in."""
        x = np.asarray(x, dtype=np.float64)
        return self.projection.transform(x) if self.projection is not None else x


def generate(x: np.ndarray, ks, seed: int = 0, algorithms=None, sample_rows: int = SAMPLE_ROWS) -> CandidateSet:
    """Candidates for the matrix `x` at every k of `ks` (and the grids of k-free algorithms)."""
    x = np.asarray(x, dtype=np.float64)
    rows = subsample(x.shape[0], sample_rows, seed)
    xs, projection = x[rows], None
    if xs.shape[1] > MAX_DIMENSIONS:  # a mixture's covariances and every distance grow with d: as autok does
        from sklearn.decomposition import PCA

        projection = PCA(n_components=min(MAX_DIMENSIONS, xs.shape[0] - 1), random_state=seed).fit(xs)
        xs = projection.transform(xs)
    ks = [k for k in sorted(set(int(k) for k in ks)) if 2 <= k < xs.shape[0]]
    chosen = list(algorithms) if algorithms is not None else [a for a in names("matrix") if a not in SKIPPED]
    out, skipped = [], {a: why for a, why in SKIPPED.items() if algorithms is None}
    for name in chosen:
        if not runs_at(name, xs.shape[0]):
            skipped[name] = f"limited to {REGISTRY[name].max_n:,} rows"
            continue
        try:
            out.extend(_candidates_of(name, xs, ks, seed))
        except ClusterlabError as exc:
            skipped[name] = str(exc)
    return CandidateSet(rows, out, skipped, projection)


def _candidates_of(name: str, x: np.ndarray, ks: list[int], seed: int) -> list[Candidate]:
    if name in LINKAGES:
        return _tree_cuts(name, x, ks)
    if name == "genie":
        return _genie_cuts(x, ks)
    if name == "spectral":
        return _spectral(x, ks, seed)
    if name in FREE_GRID:
        return _free_grid(name, x, seed)
    if not REGISTRY[name].needs_k:
        return [_fit(name, x, None, seed)]
    return [_fit(name, x, k, seed) for k in ks]


def _fit(name: str, x, k, seed, **params) -> Candidate:
    result = fit_predict(name, x, k, seed=seed, **params)
    return Candidate(name, k, params, result.labels, result.seconds)


def _tree_cuts(method: str, x: np.ndarray, ks: list[int]) -> list[Candidate]:
    from scipy.cluster.hierarchy import cut_tree, linkage

    start = time.perf_counter()
    tree = linkage(x, method=method, metric="euclidean")
    cuts = cut_tree(tree, n_clusters=ks)
    seconds = (time.perf_counter() - start) / len(ks)
    return [Candidate(method, k, {}, cuts[:, i].astype(np.int64), seconds, "one tree, cut at every k")
            for i, k in enumerate(ks)]


def _genie_cuts(x: np.ndarray, ks: list[int]) -> list[Candidate]:
    from ..algorithms.genie import genie_partitions

    start = time.perf_counter()
    matrix = genie_partitions(x, max(ks), gini_threshold=REGISTRY["genie"].defaults.get("gini_threshold", 0.3))
    seconds = (time.perf_counter() - start) / len(ks)
    return [Candidate("genie", k, {}, matrix[k - 1], seconds, "one tree, cut at every k") for k in ks]


def _spectral(x: np.ndarray, ks: list[int], seed: int) -> list[Candidate]:
    from sklearn.cluster import KMeans
    from sklearn.manifold import spectral_embedding
    from sklearn.neighbors import kneighbors_graph

    defaults = REGISTRY["spectral"].defaults
    start = time.perf_counter()
    graph = kneighbors_graph(x, n_neighbors=min(defaults["n_neighbors"], x.shape[0] - 1), include_self=True)
    affinity = 0.5 * (graph + graph.T)
    maps = spectral_embedding(affinity, n_components=max(ks), random_state=seed, drop_first=False)
    shared = time.perf_counter() - start
    out = []
    for k in ks:
        start = time.perf_counter()
        labels = KMeans(k, n_init=defaults["n_init"], random_state=seed).fit_predict(maps[:, :k])
        out.append(Candidate("spectral", k, {}, labels.astype(np.int64), shared / len(ks) + time.perf_counter() - start,
                             "one graph and embedding, k-means on its first k vectors"))
    return out


def _free_grid(name: str, x: np.ndarray, seed: int) -> list[Candidate]:
    """The algorithm at its data-driven default and at multiples of it."""
    base = fit_predict(name, x, None, seed=seed)
    param, factors = FREE_GRID[name]
    chosen = base.params[param]
    out = [Candidate(name, None, {param: chosen}, base.labels, base.seconds, "the data-driven default")]
    for f in factors:
        if f == 1.0:
            continue
        value = max(2, int(round(chosen * f))) if isinstance(chosen, (int, np.integer)) else float(chosen) * f
        out.append(_fit(name, x, None, seed, **{param: value}))
    return out
