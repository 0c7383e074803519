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


def auto(source: str | Path | Dataset = DEFAULT_DATASET, *, label: str | None = None, data_dir=None,
         max_k: int = 10, seed: int = 0, missing: str = "impute", on_estimate=None) -> AutoResult:
    """Cluster a dataset end to end and return every decision with its reason.

    `on_estimate` follows the k estimators as they finish (see `autok.estimate_k`)."""
    start = time.perf_counter()
    dataset = source if isinstance(source, Dataset) else load(source, label=label, data_dir=data_dir, seed=seed)
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
