"""The main job on a numeric matrix (or a table of numbers only): algorithm and k chosen
together. The candidate partitions (`choice.generate`: every matrix algorithm at k = 2..max_k and
the k-free ones over a grid, on one sample of at most 2,000 rows) are scored by the judge of
partitions (`choice.Judge`) from their label-free features, which include the auto-k consensus's
votes and the shipped recommender's expected ARI per algorithm; the best-scored candidate is
fitted on every row. Without a usable judge, the recommender's top algorithm runs at the
consensus k, its next ones as runners-up on a sample of at most `RUNNER_UP_ROWS` rows."""

from __future__ import annotations

import time

import numpy as np

from ..algorithms import DEFAULTS, REGISTRY, fit_predict, runs_at, scalable_alternative
from ..choice import rank
from ..errors import ClusterlabError, DataError, TooLargeError
from ..metrics import assignment_confidence, internal_scores
from ..prep import prepare
from ..sampling import subsample
from .result import Decision, Outcome
from .steps import RUNNER_UP_ROWS, compare, estimate_number, k_decision, model_decision, runners_up_decision


def saved_model(dataset, prepared, projection, estimator, space, labels, algorithm: str, seed: int, timings: dict,
                reference=None):
    """The model that places new rows, and its outlier flag of the training rows; `reference`:
    the sampled rows a partition was extended from by nearest neighbour."""
    from ..fitted import fitted_model
    from ..prep.saved import InputSteps

    t = time.perf_counter()
    model = fitted_model(InputSteps.of_matrix(dataset, prepared.encoding, projection), estimator, space, labels,
                         algorithm, seed, reference)
    outlier = model.placement.training.outlier | (np.asarray(labels) < 0)
    timings["model"] = time.perf_counter() - t
    return model, outlier


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
    t = time.perf_counter()
    ranked = rank(x, max_k, consensus, rec, seed)
    timings["candidates"] = time.perf_counter() - t
    if ranked is None:  # no usable judge: the recommender's algorithm at the consensus k
        return _recommended(dataset, prepared, algo_decision, usable, rec, consensus, runners_up, seed, timings)
    cset, scores, judge, best, order = ranked.cset, ranked.scores, ranked.judge, ranked.best, ranked.order
    winner = cset.candidates[best]
    low, high = judge.bounds(float(scores[best]), ranked.features[best])
    coverage = (f" (on held-out real datasets it held {judge.coverage:.0%} of the time)"
                if judge.coverage is not None else "")
    nxt = "; ".join(f"{cset.candidates[i].name} {scores[i]:.2f}" for i in order[1:3])
    sampled = f", on {cset.rows.size:,} sampled rows" if cset.rows.size < x.shape[0] else ""
    said = (f"; the recommender ranks {rec.algorithm} first" if rec is not None else
            f"; the recommender could not be asked, so its expected ARI is left out ({algo_decision.reason})")
    decisions = [Decision("algorithm", winner.algorithm,
                          f"the judge of partitions chooses {winner.name} of {len(cset.candidates)} candidates"
                          f"{sampled}: expected ARI {scores[best]:.2f}, 80 % interval [{low:.2f}, {high:.2f}]"
                          f"{coverage}: the fewest clusters within {judge.margin:.2f} of the best "
                          f"expected ARI ({scores.max():.2f}) among partitions whose smallest cluster holds at least "
                          f"{judge.min_share:.0%} of the rows; next {nxt}{said}",
                          {cset.candidates[i].name: round(float(scores[i]), 4) for i in order[:10]})]
    agree = ("agrees" if consensus.k == winner.found_k else f"said k = {consensus.k}")
    decisions.append(k_decision(consensus, [f"k = {winner.found_k} chosen with the algorithm by the judge; the "
                                            f"consensus {agree}"], {"judge_k": winner.found_k}, winner.found_k))
    t = time.perf_counter()
    space = cset.space(x)
    result, extended = _fit_winner(winner, space, cset.rows, seed)
    if cset.projection is not None:
        decisions.append(Decision("projection", cset.projection.n_components_,
                                  f"the candidates and the chosen fit ran on the {cset.projection.n_components_} "
                                  f"leading principal components of the {x.shape[1]:,} columns"))
    timings["fit"] = time.perf_counter() - t
    if extended:
        decisions.append(Decision("fallback", winner.algorithm, extended))
    candidates = [ranked.row(i) for i in order[: 1 + runners_up]]
    decisions.append(Decision("runners-up", [c["algorithm"] for c in candidates[1:]],
                              "the next candidates by the judge's expected ARI, with their silhouette and agreement "
                              f"(ARI) with the choice{sampled}", {c["algorithm"]: c.get("silhouette") for c in candidates}))
    labels = result.labels
    confidence, kind = assignment_confidence(space, labels, result.estimator)
    model, outlier = saved_model(dataset, prepared, cset.projection, result.estimator, space, labels,
                                 winner.algorithm, seed, timings, cset.rows if extended else None)
    decisions.append(model_decision(model))
    recommendation = rec.to_dict() if rec is not None else {}
    recommendation["judge"] = {"candidates": [ranked.row(i) for i in order],
                               "interval": [low, high], "trained_on": judge.trained_on}
    return Outcome(labels=prepared.on_all_rows(labels, -1), algorithm=winner.algorithm,
                   k=int(np.unique(labels[labels >= 0]).size), decisions=decisions,
                   internal=internal_scores(x, labels, seed=seed), candidates=candidates,
                   confidence=prepared.on_all_rows(confidence, float("nan")), confidence_kind=kind,
                   space=x, space_rows=prepared.encoding.rows, notes=prepared.notes, autok=consensus.to_dict(),
                   recommendation=recommendation, consensus=consensus, timings=timings, model=model,
                   outlier=prepared.on_all_rows(outlier, True))


