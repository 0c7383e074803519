"""The main job: read -> encode -> choose algorithm and k -> fit -> score -> write.

In this first version the choice is the simplest honest one, and says so in the summary:
k-means, with k the one of 2..max_k whose k-means clustering has the largest silhouette
(measured on a sample of at most 5,000 rows). The recommender and the auto-k consensus
replace this step when they land.
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
from .algorithms import fit_predict
from .data import DEFAULT_DATASET, Dataset, load
from .errors import ParameterError
from .metrics import balance, external_scores, internal_scores, silhouette
from .prep import encode

SILHOUETTE_SAMPLE = 5000


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


def choose_k_silhouette(x: np.ndarray, max_k: int, seed: int) -> Decision:
    """k-means for k = 2..max_k on a sample; the k of largest silhouette wins."""
    rng = np.random.default_rng(seed)
    sample = x if x.shape[0] <= SILHOUETTE_SAMPLE else x[rng.choice(x.shape[0], SILHOUETTE_SAMPLE, replace=False)]
    top = min(max_k, sample.shape[0] - 1)
    if top < 2:
        raise ParameterError(f"too few rows ({x.shape[0]}) to compare numbers of clusters; need at least 3")
    scores = {}
    for k in range(2, top + 1):
        labels = fit_predict("kmeans", sample, k, seed=seed, n_init=3).labels
        scores[k] = silhouette(sample, labels, sample_size=None)
    best = max(scores, key=lambda k: (np.nan_to_num(scores[k], nan=-2), -k))
    return Decision("k", best, f"largest silhouette of k-means over k = 2..{top}"
                               f"{' on a sample of %d rows' % sample.shape[0] if sample is not x else ''}",
                    {str(k): round(v, 4) for k, v in scores.items()})


def auto(source: str | Path | Dataset = DEFAULT_DATASET, *, label: str | None = None, data_dir=None,
         max_k: int = 10, seed: int = 0, missing: str = "impute") -> AutoResult:
    """Cluster a dataset end to end and return every decision with its reason."""
    start = time.perf_counter()
    dataset = source if isinstance(source, Dataset) else load(source, label=label, data_dir=data_dir, seed=seed)
    if max_k < 2:
        raise ParameterError(f"max_k must be at least 2, got {max_k}")
    encoding = encode(dataset, missing=missing)
    x = encoding.matrix
    decisions = [Decision("algorithm", "kmeans", "placeholder rule until the recommender lands: k-means "
                                                  "is the usual first choice for numeric data")]
    k_decision = choose_k_silhouette(x, max_k, seed)
    decisions.append(k_decision)
    result = fit_predict("kmeans", x, int(k_decision.choice), seed=seed)
    labels = result.labels
    if encoding.rows is not None:  # rows dropped for missing cells are reported as unassigned
        full = np.full(dataset.n, -1, dtype=np.int64)
        full[encoding.rows] = labels
        labels = full
    internal = internal_scores(x, result.labels, seed=seed)
    external = None
    if dataset.truth is not None:
        external = external_scores(dataset.references, labels)
    return AutoResult(dataset, labels, "kmeans", int(k_decision.choice), decisions, internal, external,
                      balance(labels), time.perf_counter() - start, list(dataset.notes) + encoding.notes)


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
