"""The main job: read -> tidy -> encode -> recommend -> k -> fit (best and runners-up) -> score
-> 2-D view and profiles -> write labels.csv, summary.json and report.html.

Numeric data: the recommender shipped with the package (`recommend/shipped/`) ranks the
algorithms by expected ARI; k comes from the auto-k consensus (a weighted vote of every k
estimator on a sample of at most 2,048 rows), cross-checked against the recommender's own k.
The best-ranked algorithm that can run at this size is fitted on every row; the next ones in
the ranking (the runners-up) are fitted too, on a sample above `RUNNER_UP_ROWS` rows, and
compared by silhouette and by their agreement with the choice. Mixed tables (any categorical or
boolean column) take the Gower path: the same consensus picks k from an exact Euclidean
embedding of sqrt(Gower) distances, k-medoids on Gower distance clusters, and average linkage,
k-prototypes and HDBSCAN on Gower are the runners-up.

Everything that needs more than linear time runs on a sample (silhouette, runners-up, the 2-D
view), and the summary says so, so a million rows finish in minutes with bounded memory.
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__
from .algorithms import REGISTRY, fit_predict
from .autok import estimate_k
from .data import DEFAULT_DATASET, Dataset, load
from .errors import ClusterlabError, TooLargeError
from .metrics import ari, assignment_confidence, balance, external_scores, internal_scores
from .prep import encode
from .prep.tidy import tidy

RUNNER_UP_ROWS = 20_000  # runners-up are fitted on a sample of this many rows above it
VIEW_ROWS = 5_000  # points drawn in the 2-D view
SILHOUETTE_ROWS = 2_000  # points in the silhouette plot
VIEWS = ("pca", "umap")


@dataclass
class Decision:
    step: str
    choice: object
    reason: str
    scores: dict = field(default_factory=dict)


@dataclass
class AutoResult:
    dataset: Dataset
    labels: np.ndarray
    algorithm: str
    k: int
    decisions: list[Decision]
    internal: dict
    external: dict | None
    balance: dict
    seconds: float
    notes: list[str]
    autok: dict = field(default_factory=dict)
    recommendation: dict = field(default_factory=dict)
    candidates: list[dict] = field(default_factory=list)  # the choice and the runners-up, compared
    confidence: np.ndarray | None = None
    confidence_kind: str = ""
    profiles: list[dict] = field(default_factory=list)
    view: dict = field(default_factory=dict)  # 2-D coordinates of a sample: method, rows, xy
    silhouette: dict = field(default_factory=dict)  # per-point silhouette of a sample: rows, values
    consensus: object | None = field(default=None, repr=False)  # the auto-k Consensus (for its curves)
    timings: dict = field(default_factory=dict)
    paths: dict = field(default_factory=dict)  # the files written, once written


def choose_k(x: np.ndarray, max_k: int, seed: int, on_estimate=None):
    """The auto-k consensus over k = 2..max_k: (decision, its dict, the Consensus)."""
    consensus = estimate_k(x, min_k=2, max_k=max_k, seed=seed, on_estimate=on_estimate)
    named = ", ".join(f"{e.method}={e.k}" for e in consensus.estimates)
    how = ("weighted vote" if consensus.decided_by == "vote" else
           f"{consensus.decided_by}, the leader in data of this dimension (the weighted vote said {consensus.vote_k})")
    reason = (f"{how} of {len(consensus.estimates)} estimators over k = {consensus.ks[0]}..{consensus.ks[-1]}"
              f" on {consensus.sample_size:,} of {consensus.n:,} rows ({named})")
    return (Decision("k", consensus.k, reason, {str(k): round(v, 4) for k, v in consensus.votes.items()}),
            consensus.to_dict(), consensus)


def choose_algorithm(x: np.ndarray, seed: int):
    """The shipped recommender's ranking, cut to the algorithms that can run at this size:
    (decision, the recommendation as a dict, usable ranking, the Recommendation or None)."""
    from .errors import DataError
    from .recommend.recommender import Recommender

    try:
        rec = Recommender.load().predict(x, seed=seed)
    except DataError as exc:
        return (Decision("algorithm", "kmeans", f"fallback: the shipped recommender is unusable ({exc})"), {},
                [("kmeans", float("nan"))], None)
    n = x.shape[0]
    # The best-ranked algorithm that can run at this size (quadratic ones have a row limit).
    usable = [(a, v) for a, v in rec.ranking if REGISTRY[a].max_n is None or n <= REGISTRY[a].max_n]
    skipped = [a for a, _ in rec.ranking[: rec.ranking.index(usable[0])]] if usable else []
    if not usable:
        return (Decision("algorithm", "kmeans", f"fallback: no ranked algorithm runs on {n:,} rows"), rec.to_dict(),
                [("kmeans", float("nan"))], rec)
    choice, score = usable[0]
    interval = (f", 80 % interval [{rec.interval[0]:.2f}, {rec.interval[1]:.2f}]"
                if rec.interval and not skipped else "")
    nxt = f"; next {usable[1][0]} {usable[1][1]:.2f}" if len(usable) > 1 else ""
    passed = f"; passed over {', '.join(skipped)} (limited to fewer rows than {n:,})" if skipped else ""
    reason = f"recommender `{rec.model}` ranks it first: {rec.score} {score:.2f}{interval}{nxt}{passed}"
    return (Decision("algorithm", choice, reason, {a: round(v, 4) for a, v in rec.ranking}), rec.to_dict(),
            usable, rec)


def is_mixed_table(dataset: Dataset) -> bool:
    """A table with categorical or boolean columns: clustered on Gower distance, not one-hot codes."""
    return dataset.is_table and bool(dataset.schema.categorical or dataset.schema.boolean)


def _sample(n: int, size: int, seed: int) -> np.ndarray:
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


def _compare(name: str, labels_s: np.ndarray, chosen_s: np.ndarray, x_s, seconds: float, predicted=None,
             precomputed: bool = False) -> dict:
    from sklearn.metrics import silhouette_score

    kept = labels_s >= 0
    k = int(np.unique(labels_s[kept]).size)
    sil = float("nan")
    if 2 <= k < kept.sum():
        idx = np.flatnonzero(kept)[:SILHOUETTE_ROWS]
        if np.unique(labels_s[idx]).size > 1:
            sil = float(silhouette_score(x_s[np.ix_(idx, idx)] if precomputed else x_s[idx], labels_s[idx],
                                         metric="precomputed" if precomputed else "euclidean"))
    return {"algorithm": name, "predicted": None if predicted is None or np.isnan(predicted) else round(predicted, 4),
            "k": k, "noise": int((~kept).sum()), "silhouette": sil,
            "agreement": float(ari(chosen_s, labels_s)), "seconds": round(seconds, 3)}


def _numeric_path(dataset: Dataset, *, max_k: int, seed: int, missing: str, on_estimate, runners_up: int):
    timings = {}
    t = time.perf_counter()
    encoding = encode(dataset, missing=missing)
    x = encoding.matrix
    timings["encode"] = time.perf_counter() - t
    t = time.perf_counter()
    algo_decision, recommendation, usable, rec = choose_algorithm(x, seed)
    timings["recommend"] = time.perf_counter() - t
    t = time.perf_counter()
    k_decision, autok, consensus = choose_k(x, max_k, seed, on_estimate)
    timings["k"] = time.perf_counter() - t
    k = int(k_decision.choice)
    if rec is not None and rec.k is not None:
        agree = "agrees" if rec.k == k else f"disagrees (it says k = {rec.k})"
        k_decision.reason += (f"; the recommender's k head {agree}, probability {rec.k_probability:.2f}")
        k_decision.scores["recommender_k"] = rec.k
    decisions = [algo_decision, k_decision]
    algorithm = algo_decision.choice
    if not REGISTRY[algorithm].needs_k:
        k_decision.reason += f"; not used by {algorithm}, which finds its own number of clusters"
    t = time.perf_counter()
    try:
        result = fit_predict(algorithm, x, k if REGISTRY[algorithm].needs_k else None, seed=seed)
    except TooLargeError as exc:  # a quadratic algorithm on large data: the scalable default instead
        decisions.append(Decision("fallback", "kmeans", str(exc)))
        algorithm = "kmeans"
        result = fit_predict(algorithm, x, k, seed=seed)
    timings["fit"] = time.perf_counter() - t
    # Runners-up: the next usable algorithms of the ranking, on a sample at large n.
    t = time.perf_counter()
    rows = _sample(x.shape[0], RUNNER_UP_ROWS, seed)
    predicted = dict(usable)
    candidates = [_compare(algorithm, result.labels[rows], result.labels[rows], x[rows], result.seconds,
                           predicted.get(algorithm))]
    for name, score in [u for u in usable if u[0] != algorithm][:runners_up]:
        try:
            other = fit_predict(name, x[rows], k if REGISTRY[name].needs_k else None, seed=seed)
        except ClusterlabError as exc:
            candidates.append({"algorithm": name, "predicted": round(score, 4), "error": str(exc)})
            continue
        candidates.append(_compare(name, other.labels, result.labels[rows], x[rows], other.seconds, score))
    timings["runners_up"] = time.perf_counter() - t
    sampled = f" (runners-up fitted on {rows.size:,} sampled rows)" if rows.size < x.shape[0] else ""
    decisions.append(Decision("runners-up", [c["algorithm"] for c in candidates[1:]],
                              "the next algorithms of the ranking, compared by silhouette and by their agreement "
                              f"(ARI) with the choice{sampled}", {c["algorithm"]: c.get("silhouette") for c in candidates}))
    labels = result.labels
    if encoding.rows is not None:  # rows dropped for missing cells are reported as unassigned
        full = np.full(dataset.n, -1, dtype=np.int64)
        full[encoding.rows] = labels
        labels = full
    internal = internal_scores(x, result.labels, seed=seed)
    confidence, kind = assignment_confidence(x, result.labels, result.estimator)
    if encoding.rows is not None:
        full_conf = np.full(dataset.n, np.nan)
        full_conf[encoding.rows] = confidence
        confidence = full_conf
    return dict(labels=labels, fit_labels=result.labels, algorithm=algorithm, k=result.n_clusters,
                decisions=decisions, internal=internal, notes=encoding.notes, autok=autok,
                recommendation=recommendation, candidates=candidates, confidence=confidence,
                confidence_kind=kind, x=x, rows=encoding.rows, consensus=consensus, timings=timings, precomputed=None)


def _mixed_path(dataset: Dataset, *, max_k: int, seed: int, runners_up: int, on_estimate=None):
    """Gower distance; k by the auto-k consensus on an exact Euclidean embedding of sqrt(Gower);
    k-medoids at that k; runners-up at the same k on a sample."""
    from sklearn.metrics import silhouette_score

    from .algorithms.mixed import GowerKMedoids, medoid_silhouette
    from .prep.gower import gower_matrix, gower_of

    timings = {}
    schema = dataset.schema
    t = time.perf_counter()
    data = gower_of(dataset)
    timings["encode"] = time.perf_counter() - t
    t = time.perf_counter()
    k_decision, autok, consensus = choose_k(data, max_k, seed, on_estimate)
    timings["k"] = time.perf_counter() - t
    t = time.perf_counter()
    model = GowerKMedoids(n_clusters=int(k_decision.choice), random_state=seed).fit(data)
    timings["fit"] = time.perf_counter() - t
    kinds = f"{len(schema.numeric)} numeric, {len(schema.categorical)} categorical, {len(schema.boolean)} boolean"
    sampled = f" (CLARA: {model.n_samples} samples of {model.sample_size:,} rows)" if model.sampled_ else ""
    decisions = [
        Decision("encoding", "gower", f"mixed table ({kinds} columns): Gower distance, a missing cell leaves "
                                      "the pair's average"),
        Decision("algorithm", "gower_kmedoids", "k-medoids (FasterPAM) on Gower distance" + sampled
                 + "; the recommender is trained on numeric matrices and is not asked for mixed tables"),
        k_decision,
    ]
    labels = model.labels_
    k = model.n_clusters_
    t = time.perf_counter()
    rows = _sample(dataset.n, min(RUNNER_UP_ROWS, 4_000), seed)
    d = gower_matrix(data.take(rows))
    candidates = [_compare("gower_kmedoids", labels[rows], labels[rows], d, timings["fit"], precomputed=True)]
    for name in ["gower_average", "kprototypes", "gower_hdbscan"][:runners_up]:
        try:
            start = time.perf_counter()
            other = fit_predict(name, data.take(rows), k if REGISTRY[name].needs_k else None, seed=seed)
            candidates.append(_compare(name, other.labels, labels[rows], d, time.perf_counter() - start,
                                       precomputed=True))
        except ClusterlabError as exc:
            candidates.append({"algorithm": name, "error": str(exc)})
    timings["runners_up"] = time.perf_counter() - t
    decisions.append(Decision("runners-up", [c["algorithm"] for c in candidates[1:]],
                              "other algorithms on Gower distance at the same k (HDBSCAN finds its own), compared "
                              "by silhouette and agreement (ARI) with the choice"
                              + (f", on {rows.size:,} sampled rows" if rows.size < dataset.n else ""),
                              {c["algorithm"]: c.get("silhouette") for c in candidates}))
    sil_rows = rows[:SILHOUETTE_ROWS]
    sub = d[:SILHOUETTE_ROWS, :SILHOUETTE_ROWS]
    internal = {"silhouette_gower": float(silhouette_score(sub, labels[sil_rows], metric="precomputed"))
                if np.unique(labels[sil_rows]).size > 1 else float("nan")}
    to_medoids = gower_matrix(data, model.medoids_)
    confidence = medoid_silhouette(np.nan_to_num(to_medoids, nan=1.0))[1]
    # The 2-D view and profiles need a vector space: standardised numbers and one-hot categories.
    x = encode(dataset, missing="impute").matrix
    return dict(labels=labels, fit_labels=labels, algorithm="gower_kmedoids", k=k, decisions=decisions,
                internal=internal, notes=[], autok=autok, recommendation={}, candidates=candidates,
                confidence=confidence, confidence_kind="medoid silhouette 1 - d_own / d_next (Gower)", x=x,
                rows=None, consensus=consensus, timings=timings, precomputed=(rows, d))


def _view(x: np.ndarray, labels: np.ndarray, method: str, seed: int) -> dict:
    rows = _sample(x.shape[0], VIEW_ROWS, seed)
    xs = x[rows]
    if method == "umap":
        import umap

        xy = umap.UMAP(n_components=2, random_state=seed).fit_transform(xs)
        what = "UMAP of the encoded features"
    else:
        from sklearn.decomposition import PCA

        if xs.shape[1] < 2:
            xy = np.column_stack([xs[:, 0], np.zeros(len(xs))])
            what = "the single feature"
        else:
            pca = PCA(n_components=2, random_state=seed).fit(xs)
            xy = pca.transform(xs)
            share = pca.explained_variance_ratio_.sum()
            what = f"PCA of the encoded features ({100 * share:.0f} % of the variance)"
    return {"method": method, "what": what, "rows": rows.tolist(), "xy": np.round(xy, 5).tolist(),
            "labels": labels[rows].tolist(), "sampled": bool(rows.size < x.shape[0])}


def _silhouettes(x: np.ndarray, labels: np.ndarray, seed: int, precomputed=None) -> dict:
    from sklearn.metrics import silhouette_samples

    if precomputed is not None:
        rows, d = precomputed
        rows, d = rows[:SILHOUETTE_ROWS], d[:SILHOUETTE_ROWS, :SILHOUETTE_ROWS]
        lab = labels[rows]
        if np.unique(lab).size < 2:
            return {}
        return {"rows": rows.tolist(), "values": silhouette_samples(d, lab, metric="precomputed").tolist(),
                "labels": lab.tolist(), "distance": "Gower"}
    rows = np.flatnonzero(labels >= 0)
    rows = rows[_sample(rows.size, SILHOUETTE_ROWS, seed)]
    lab = labels[rows]
    if not 2 <= np.unique(lab).size < rows.size:
        return {}
    return {"rows": rows.tolist(), "values": silhouette_samples(x[rows], lab).tolist(), "labels": lab.tolist(),
            "distance": "Euclidean on the encoded features"}


def auto(source: str | Path | Dataset = DEFAULT_DATASET, *, label: str | None = None, data_dir=None,
         max_k: int = 10, seed: int = 0, missing: str = "impute", on_estimate=None, runners_up: int = 2,
         view: str = "pca") -> AutoResult:
    """Cluster a dataset end to end and return every decision with its reason.

    `on_estimate` follows the k estimators as they finish (see `autok.estimate_k`); `view` is
    the 2-D map of the report: pca (default) or umap (slower: it compiles on first use)."""
    from .errors import ParameterError
    from .report.profiles import cluster_profiles

    if view not in VIEWS:
        raise ParameterError(f"view={view!r} is not allowed; choose one of: {', '.join(VIEWS)}")
    if runners_up < 0:
        raise ParameterError(f"runners_up must be >= 0, got {runners_up}")
    start = time.perf_counter()
    dataset = source if isinstance(source, Dataset) else load(source, label=label, data_dir=data_dir, seed=seed)
    dataset = tidy(dataset)
    if is_mixed_table(dataset):
        core = _mixed_path(dataset, max_k=max_k, seed=seed, runners_up=runners_up, on_estimate=on_estimate)
    else:
        core = _numeric_path(dataset, max_k=max_k, seed=seed, missing=missing, on_estimate=on_estimate,
                             runners_up=runners_up)
    labels, x = core["labels"], core["x"]
    fit_labels = core["fit_labels"]
    t = time.perf_counter()
    view_data = _view(x, fit_labels, view, seed)
    if core["rows"] is not None:  # view rows index the encoded matrix; report them as dataset rows
        view_data["rows"] = np.asarray(core["rows"])[view_data["rows"]].tolist()
    sil = _silhouettes(x, fit_labels, seed, core["precomputed"])
    if sil and core["rows"] is not None:
        sil["rows"] = np.asarray(core["rows"])[sil["rows"]].tolist()
    features = dataset.features
    if dataset.is_table:
        profiles = cluster_profiles(features, dataset.schema.numeric,
                                    dataset.schema.categorical + dataset.schema.boolean, labels)
    elif not dataset.is_image:
        profiles = cluster_profiles(np.asarray(features), [], [], labels)
    else:
        profiles = []
    core["timings"]["report_data"] = time.perf_counter() - t
    external = external_scores(dataset.references, labels) if dataset.truth is not None else None
    return AutoResult(dataset, labels, core["algorithm"], core["k"], core["decisions"], core["internal"], external,
                      balance(labels), time.perf_counter() - start, list(dataset.notes) + core["notes"],
                      core["autok"], core["recommendation"], core["candidates"], core["confidence"],
                      core["confidence_kind"], profiles, view_data, sil, core["consensus"],
                      {k: round(v, 3) for k, v in core["timings"].items()})


def write_outputs(result: AutoResult, out_dir: str | Path, report: bool = True) -> dict[str, Path]:
    """labels.csv (row, cluster, confidence, outlier), summary.json (every decision, score and
    note) and report.html (one self-contained page)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"labels": out / "labels.csv", "summary": out / "summary.json"}
    columns = {"row": np.arange(result.labels.size), "cluster": result.labels}
    if result.confidence is not None:
        columns["confidence"] = np.round(result.confidence, 4)
    columns["outlier"] = (result.labels < 0).astype(int)
    _write_atomic(paths["labels"], lambda p: pd.DataFrame(columns).to_csv(p, index=False))
    summary = summary_dict(result)
    _write_atomic(paths["summary"], lambda p: p.write_text(json.dumps(summary, indent=2, default=_json_default)))
    if report:
        from .report.html import write_report

        paths["report"] = write_report(result, summary, out / "report.html")
    return paths


def summary_dict(result: AutoResult) -> dict:
    return {
        "clusterlab": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.system()}, Python {platform.python_version()}",
        "dataset": {"name": result.dataset.name, "rows": result.dataset.n,
                    "features": result.dataset.n_features, "schema": result.dataset.schema.to_dict(),
                    "set_aside": result.dataset.meta.get("set_aside", []),
                    "source": result.dataset.meta.get("source")},
        "algorithm": result.algorithm,
        "k": result.k,
        "decisions": [d.__dict__ for d in result.decisions],
        "candidates": result.candidates,
        "internal_scores": result.internal,
        "external_scores": result.external,
        "balance": result.balance,
        "confidence": result.confidence_kind,
        "profiles": result.profiles,
        "autok": result.autok,
        "recommendation": result.recommendation,
        "view": {k: v for k, v in result.view.items() if k in ("method", "what", "sampled")},
        "notes": result.notes,
        "timings": result.timings,
        "seconds": round(result.seconds, 3),
    }


def _write_atomic(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    tmp.replace(path)


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
