"""The judge applied to one dataset: candidates, features, expected ARI, and the choice."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import DataError
from ..metrics import pairwise_ari
from .candidates import CandidateSet, generate
from .features import candidate_features
from .judge import Judge


@dataclass
class Ranked:
    cset: CandidateSet
    features: list[dict]
    scores: np.ndarray  # the judge's expected ARI of each candidate
    judge: Judge
    best: int  # the choice (`Judge.pick`)
    agreement: np.ndarray  # ARI between every two candidates

    @property
    def order(self) -> list[int]:
        """The choice first, then the rest by expected ARI."""
        rest = [int(i) for i in np.argsort(-self.scores, kind="stable") if i != self.best]
        return [self.best, *rest]

    def row(self, i: int) -> dict:
        """What the judge expects of candidate i, with a few of the features it read."""
        c = self.cset.candidates[i]
        f = self.features[i]
        low, high = self.judge.bounds(float(self.scores[i]), f)
        return {"algorithm": c.algorithm, "candidate": c.name, "params": c.params, "k": c.found_k,
                "predicted": round(float(self.scores[i]), 4), "interval": [round(low, 4), round(high, 4)],
                "noise": int((c.labels < 0).sum()), "silhouette": f["silhouette"],
                "agreement_with_others": round(f["agreement_mean"], 4), "consensus_vote": round(f["consensus_vote"], 4),
                "agreement": float(self.agreement[self.best, i]), "seconds": round(c.seconds, 3)}


def rank(x: np.ndarray, max_k: int, consensus, recommendation=None, seed: int = 0) -> Ranked | None:
    """The candidates of `x` at k = 2..max_k scored by the shipped judge; None without a usable
    judge. `consensus` is the auto-k Consensus of `x`; `recommendation` the recommender's (or None)."""
    try:
        judge = Judge.load()
    except DataError:
        return None
    cset = generate(x, range(2, max_k + 1), seed=seed)
    if not cset.candidates:
        return None
    agreement = pairwise_ari([c.labels for c in cset.candidates])
    feats = candidate_features(x, cset, consensus.votes, consensus.k,
                               dict(recommendation.ranking) if recommendation is not None else None, seed=seed,
                               agreement=agreement)
    scores = judge.score(feats)
    best = judge.pick(scores, [c.found_k for c in cset.candidates], [f["smallest_share"] for f in feats])
    return Ranked(cset, feats, scores, judge, best, agreement)


def rank_matrix(x: np.ndarray, max_k: int, recommendation=None, seed: int = 0) -> Ranked | None:
    """`rank` with the auto-k consensus estimated here: what `clusterlab auto` would choose."""
    from ..autok import estimate_k

    return rank(x, max_k, estimate_k(x, min_k=2, max_k=max_k, seed=seed), recommendation, seed)
