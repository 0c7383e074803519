"""Steps every input kind of the main job shares: the number of clusters, and the comparison of
the chosen partition with the runners-up."""

from __future__ import annotations

import numpy as np

from ..autok import estimate_k
from ..metrics import ari, silhouette
from .result import Decision

RUNNER_UP_ROWS = 20_000  # runners-up are fitted on a sample of this many rows above it
SILHOUETTE_ROWS = 2_000  # rows a candidate's silhouette is computed on


def estimate_number(x, max_k: int, seed: int, on_estimate=None):
    """The auto-k consensus over k = 2..max_k (a matrix, or a Gower encoding)."""
    return estimate_k(x, min_k=2, max_k=max_k, seed=seed, on_estimate=on_estimate)


def k_decision(consensus, also: list[str] = (), scores: dict | None = None, choice: int | None = None) -> Decision:
    """The k decision, with the consensus's reasoning; `choice` is the k taken when it is not the
    consensus's (the judge's); `also` are further clauses of the reason (what the recommender's
    own k says, whether the algorithm uses k at all)."""
    named = ", ".join(f"{e.method}={e.k}" for e in consensus.estimates)
    how = ("weighted vote" if consensus.decided_by == "vote" else
           f"{consensus.decided_by}, the leader in data of this dimension (the weighted vote said {consensus.vote_k})")
    reason = "; ".join([f"{how} of {len(consensus.estimates)} estimators over k = {consensus.ks[0]}..{consensus.ks[-1]}"
                        f" on {consensus.sample_size:,} of {consensus.n:,} rows ({named})", *also])
    votes = {str(k): round(v, 4) for k, v in consensus.votes.items()}
    return Decision("k", consensus.k if choice is None else choice, reason, {**votes, **(scores or {})})


def compare(name: str, labels: np.ndarray, chosen: np.ndarray, space, seconds: float, predicted=None,
            precomputed: bool = False) -> dict:
    """One row of the candidates table: a partition of the (sampled) rows against the choice's
    partition of the same rows, by silhouette in `space` (a distance matrix where
    `precomputed`) and by agreement (ARI)."""
    kept = labels >= 0
    return {"algorithm": name,
            "predicted": None if predicted is None or np.isnan(predicted) else round(float(predicted), 4),
            "k": int(np.unique(labels[kept]).size), "noise": int((~kept).sum()),
            "silhouette": silhouette(space, labels, sample_size=SILHOUETTE_ROWS, precomputed=precomputed),
            "agreement": float(ari(chosen, labels)), "seconds": round(seconds, 3)}


def runners_up_decision(candidates: list[dict], what: str, sampled_rows: int, n: int) -> Decision:
    sampled = f" (fitted on {sampled_rows:,} sampled rows)" if sampled_rows < n else ""
    return Decision("runners-up", [c["algorithm"] for c in candidates[1:]],
                    f"{what}, compared by silhouette and by their agreement (ARI) with the choice{sampled}",
                    {c["algorithm"]: c.get("silhouette") for c in candidates})


def model_decision(model) -> Decision:
    """What the saved model does with new rows, and how faithfully it gives back the training labels."""
    p = model.placement
    rules = {"mixture": "the cluster of highest posterior probability under the fitted mixture",
             "centres": f"the nearest centre ({p.metric} distance)",
             "medoids": "the nearest medoid (Gower distance)",
             "nearest": f"the cluster of the nearest of {p.info.get('reference_rows', 0):,} training rows "
                        f"({p.metric} distance; {model.algorithm} has no rule of its own for new rows)"}
    outliers = p.to_json()["outlier_rule"]
    return Decision("model", p.rule, f"saved for new rows (`clusterlab assign`): each goes to {rules[p.rule]}; it "
                                     f"gives back {p.agreement:.1%} of the training rows' labels; a row beyond every "
                                     f"cluster's fence ({outliers}) is flagged an outlier",
                    {"agreement": round(p.agreement, 4)})
