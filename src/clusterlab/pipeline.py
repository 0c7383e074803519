"""The main job: read -> encode -> choose algorithm and k -> fit -> score -> write.

The algorithm comes from the recommender shipped with the package (`recommend/shipped/`): the
algorithm with the highest expected ARI. k comes from the auto-k consensus (a weighted vote of
every k estimator on a sample of at most 2,048 rows); algorithms that find their own number of
clusters (DBSCAN, HDBSCAN, ...) run on their data-driven defaults. Without a usable shipped
model, k-means is the fallback, and the summary says why.
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
from .errors import TooLargeError
from .metrics import balance, external_scores, internal_scores
from .prep import encode


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


def choose_k(x: np.ndarray, max_k: int, seed: int, on_estimate=None) -> tuple[Decision, dict]:
    """The auto-k consensus over k = 2..max_k."""
    consensus = estimate_k(x, min_k=2, max_k=max_k, seed=seed, on_estimate=on_estimate)
    named = ", ".join(f"{e.method}={e.k}" for e in consensus.estimates)
    reason = (f"weighted vote of {len(consensus.estimates)} estimators over k = {consensus.ks[0]}..{consensus.ks[-1]}"
              f" on {consensus.sample_size:,} of {consensus.n:,} rows ({named})")
    return Decision("k", consensus.k, reason, {str(k): round(v, 4) for k, v in consensus.votes.items()}), \
        consensus.to_dict()


def choose_algorithm(x: np.ndarray, seed: int) -> tuple[Decision, dict]:
    """The shipped recommender's top algorithm, with its ranking as the decision's scores."""
    from .errors import DataError
    from .recommend.recommender import Recommender

    try:
        rec = Recommender.load().predict(x, seed=seed)
    except DataError as exc:
        return Decision("algorithm", "kmeans", f"fallback: the shipped recommender is unusable ({exc})"), {}
    n = x.shape[0]
    # The best-ranked algorithm that can run at this size (quadratic ones have a row limit).
    usable = [(a, v) for a, v in rec.ranking if REGISTRY[a].max_n is None or n <= REGISTRY[a].max_n]
    skipped = [a for a, _ in rec.ranking[: rec.ranking.index(usable[0])]] if usable else []
    if not usable:
        return Decision("algorithm", "kmeans", f"fallback: no ranked algorithm runs on {n:,} rows"), rec.to_dict()
    choice, score = usable[0]
    interval = (f", 80 % interval [{rec.interval[0]:.2f}, {rec.interval[1]:.2f}]"
                if rec.interval and not skipped else "")
    nxt = f"; next {usable[1][0]} {usable[1][1]:.2f}" if len(usable) > 1 else ""
    passed = f"; passed over {', '.join(skipped)} (limited to fewer rows than {n:,})" if skipped else ""
    reason = f"recommender `{rec.model}` ranks it first: {rec.score} {score:.2f}{interval}{nxt}{passed}"
    return Decision("algorithm", choice, reason, {a: round(v, 4) for a, v in rec.ranking}), rec.to_dict()


def is_mixed_table(dataset: Dataset) -> bool:
    """A table with categorical or boolean columns: clustered on Gower distance, not one-hot codes."""
    return dataset.is_table and bool(dataset.schema.categorical or dataset.schema.boolean)


def auto_mixed(dataset: Dataset, *, max_k: int = 10, seed: int = 0, start: float | None = None) -> AutoResult:
    """The mixed-table path: Gower distance, k-medoids (FasterPAM) with k by silhouette (CLARA
    samples above 4,000 rows). The recommender is trained on numeric matrices, so it is not asked."""
    from .algorithms.mixed import GowerKMedoids
    from sklearn.metrics import silhouette_score

    from .prep.gower import gower_matrix, gower_of

    start = time.perf_counter() if start is None else start
    schema = dataset.schema
    data = gower_of(dataset)
    kinds = f"{len(schema.numeric)} numeric, {len(schema.categorical)} categorical, {len(schema.boolean)} boolean"
    model = GowerKMedoids(k_range=(2, max(2, min(max_k, dataset.n - 1))), random_state=seed).fit(data)
    sampled = f" (CLARA: {model.n_samples} samples of {model.sample_size:,} rows)" if model.sampled_ else ""
    decisions = [
        Decision("encoding", "gower", f"mixed table ({kinds} columns): Gower distance, a missing cell leaves "
                                      "the pair's average"),
        Decision("algorithm", "gower_kmedoids", "k-medoids (FasterPAM) on Gower distance" + sampled
                 + "; the recommender is trained on numeric matrices and is not asked for mixed tables"),
        Decision("k", model.n_clusters_, f"highest silhouette of the k-medoids partitions over k = "
                                         f"{min(model.k_scores_)}..{max(model.k_scores_)}",
                 {str(k): round(v, 4) for k, v in model.k_scores_.items()}),
    ]
    labels = model.labels_
    rng = np.random.default_rng(seed)
    rows = rng.choice(dataset.n, min(dataset.n, 2000), replace=False)
    d = gower_matrix(data.take(rows))
    internal = {"silhouette_gower": float(silhouette_score(d, labels[rows], metric="precomputed"))
                if np.unique(labels[rows]).size > 1 else float("nan"),
                "medoid_silhouette": model.silhouette_ if model.criterion == "medoid" else None}
    internal = {k: v for k, v in internal.items() if v is not None}
    external = external_scores(dataset.references, labels) if dataset.truth is not None else None
    return AutoResult(dataset, labels, "gower_kmedoids", model.n_clusters_, decisions, internal, external,
                      balance(labels), time.perf_counter() - start, list(dataset.notes))


def auto(source: str | Path | Dataset = DEFAULT_DATASET, *, label: str | None = None, data_dir=None,
         max_k: int = 10, seed: int = 0, missing: str = "impute", on_estimate=None) -> AutoResult:
    """Cluster a dataset end to end and return every decision with its reason.

    Mixed tables (any categorical or boolean column) take the Gower path (`auto_mixed`).
    `on_estimate` follows the k estimators as they finish (see `autok.estimate_k`)."""
    start = time.perf_counter()
    dataset = source if isinstance(source, Dataset) else load(source, label=label, data_dir=data_dir, seed=seed)
    if is_mixed_table(dataset):
        return auto_mixed(dataset, max_k=max_k, seed=seed, start=start)
    encoding = encode(dataset, missing=missing)
    x = encoding.matrix
    algo_decision, recommendation = choose_algorithm(x, seed)
    algorithm = algo_decision.choice
    k_decision, autok = choose_k(x, max_k, seed, on_estimate)
    decisions = [algo_decision, k_decision]
    needs_k = REGISTRY[algorithm].needs_k
    if not needs_k:
        k_decision.reason += f"; not used: {algorithm} finds its own number of clusters"
    try:
        result = fit_predict(algorithm, x, int(k_decision.choice) if needs_k else None, seed=seed)
    except TooLargeError as exc:  # a quadratic algorithm on large data: the scalable default instead
        decisions.append(Decision("fallback", "kmeans", str(exc)))
        algorithm = "kmeans"
        result = fit_predict(algorithm, x, int(k_decision.choice), seed=seed)
    labels = result.labels
    if encoding.rows is not None:  # rows dropped for missing cells are reported as unassigned
        full = np.full(dataset.n, -1, dtype=np.int64)
        full[encoding.rows] = labels
        labels = full
    internal = internal_scores(x, result.labels, seed=seed)
    external = None
    if dataset.truth is not None:
        external = external_scores(dataset.references, labels)
    return AutoResult(dataset, labels, algorithm, result.n_clusters, decisions, internal, external,
                      balance(labels), time.perf_counter() - start, list(dataset.notes) + encoding.notes, autok,
                      recommendation)


def write_outputs(result: AutoResult, out_dir: str | Path) -> dict[str, Path]:
    """labels.csv (row, cluster) and summary.json (every decision, score and note)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"labels": out / "labels.csv", "summary": out / "summary.json"}
    pd.DataFrame({"row": np.arange(result.labels.size), "cluster": result.labels}).to_csv(paths["labels"], index=False)
    summary = {
        "clusterlab": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.system()}, Python {platform.python_version()}",
        "dataset": {"name": result.dataset.name, "rows": result.dataset.n,
                    "features": result.dataset.n_features, "schema": result.dataset.schema.to_dict(),
                    "source": result.dataset.meta.get("source")},
        "algorithm": result.algorithm,
        "k": result.k,
        "decisions": [d.__dict__ for d in result.decisions],
        "internal_scores": result.internal,
        "external_scores": result.external,
        "balance": result.balance,
        "autok": result.autok,
        "recommendation": result.recommendation,
        "notes": result.notes,
        "seconds": round(result.seconds, 3),
    }
    tmp = paths["summary"].with_suffix(".json.tmp")
    tmp.write_text(json.dumps(summary, indent=2, default=_json_default))
    tmp.replace(paths["summary"])
    return paths


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
