"""The consensus of the estimators: a vote weighted by how reliable each has proven, and a
leader that overrules the vote where it has proven better than the vote.

An estimator right with probability p, and otherwise spread over the K - 1 other candidates,
carries evidence log(p (K - 1) / (1 - p)) for the k it names (a naive-Bayes vote): an
estimator no better than chance gets weight 0, a reliable one much more than an unreliable
one. The p of each estimator is its precision (the share of its votes that were exact) on the
benchmark batteries, measured by `benchmarks/autok.py` and shipped in `reliability.json`;
without that file all weigh the same.

The vote assumes the estimators err independently, and they do not: on hard data most of them
fall to k = 2 together (or run to the top of the range together) and outvote the one that is
right. In data of at most 3 dimensions (shapes, maps, sensor traces) that one is often HDBSCAN,
which counts density clusters and abstains when no count holds. So the data's dimension picks a
regime, and each regime may have a *leader*: an estimator that, deciding alone whenever it
votes, beat the vote on at least two more benchmark datasets of that regime than it lost
(chosen by `benchmarks/autok.py`, shipped in `reliability.json`). When the leader votes its k is
the consensus; when it abstains the vote decides. Both are reported.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from importlib import resources
from typing import Callable

import numpy as np

from ..errors import NotFoundError, ParameterError
from ..sampling import subsample
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


# Regimes by the dimension of the data the estimators see: (largest dimension, description).
REGIMES = ((3, "data of at most 3 dimensions"), (None, "data of more than 3 dimensions"))


def regime(dims: int) -> int:
    """The index in REGIMES of data with `dims` columns."""
    return next(i for i, (top, _) in enumerate(REGIMES) if top is None or dims <= top)


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
    decided_by: str = "vote"  # "vote", or the leader whose k overruled it
    vote_k: int | None = None  # what the weighted vote alone chose

    def to_dict(self) -> dict:
        return {"k": self.k, "decided_by": self.decided_by, "vote_k": self.vote_k,
                "votes": {str(k): round(v, 4) for k, v in sorted(self.votes.items())},
                "weights": {m: round(w, 4) for m, w in self.weights.items()}, "weights_source": self.weights_source,
                "k_range": [self.ks[0], self.ks[-1]] if self.ks else None, "sample_size": self.sample_size,
                "n": self.n, "seconds": round(self.seconds, 3), "notes": self.notes,
                "estimates": [e.to_dict() for e in self.estimates]}


def combine(estimates: list[KEstimate], weights: dict[str, float]) -> tuple[int, dict[int, float]]:
    """The vote: the k with the largest summed weight; ties go to the k named by the most
    reliable estimator, then to the smaller k."""
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


def decide(estimates: list[KEstimate], weights: dict[str, float], leader: str | None = None
           ) -> tuple[int, dict[int, float], str, int]:
    """The consensus: the leader's k when it votes, else the vote's.
    Returns (k, votes, "vote" or the leader's name, the vote's own k)."""
    vote_k, votes = combine(estimates, weights)
    named = next((e.k for e in estimates if e.method == leader and e.k is not None), None)
    if named is None:
        return vote_k, votes, "vote", vote_k
    return named, votes, leader, vote_k


def choose_leaders(datasets, weights: dict[str, float], margin: int = 2,
                   regime_of: Callable[[int], int] = regime) -> dict[int, dict]:
    """The leaders, from benchmark datasets given as (dims, true k, estimates) triples: per regime,
    the estimator whose "decide alone where it votes, else the vote" beat the vote on the most
    datasets of that regime (wins minus losses, which must reach `margin`), with its record.
    A regime where none reaches the margin has no leader."""
    tallies: dict[int, dict[str, list[int]]] = {}
    sizes: dict[int, int] = {}
    for dims, truth, estimates in datasets:
        if not any(e.k is not None for e in estimates):
            continue
        r = regime_of(int(dims))
        sizes[r] = sizes.get(r, 0) + 1
        vote_hit = combine(estimates, weights)[0] == truth
        for e in estimates:
            if e.k is not None and (e.k == truth) != vote_hit:  # only disagreements tell them apart
                tallies.setdefault(r, {}).setdefault(e.method, [0, 0])[0 if e.k == truth else 1] += 1
    leaders = {}
    for r, record in tallies.items():
        method, (wins, losses) = max(record.items(), key=lambda kv: (kv[1][0] - kv[1][1], kv[0]))
        if wins - losses >= margin:
            leaders[r] = {"method": method, "wins": wins, "losses": losses, "datasets": sizes[r]}
    return leaders


def shipped_leader(dims: int, shipped: dict) -> dict | None:
    """The leader in `shipped` (reliability()) of the regime of data with `dims` columns, or None."""
    entry = (shipped.get("leaders") or {}).get(str(regime(dims)))
    return entry if entry and entry.get("method") else None


def estimate_k(x, *, methods: list[str] | None = None, min_k: int = 2, max_k: int = 10,
               sample_size: int | None = DEFAULT_SAMPLE, seed: int = 0,
               weights: dict[str, float] | None = None,
               on_estimate: Callable[[KEstimate, int, int], None] | None = None) -> Consensus:
    """Every requested estimator on (a sample of) `x`, and their consensus: the shipped leader
    of the data's regime when it votes, else the vote weighted by the shipped precisions (with
    `weights` given, the vote alone, weighted by them).

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
    source, entry, notes = "given", None, extra_notes + ctx.notes
    dims = int(np.shape(x)[1])  # of the data as given: its regime, as the benchmark measured it
    if weights is None:
        shipped = reliability()
        source = shipped.get("source", "")
        weights = {m: vote_weight(shipped["exact_rate"][m], len(ctx.ks)) if m in shipped["exact_rate"] else 1.0
                   for m in methods}
        entry = shipped_leader(dims, shipped)
        entry = entry if entry and entry["method"] in methods else None
    leader = entry["method"] if entry else None
    k, votes, decided_by, vote_k = decide(estimates, weights, leader)
    if leader:
        said = (f"it named k = {k}, the vote k = {vote_k}" if decided_by != "vote"
                else "it abstained, so the vote decides")
        notes.append(f"{leader} leads in {REGIMES[regime(dims)][1]}: deciding alone where it votes, it "
                     f"beat the vote on {entry['wins']} and lost on {entry['losses']} of {entry['datasets']} "
                     f"benchmark datasets; {said}")
    return Consensus(k, votes, estimates, {m: weights.get(m, 1.0) for m in methods}, ctx.x.shape[0],
                     n_total or ctx.n_total, time.perf_counter() - start, source, ctx.ks, notes, decided_by, vote_k)


def _gower_sample(data, sample_size: int | None, seed: int) -> tuple[np.ndarray, list[str]]:
    """The embedded sample of a Gower-encoded table, and a note saying what was done."""
    from ..prep.gower import euclidean_embedding, gower_matrix

    n = data.n
    rows = subsample(n, sample_size, seed)
    y, share = euclidean_embedding(gower_matrix(data.take(rows)))
    notes = [f"mixed table: the estimators see a Euclidean embedding of sqrt(Gower) distances "
             f"({y.shape[1]} dimensions, {share:.0%} of the spectrum)"
             + (f" of a random sample of {rows.size:,} of {n:,} rows" if rows.size < n else "")]
    return y, notes
