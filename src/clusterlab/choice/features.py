"""What can be said of each candidate partition without labels: the judge's inputs.

Per candidate: its k and how its sizes spread, the share it leaves as noise, internal indices
(silhouette on one shared distance matrix of the candidates' rows, Calinski-Harabasz,
Davies-Bouldin), how much the other candidates agree with it (mean and best ARI with them), and
the same indices relative to the dataset's other candidates (a judge compares within a dataset).
Per dataset, passed in by the caller: meta-features, the auto-k consensus's votes, the
recommender's expected ARI per algorithm."""

from __future__ import annotations

import numpy as np

from ..metrics import calinski_harabasz, davies_bouldin, pairwise_ari, silhouette
from .candidates import CandidateSet

OWN = ("k", "log_k", "noise_share", "size_entropy", "smallest_share", "largest_share", "silhouette",
       "log_calinski_harabasz", "davies_bouldin", "agreement_mean", "agreement_best_other_algorithm")
RELATIVE = ("silhouette_rank", "silhouette_gap", "log_calinski_harabasz_rank", "davies_bouldin_rank",
            "agreement_rank")
CONTEXT = ("consensus_vote", "log_k_over_consensus", "recommender_ari")
FEATURES = OWN + RELATIVE + CONTEXT


def _sizes(labels: np.ndarray) -> dict:
    kept = labels[labels >= 0]
    n = labels.size
    if kept.size == 0:
        return {"noise_share": 1.0, "size_entropy": 0.0, "smallest_share": 0.0, "largest_share": 0.0}
    counts = np.bincount(np.unique(kept, return_inverse=True)[1])
    p = counts / counts.sum()
    entropy = float(-(p * np.log(p)).sum() / np.log(len(p))) if len(p) > 1 else 0.0
    return {"noise_share": 1.0 - kept.size / n, "size_entropy": entropy, "smallest_share": counts.min() / n,
            "largest_share": counts.max() / n}


def _rank(values: np.ndarray, greater: bool = True) -> np.ndarray:
    """Each value's place among the dataset's candidates, in [0, 1] (1: the best); NaN last."""
    v = np.where(np.isfinite(values), values, -np.inf if greater else np.inf)
    order = np.argsort(-v if greater else v, kind="stable")
    ranks = np.empty(len(v))
    ranks[order] = np.arange(len(v))
    return 1.0 - ranks / max(len(v) - 1, 1)


def candidate_features(x: np.ndarray, cset: CandidateSet, consensus_votes: dict | None = None,
                       consensus_k: int | None = None, recommender: dict | None = None, seed: int = 0,
                       agreement: np.ndarray | None = None) -> list[dict]:
    """One dict of FEATURES per candidate of `cset` (on its rows of `x`); `agreement` is the
    candidates' `pairwise_ari` where the caller has it already."""
    from sklearn.metrics import pairwise_distances

    xs = cset.space(np.asarray(x, dtype=np.float64)[cset.rows])
    distances = pairwise_distances(xs)
    rows = []
    for c in cset.candidates:
        k = c.found_k
        row = {"k": k, "log_k": np.log(max(k, 1)), **_sizes(c.labels)}
        if k >= 2:
            row["silhouette"] = silhouette(distances, c.labels, sample_size=None, precomputed=True, seed=seed)
            kept = c.labels >= 0
            row["log_calinski_harabasz"] = float(np.log1p(max(calinski_harabasz(xs[kept], c.labels[kept]), 0.0)))
            row["davies_bouldin"] = davies_bouldin(xs[kept], c.labels[kept])
        else:
            row.update(silhouette=np.nan, log_calinski_harabasz=np.nan, davies_bouldin=np.nan)
        rows.append(row)
    m = len(cset.candidates)
    if agreement is None:
        agreement = pairwise_ari([c.labels for c in cset.candidates])
    algorithms = np.array([c.algorithm for c in cset.candidates])
    for i, row in enumerate(rows):
        others = np.arange(m) != i
        row["agreement_mean"] = float(agreement[i, others].mean()) if others.any() else np.nan
        other_algorithm = algorithms != algorithms[i]
        row["agreement_best_other_algorithm"] = (float(agreement[i, other_algorithm].max())
                                                 if other_algorithm.any() else np.nan)
    for name, greater in (("silhouette", True), ("log_calinski_harabasz", True), ("davies_bouldin", False),
                          ("agreement_mean", True)):
        values = np.array([r[name] for r in rows], dtype=np.float64)
        key = "agreement_rank" if name == "agreement_mean" else f"{name}_rank"
        for r, v in zip(rows, _rank(values, greater)):
            r[key] = float(v)
    best = np.nanmax([r["silhouette"] for r in rows]) if any(np.isfinite(r["silhouette"]) for r in rows) else np.nan
    votes = consensus_votes or {}
    total = sum(votes.values()) or 1.0
    for r, c in zip(rows, cset.candidates):
        r["silhouette_gap"] = float(r["silhouette"] - best) if np.isfinite(r["silhouette"]) else np.nan
        r["consensus_vote"] = float(votes.get(r["k"], votes.get(str(r["k"]), 0.0)) / total)
        r["log_k_over_consensus"] = float(np.log(max(r["k"], 1) / consensus_k)) if consensus_k else np.nan
        r["recommender_ari"] = float((recommender or {}).get(c.algorithm, np.nan))
    return [{f: float(r.get(f, np.nan)) for f in FEATURES} for r in rows]