def _fit_winner(winner, x, rows, seed: int):
    """The winning candidate on every row: refitted where it runs at this size, else its sample
    partition extended to the other rows by their nearest sampled neighbour."""
    from ..algorithms import ClusterResult

    params = dict(winner.params)
    if runs_at(winner.algorithm, x.shape[0]):
        return fit_predict(winner.algorithm, x, winner.k, seed=seed, **params), ""
    from sklearn.neighbors import KNeighborsClassifier

    nearest = KNeighborsClassifier(n_neighbors=1).fit(x[rows], winner.labels)
    labels = np.asarray(nearest.predict(x), dtype=np.int64)
    labels[rows] = winner.labels
    return (ClusterResult(winner.algorithm, labels, params, winner.seconds, None),
            f"{winner.algorithm} does not run on {x.shape[0]:,} rows: its partition of the {rows.size:,} sampled "
            "rows is extended to the others by their nearest sampled neighbour")


def _recommended(dataset, prepared, algo_decision, usable, rec, consensus, runners_up: int, seed: int,
                 timings: dict) -> Outcome:
    """The choice without a judge: the recommender's top algorithm at the consensus k, its next
    ones as runners-up on a sample."""
    x = prepared.data
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
    model, outlier = saved_model(dataset, prepared, None, result.estimator, x, result.labels, algorithm, seed,
                                 timings)
    decisions.append(model_decision(model))
    return Outcome(labels=prepared.on_all_rows(result.labels, -1), algorithm=algorithm, k=result.n_clusters,
                   decisions=decisions, internal=internal_scores(x, result.labels, seed=seed), candidates=candidates,
                   confidence=prepared.on_all_rows(confidence, float("nan")), confidence_kind=kind,
                   space=x, space_rows=prepared.encoding.rows, notes=prepared.notes, autok=consensus.to_dict(),
                   recommendation=rec.to_dict() if rec is not None else {}, consensus=consensus, timings=timings,
                   model=model, outlier=prepared.on_all_rows(outlier, True))
