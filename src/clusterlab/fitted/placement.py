"""How a fitted clustering places a row it has not seen, as plain data, and when a row is too far
from every cluster to belong to one.

The rule is read off the fitted estimator by what it holds, not by its name:

- `mixture`: a Gaussian mixture's weights, means and precision factors; the cluster of highest
  posterior probability (what `GaussianMixture.predict` computes), confidence that posterior.
- `centres`: centres with a cluster each (k-means centres; BIRCH's subclusters with their
  cluster; mean shift's modes), the nearest under Euclidean or L1 distance, whichever
  reproduces the training labels better (k-medians places by L1).
- `medoids`: Gower distance to the medoids of a mixed table.
- `nearest`: for a partition without a rule of its own (linkage trees, spectral, density),
  the label of the nearest training row (all of them up to `MAX_REFERENCE` rows, else a sample
  stratified by cluster), as its training rows keep their labels.

Confidence is the posterior for a mixture, else the centroid margin 1 - d_own / d_next against
the clusters' means in the clustering space (the medoids' for Gower), as labels.csv states it.

Outliers: every cluster has a fence, Q3 + 3 IQR (Tukey's "far out") of its training rows'
distances to their own centre, medoid or nearest other training row (a mixture: of the negative
log-density); a row is an outlier when it lies beyond the fence of every cluster (for a mixture,
beyond the one fence; noise rows of a density clustering are outliers too). Clusters of fewer
than `MIN_FENCE_ROWS` rows take the fence of all rows together."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import DataError
from ..sampling import stratified_subsample

RULES = {"mixture": ("weights", "means", "precision_factors"), "centres": ("centres", "centre_labels", "cluster_means"),
         "medoids": ("medoid.numeric", "medoid.codes"), "nearest": ("reference_labels",)}  # rule -> arrays it reads
MAX_REFERENCE = 50_000  # training rows a nearest-row rule keeps
MIN_FENCE_ROWS = 20
FENCE = "Q3 + 3 IQR of the training rows' distances to their own cluster"
CHUNK = 8_192


@dataclass
class Placed:
    labels: np.ndarray  # -1: the nearest training row was noise
    confidence: np.ndarray
    outlier: np.ndarray  # bool
    score: np.ndarray  # distance over the nearest fence (> 1: outlier); a mixture: -log density over its fence


@dataclass
class Placement:
    rule: str
    metric: str  # "euclidean", "l1" or "gower"
    arrays: dict[str, np.ndarray] = field(repr=False)
    agreement: float = 1.0  # share of training rows the rule gives back their label
    info: dict = field(default_factory=dict)
    training: Placed | None = field(default=None, repr=False)  # the training rows as placed (not saved)

    def to_json(self) -> dict:
        return {"rule": self.rule, "metric": self.metric, "agreement": self.agreement, "outlier_rule": FENCE
                if self.rule != "mixture" else "Q3 + 3 IQR of the training rows' negative log-density", **self.info}

    @classmethod
    def from_json(cls, data: dict, arrays: dict[str, np.ndarray]) -> "Placement":
        info = {k: v for k, v in data.items() if k not in ("rule", "metric", "agreement", "outlier_rule")}
        if data["rule"] not in RULES:
            raise DataError(f"unknown placement rule {data['rule']!r}; this clusterlab knows {', '.join(RULES)}")
        lacking = [a for a in ("cluster_ids", "fences", *RULES[data["rule"]]) if a not in arrays]
        if lacking:
            raise DataError(f"the model's arrays lack {', '.join(lacking)}, which its {data['rule']} rule needs")
        return cls(str(data["rule"]), str(data["metric"]), dict(arrays), float(data["agreement"]), info)

    def place(self, x) -> Placed:
        """Labels, confidence and outlier flags of new rows (in the clustering space, or Gower-encoded)."""
        return _place(self, x)


# -- reading the rule off a fitted estimator ---------------------------------------------------
def placement_of(estimator, x, labels: np.ndarray, seed: int = 0, reference: np.ndarray | None = None
                 ) -> Placement:
    """The rule that places new rows like `estimator` placed the training rows `x`; `reference`:
    the rows whose nearest one labelled the others, where that is how the partition was made."""
    labels = np.asarray(labels, dtype=np.int64)
    inner = getattr(estimator, "model_", None)  # clusterlab's data-driven wrappers hold the fitted estimator
    found = [e for e in (estimator, inner) if e is not None]
    for e in found:
        if hasattr(e, "medoids_") and hasattr(e.medoids_, "codes"):
            return _finish(Placement("medoids", "gower", _gower_arrays(e.medoids_, "medoid")), x, labels)
        if all(hasattr(e, a) for a in ("weights_", "means_", "precisions_cholesky_", "covariance_type")):
            return _finish(_mixture(e), x, labels)
    x = np.asarray(x, dtype=np.float64) if not hasattr(x, "codes") else x
    for e in found:
        centres = getattr(e, "subcluster_centers_", getattr(e, "cluster_centers_", None))
        if centres is None or not hasattr(e, "predict") or hasattr(x, "codes"):
            continue
        centres = np.asarray(centres, dtype=np.float64)
        of = np.asarray(getattr(e, "subcluster_labels_", np.arange(len(centres))), dtype=np.int64)
        if centres.ndim != 2 or centres.shape[1] != x.shape[1] or not set(labels[labels >= 0]) <= set(of.tolist()):
            continue  # centres of a precomputed distance (not points of this space), or of other clusters
        tries = [Placement("centres", m, {"centres": centres, "centre_labels": of}) for m in ("euclidean", "l1")]
        best = max(tries, key=lambda p: _agreement(p, x, labels))
        if _agreement(best, x, labels) >= 0.9:
            return _finish(best, x, labels)
    return _finish(_nearest(x, labels, seed, reference), x, labels)


def _agreement(p: Placement, x, labels) -> float:
    return float(np.mean(_centre_labels(p, x) == labels))


def _mixture(e) -> Placement:
    k, d = e.means_.shape
    p = np.asarray(e.precisions_cholesky_, dtype=np.float64)
    kind = e.covariance_type  # every kind becomes k upper-triangular d x d factors
    chol = {"full": lambda: p, "tied": lambda: np.repeat(p[None], k, axis=0),
            "diag": lambda: np.stack([np.diag(r) for r in p]),
            "spherical": lambda: np.stack([np.eye(d) * s for s in p])}[kind]()
    return Placement("mixture", "euclidean", {"weights": np.asarray(e.weights_, np.float64),
                                              "means": np.asarray(e.means_, np.float64), "precision_factors": chol},
                     info={"covariance_type": kind})


def _nearest(x, labels: np.ndarray, seed: int, reference: np.ndarray | None = None) -> Placement:
    n = labels.size
    if reference is not None:
        keep = np.sort(np.asarray(reference))
    else:
        keep = np.arange(n) if n <= MAX_REFERENCE else np.sort(stratified_subsample(labels, MAX_REFERENCE, seed))
    if hasattr(x, "codes"):
        arrays = _gower_arrays(x.take(keep), "reference")
        metric = "gower"
    else:
        arrays, metric = {"reference": np.asarray(x, np.float64)[keep]}, "euclidean"
    arrays["reference_labels"] = labels[keep]
    info = {"reference_rows": int(keep.size), "training_rows": int(n)}
    return Placement("nearest", metric, arrays, info=info)


def _gower_arrays(g, prefix: str) -> dict:
    return {f"{prefix}.numeric": g.numeric, f"{prefix}.codes": g.codes}


def _finish(p: Placement, x, labels: np.ndarray) -> Placement:
    """The means for the confidence margin and the fences, both measured on the training rows."""
    ids = np.unique(labels[labels >= 0])
    p.arrays["cluster_ids"] = ids
    if p.metric != "gower":
        xs = np.asarray(x, dtype=np.float64)
        p.arrays["cluster_means"] = (np.stack([xs[labels == c].mean(axis=0) for c in ids]) if ids.size
                                     else np.zeros((0, xs.shape[1])))
    raw = _distances(p, x, training=True)
    own = raw.own
    if raw.per_cluster is not None and ids.size:  # a training row's distance to its own cluster
        own = raw.per_cluster[np.arange(labels.size), np.clip(np.searchsorted(ids, labels), 0, ids.size - 1)]
    fences = np.full(ids.size, _fence(own[labels >= 0]))
    if p.rule != "mixture":
        for j, c in enumerate(ids):
            values = own[labels == c]
            if values.size >= MIN_FENCE_ROWS:
                fences[j] = _fence(values)
    p.arrays["fences"] = np.maximum(fences, 1e-12)
    # A nearest-row rule measures a training row against the others, a new row against all.
    p.training = _place(p, x, None if p.rule == "nearest" else raw)
    p.agreement = float(np.mean(p.training.labels == labels))
    return p


def _fence(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return np.inf
    q1, q3 = np.quantile(values, [0.25, 0.75])
    return float(q3 + 3.0 * (q3 - q1))


# -- applying a rule ---------------------------------------------------------------------------
@dataclass
class _Raw:
    labels: np.ndarray
    own: np.ndarray  # the distance (or -log density) the fence is measured on
    per_cluster: np.ndarray | None  # n x k distances to each cluster, where the rule has them
    posterior: np.ndarray | None = None


def _pairwise(a: np.ndarray, b: np.ndarray, metric: str) -> np.ndarray:
    from sklearn.metrics import pairwise_distances

    return pairwise_distances(a, b, metric="manhattan" if metric == "l1" else "euclidean")


def _centre_labels(p: Placement, x) -> np.ndarray:
    return _distances(p, x).labels


def _distances(p: Placement, x, training: bool = False) -> _Raw:
    a = p.arrays
    if p.rule == "mixture":
        return _mixture_raw(a, np.asarray(x, dtype=np.float64))
    if p.rule == "nearest":
        return _nearest_raw(p, x, training)
    if p.rule == "medoids":
        from ..prep.gower import gower_matrix

        medoids = _gower_like(x, a, "medoid")
        # A row that shares no observed column with a medoid is as far from it as Gower allows.
        d = np.nan_to_num(np.asarray(gower_matrix(x, medoids), dtype=np.float64), nan=1.0)
        return _Raw(d.argmin(axis=1), d.min(axis=1), d)
    x = np.asarray(x, dtype=np.float64)
    ids, of = a.get("cluster_ids"), a["centre_labels"]
    labels, own, per = np.empty(len(x), np.int64), np.empty(len(x)), None
    if ids is not None:
        per = np.empty((len(x), ids.size))
    for s in range(0, len(x), CHUNK):
        d = _pairwise(x[s:s + CHUNK], a["centres"], p.metric)
        labels[s:s + CHUNK] = of[d.argmin(axis=1)]
        own[s:s + CHUNK] = d.min(axis=1)
        if per is not None:  # a cluster of several centres (BIRCH) is as near as its nearest one
            per[s:s + CHUNK] = np.stack([d[:, of == c].min(axis=1) for c in ids], axis=1)
    return _Raw(labels, own, per)


def _mixture_raw(a, x) -> _Raw:
    means, chol, weights = a["means"], a["precision_factors"], a["weights"]
    d = means.shape[1]
    log_det = np.log(np.abs(np.diagonal(chol, axis1=1, axis2=2))).sum(axis=1)
    log_prob = np.empty((len(x), len(weights)))
    for c in range(len(weights)):
        y = x @ chol[c] - means[c] @ chol[c]
        log_prob[:, c] = -0.5 * (d * np.log(2 * np.pi) + (y * y).sum(axis=1)) + log_det[c]
    weighted = log_prob + np.log(weights)
    top = weighted.max(axis=1, keepdims=True)
    total = top[:, 0] + np.log(np.exp(weighted - top).sum(axis=1))
    posterior = np.exp(weighted - total[:, None])
    return _Raw(weighted.argmax(axis=1), -total, None, posterior)


def _nearest_raw(p: Placement, x, training: bool) -> _Raw:
    a = p.arrays
    ref_labels = a["reference_labels"]
    if p.metric == "gower":
        from ..prep.gower import gower_matrix

        ref = _gower_like(x, a, "reference")
        index, dist = [], []
        for s in range(0, x.n, 2_000):
            d = np.asarray(gower_matrix(x.take(slice(s, s + 2_000)), ref), dtype=np.float64)
            d = np.where(np.isnan(d), np.inf, d)
            order = np.argsort(d, axis=1)[:, :2]
            index.append(order)
            dist.append(np.take_along_axis(d, order, axis=1))
        index, dist = np.vstack(index), np.vstack(dist)
    else:
        from sklearn.neighbors import NearestNeighbors

        ref = a["reference"]
        dist, index = NearestNeighbors(n_neighbors=min(2, len(ref))).fit(ref).kneighbors(np.asarray(x, np.float64))
    labels = ref_labels[index[:, 0]]
    # A training row finds itself at distance 0: its fence distance is to the nearest other row.
    own = dist[:, 1] if training and dist.shape[1] > 1 else dist[:, 0]
    return _Raw(labels, own, None)


def _gower_like(x, a, prefix: str):
    from ..prep.gower import GowerData

    return GowerData(a[f"{prefix}.numeric"], a[f"{prefix}.codes"], x.inv_range, x.numeric_weights, x.code_weights,
                     x.asymmetric, x.numeric_names, x.code_names, x.levels, x.ordinal_levels)


def _margin(per: np.ndarray, labels: np.ndarray, ids: np.ndarray) -> np.ndarray:
    out = np.full(len(labels), np.nan)
    if ids.size < 2:
        out[labels >= 0] = 1.0
        return out
    pos = np.clip(np.searchsorted(ids, labels), 0, ids.size - 1)
    rows = np.arange(len(labels))
    own = per[rows, pos]
    rest = per.copy()
    rest[rows, pos] = np.inf
    other = rest.min(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.where(other > 0, 1.0 - own / other, 0.0)
    return np.where(labels >= 0, m, np.nan)


def _place(p: Placement, x, raw: _Raw | None = None) -> Placed:
    a = p.arrays
    raw = _distances(p, x) if raw is None else raw
    ids, fences = a["cluster_ids"], a["fences"]
    labels = raw.labels
    if p.rule == "mixture":
        score = raw.own / fences[0] if fences.size else np.zeros(len(labels))
        return Placed(labels, raw.posterior.max(axis=1), score > 1, score)
    if p.rule == "nearest":
        pos = np.clip(np.searchsorted(ids, labels), 0, max(ids.size - 1, 0))
        score = raw.own / fences[pos] if ids.size else np.full(len(labels), np.inf)
        score = np.where(labels >= 0, score, np.inf)
    else:
        score = (raw.per_cluster / fences[None]).min(axis=1)
    if p.rule == "medoids":  # the medoid silhouette, as the mixed job states it
        from ..algorithms.mixed import medoid_silhouette

        confidence = medoid_silhouette(raw.per_cluster)[1]
    elif p.metric == "gower":  # nearest Gower row: no centres to measure a margin against
        confidence = np.full(len(labels), np.nan)
    else:
        per = np.vstack([_pairwise(np.asarray(x, np.float64)[s:s + CHUNK], a["cluster_means"], "euclidean")
                         for s in range(0, len(labels), CHUNK)]) if ids.size else np.zeros((len(labels), 0))
        confidence = _margin(per, labels, ids)
    return Placed(labels, confidence, score > 1, score)


