"""The main job on a numeric matrix (or a table of numbers only): the shipped recommender ranks
the algorithms by expected ARI, the auto-k consensus picks k, the best-ranked algorithm that runs
at this size is fitted on every row, and the next ones of the ranking (the runners-up) are fitted
on a sample of at most `RUNNER_UP_ROWS` rows and compared with it."""

from __future__ import annotations

import time

from ..algorithms import DEFAULTS, REGISTRY, fit_predict, runs_at, scalable_alternative
from ..errors import ClusterlabError, DataError, TooLargeError
from ..metrics import assignment_confidence, internal_scores
from ..prep import prepare
from ..sampling import subsample
from .result import Decision, Outcome
from .steps import RUNNER_UP_ROWS, compare, estimate_number, k_decision, runners_up_decision


def choose_algorithm(x, seed: int):
    """The shipped recommender's ranking, cut to the algorithms that run at this size:
    (decision, usable ranking, the Recommendation or None when the model is unusable)."""
    from ..recommend.recommender import Recommender

    fallback = DEFAULTS["matrix"]
    try:
        rec = Recommender.load().predict(x, seed=seed)
    except DataError as exc:
        return (Decision("algorithm", fallback, f"fallback: the shipped recommender is unusable ({exc})"),
                [(fallback, float("nan"))], None)
    n = x.shape[0]
    usable = [(a, v) for a, v in rec.ranking if runs_at(a, n)]
    if not usable:
        return (Decision("algorithm", fallback, f"fallback: no ranked algorithm runs on {n:,} rows"),
                [(fallback, float("nan"))], rec)
    skipped = [a for a, _ in rec.ranking[: rec.ranking.index(usable[0])]]
    choice, score = usable[0]
    interval = (f", 80 % interval [{rec.interval[0]:.2f}, {rec.interval[1]:.2f}]"
                if rec.interval and not skipped else "")
    nxt = f"; next {usable[1][0]} {usable[1][1]:.2f}" if len(usable) > 1 else ""
    passed = f"; passed over {', '.join(skipped)} (limited to fewer rows than {n:,})" if skipped else ""
    reason = f"recommender `{rec.model}` ranks it first: {rec.score} {score:.2f}{interval}{nxt}{passed}"
    return Decision("algorithm", choice, reason, {a: round(v, 4) for a, v in rec.ranking}), usable, rec


def run(dataset, *, max_k: int, seed: int, missing: str, runners_up: int, on_estimate=None) -> Outcome:
    timings = {}
    t = time.perf_counter()
    prepared = prepare(dataset, "matrix", missing=missing)
    x = prepared.data
    timings["encode"] = time.perf_counter() - t
    t = time.perf_counter()
    algo_decision, usable, rec = choose_algorithm(x, seed)
    timings["recommend"] = time.perf_counter() - t
    t = time.perf_counter()
    consensus = estimate_number(x, max_k, seed, on_estimate)
    timings["k"] = time.perf_counter() - t
    algorithm, k = algo_decision.choice, int(consensus.k)
    also, extra_scores = [], {}
    if rec is not None and rec.k is not None:
        agree = "agrees" if rec.k == k else f"disagrees (it says k = {rec.k})"
        also.append(f"the recommender's k head {agree}, probability {rec.k_probability:.2f}")
        extra_scores["recommender_k"] = rec.k
    if not REGISTRY[algorithm].needs_k:
        also.append(f"not used by {algorithm}, which finds its own number of clusters")
    decisions = [algo_decision, k_decision(consensus, also, extra_scores)]
    t = time.perf_counter()
    try:
        result = fit_predict(algorithm, x, k, seed=seed)
    except TooLargeError as exc:  # a limit the ranking did not know of: the spec's scalable alternative
        algorithm = scalable_alternative(algorithm, x.shape[0])
        decisions.append(Decision("fallback", algorithm, str(exc)))
        result = fit_predict(algorithm, x, k, seed=seed)
    timings["fit"] = time.perf_counter() - t
    t = time.perf_counter()
    rows = subsample(x.shape[0], RUNNER_UP_ROWS, seed)
    predicted = dict(usable)
    chosen = result.labels[rows]
    candidates = [compare(algorithm, chosen, chosen, x[rows], result.seconds, predicted.get(algorithm))]
    for name, score in [u for u in usable if u[0] != algorithm][:runners_up]:
        try:
            other = fit_predict(name, x[rows], k, seed=seed)
        except ClusterlabError as exc:
            candidates.append({"algorithm": name, "predicted": round(score, 4), "error": str(exc)})
            continue
        candidates.append(compare(name, other.labels, chosen, x[rows], other.seconds, score))
    timings["runners_up"] = time.perf_counter() - t
    decisions.append(runners_up_decision(candidates, "the next algorithms of the ranking", rows.size, x.shape[0]))
    confidence, kind = assignment_confidence(x, result.labels, result.estimator)
    return Outcome(labels=prepared.on_all_rows(result.labels, -1), algorithm=algorithm, k=result.n_clusters,
                   decisions=decisions, internal=internal_scores(x, result.labels, seed=seed), candidates=candidates,
                   confidence=prepared.on_all_rows(confidence, float("nan")), confidence_kind=kind,
                   space=x, space_rows=prepared.encoding.rows, notes=prepared.notes, autok=consensus.to_dict(),
                   recommendation=rec.to_dict() if rec is not None else {}, consensus=consensus, timings=timings)
