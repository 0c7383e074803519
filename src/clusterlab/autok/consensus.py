"""The consensus of the estimators: a vote weighted by how reliable each has proven.

An estimator right with probability p, and otherwise spread over the K - 1 other candidates,
carries evidence log(p (K - 1) / (1 - p)) for the k it names (a naive-Bayes vote): an
estimator no better than chance gets weight 0, a reliable one much more than an unreliable
one. The p of each estimator is its precision (the share of its votes that were exact) on the
benchmark batteries, measured by `benchmarks/autok.py` and shipped in `reliability.json`;
without that file all weigh the same.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from importlib import resources
from typing import Callable

import numpy as np

from ..errors import NotFoundError, ParameterError
from .base import DEFAULT_SAMPLE, KEstimate, KEstimator, make_context
from .density import HDBSCANPersistence
from .dpmeans import DPMeans
from .eigengap import Eigengap
from .gap import Gap
from .indices import CalinskiHarabasz, DaviesBouldin, Elbow, Silhouette
from .splitting import GMeans, XMeans
from .stability import GenieStability, PredictionStrength

ESTIMATORS: dict[str, type[KEstimator]] = {cls.name: cls for cls in (
    Silhouette, CalinskiHarabasz, DaviesBouldin, Elbow, Gap, Eigengap, DPMeans, XMeans, GMeans, PredictionStrength,
    GenieStability, HDBSCANPersistence)}


def reliability() -> dict:
    """The shipped precision of each estimator, with where it was measured."""
    try:
        text = resources.files(__package__).joinpath("reliability.json").read_text()
    except (FileNotFoundError, OSError):
        return {"source": "none shipped: equal weights", "exact_rate": {}}
    return json.loads(text)


def vote_weight(p: float, n_candidates: int) -> float:
    p = float(np.clip(p, 1e-3, 1 - 1e-3))
    return max(0.0, float(np.log(p * max(n_candidates - 1, 1) / (1 - p))))


@dataclass
class Consensus:
    k: int
    votes: dict[int, float]  # k -> summed weight of the estimators naming it
    estimates: list[KEstimate]
    weights: dict[str, float]
    sample_size: int
    n: int
    seconds: float
    weights_source: str = ""
    ks: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"k": self.k, "votes": {str(k): round(v, 4) for k, v in sorted(self.votes.items())},
                "weights": {m: round(w, 4) for m, w in self.weights.items()}, "weights_source": self.weights_source,
                "k_range": [self.ks[0], self.ks[-1]] if self.ks else None, "sample_size": self.sample_size,
                "n": self.n, "seconds": round(self.seconds, 3), "notes": self.notes,
                "estimates": [e.to_dict() for e in self.estimates]}


def combine(estimates: list[KEstimate], weights: dict[str, float]) -> tuple[int, dict[int, float]]:
    """The k with the largest summed weight; ties go to the k named by the most reliable
    estimator, then to the smaller k."""
    votes: dict[int, float] = {}
    for e in estimates:
        if e.k is not None:
            votes[e.k] = votes.get(e.k, 0.0) + weights.get(e.method, 1.0)
    if not votes:
        raise ParameterError("no estimator could decide on a k in the range given")
    strongest = {}
    for e in estimates:
        if e.k is not None:
            strongest[e.k] = max(strongest.get(e.k, 0.0), weights.get(e.method, 1.0))
    k = max(votes, key=lambda k: (round(votes[k], 9), strongest[k], -k))
    return k, votes


def estimate_k(x, *, methods: list[str] | None = None, min_k: int = 2, max_k: int = 10,
               sample_size: int | None = DEFAULT_SAMPLE, seed: int = 0,
               weights: dict[str, float] | None = None,
               on_estimate: Callable[[KEstimate, int, int], None] | None = None) -> Consensus:
    """Every requested estimator on (a sample of) `x`, and their weighted vote.

    `x` is a numeric matrix, or a mixed table encoded for Gower (`prep.GowerData`): then the
    sample's Gower matrix is embedded so that Euclidean distances are sqrt(Gower) (an exact
    embedding, see `prep.gower.euclidean_embedding`) and every estimator works on those
    coordinates. `on_estimate(estimate, done, total)` is called as each estimator finishes."""
    from ..prep.gower import GowerData

    start = time.perf_counter()
    extra_notes, n_total = [], None
    if isinstance(x, GowerData):
        n_total = x.n
        x, extra_notes = _gower_sample(x, sample_size, seed)
        sample_size = None  # already sampled
    methods = list(methods or ESTIMATORS)
    unknown = [m for m in methods if m not in ESTIMATORS]
    if unknown:
        raise NotFoundError(f"unknown k estimator {', '.join(map(repr, unknown))}; choose from: {', '.join(ESTIMATORS)}")
    ctx = make_context(x, min_k, max_k, sample_size, seed)
    estimates = []
    for m in methods:
        estimates.append(ESTIMATORS[m]().estimate(ctx))
        if on_estimate:
            on_estimate(estimates[-1], len(estimates), len(methods))
    source = "given"
    if weights is None:
        shipped = reliability()
        source = shipped.get("source", "")
        weights = {m: vote_weight(shipped["exact_rate"][m], len(ctx.ks)) if m in shipped["exact_rate"] else 1.0
                   for m in methods}
    k, votes = combine(estimates, weights)
    return Consensus(k, votes, estimates, {m: weights.get(m, 1.0) for m in methods}, ctx.x.shape[0],
                     n_total or ctx.n_total,
                     time.perf_counter() - start, source, ctx.ks, extra_notes + ctx.notes)


def _gower_sample(data, sample_size: int | None, seed: int) -> tuple[np.ndarray, list[str]]:
    """The embedded sample of a Gower-encoded table, and a note saying what was done."""
    from ..prep.gower import euclidean_embedding, gower_matrix

    n = data.n
    rows = np.arange(n)
    if sample_size is not None and n > sample_size:
        rows = np.sort(np.random.default_rng(seed).choice(n, sample_size, replace=False))
    y, share = euclidean_embedding(gower_matrix(data.take(rows)))
    notes = [f"mixed table: the estimators see a Euclidean embedding of sqrt(Gower) distances "
             f"({y.shape[1]} dimensions, {share:.0%} of the spectrum)"
             + (f" of a random sample of {rows.size:,} of {n:,} rows" if rows.size < n else "")]
    return y, notes
