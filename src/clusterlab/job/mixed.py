"""The main job on a mixed table (any categorical or boolean column): Gower distance; k by the
auto-k consensus on an exact Euclidean embedding of sqrt(Gower); the registry's default table
algorithm (k-medoids on Gower) at that k; the other table algorithms as runners-up on a sample."""

from __future__ import annotations

import time


from ..algorithms import DEFAULTS, fit_predict, names
from ..errors import ClusterlabError
from ..prep import encode, gower_matrix, prepare
from ..sampling import subsample
from .result import Decision, Outcome
from ..fitted import fitted_model
from ..prep.saved import InputSteps
from .steps import RUNNER_UP_ROWS, compare, estimate_number, k_decision, model_decision, runners_up_decision

SAMPLE_ROWS = 4_000  # runners-up and silhouettes need the sample's full Gower matrix


def run(dataset, *, max_k: int, seed: int, missing: str, runners_up: int, on_estimate=None) -> Outcome:
    timings = {}
    schema = dataset.schema
    t = time.perf_counter()
    data = prepare(dataset, "table").data
    timings["encode"] = time.perf_counter() - t
    t = time.perf_counter()
    consensus = estimate_number(data, max_k, seed, on_estimate)
    timings["k"] = time.perf_counter() - t
    algorithm = DEFAULTS["table"]
    t = time.perf_counter()
    result = fit_predict(algorithm, data, int(consensus.k), seed=seed)
    timings["fit"] = time.perf_counter() - t
    model, labels, k = result.estimator, result.labels, result.n_clusters
    kinds = f"{len(schema.numeric)} numeric, {len(schema.categorical)} categorical, {len(schema.boolean)} boolean"
    sampled = f" (CLARA: {model.n_samples} samples of {model.sample_size:,} rows)" if model.sampled_ else ""
    decisions = [
        Decision("encoding", "gower", f"mixed table ({kinds} columns): Gower distance, a missing cell leaves "
                                      "the pair's average"),
        Decision("algorithm", algorithm, f"{algorithm}, the default for tables, at the consensus k{sampled}; "
                                         "the recommender is trained on numeric matrices and is not asked for "
                                         "mixed tables"),
        k_decision(consensus),
    ]
    t = time.perf_counter()
    rows = subsample(dataset.n, min(RUNNER_UP_ROWS, SAMPLE_ROWS), seed)
    sample = data.take(rows)
    d = gower_matrix(sample)
    chosen = labels[rows]
    candidates = [compare(algorithm, chosen, chosen, d, timings["fit"], precomputed=True)]
    for name in [n for n in names("table") if n != algorithm][:runners_up]:
        try:
            start = time.perf_counter()
            other = fit_predict(name, sample, k, seed=seed)
            candidates.append(compare(name, other.labels, chosen, d, time.perf_counter() - start, precomputed=True))
        except ClusterlabError as exc:
            candidates.append({"algorithm": name, "error": str(exc)})
    timings["runners_up"] = time.perf_counter() - t
    decisions.append(runners_up_decision(candidates, "the other table algorithms on Gower distance at the same k "
                                         "(those without k find their own)", rows.size, dataset.n))
    internal = {"silhouette_gower": candidates[0]["silhouette"]}
    t = time.perf_counter()
    fitted = fitted_model(InputSteps.of_gower(dataset, data), result.estimator, data, labels, algorithm, seed)
    outlier = fitted.placement.training.outlier | (labels < 0)
    timings["model"] = time.perf_counter() - t
    decisions.append(model_decision(fitted))
    confidence = fitted.placement.training.confidence  # the medoid silhouette, from the placement's distances
    # The report's map and the profiles need a vector space: standardised numbers, one-hot categories.
    space = encode(dataset, missing="impute").matrix
    return Outcome(labels=labels, algorithm=algorithm, k=k, decisions=decisions, internal=internal,
                   candidates=candidates, confidence=confidence,
                   confidence_kind="medoid silhouette 1 - d_own / d_next (Gower)", space=space,
                   distances=(rows, d), autok=consensus.to_dict(), consensus=consensus, timings=timings, model=fitted,
                   outlier=outlier)
