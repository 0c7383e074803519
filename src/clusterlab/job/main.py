"""The main job, `clusterlab auto`: read -> tidy -> by the kind of input (`prep.input_of`), the
steps of `numeric` or `mixed` -> scores against a truth, balance, cluster profiles.

Everything above linear cost runs on a sample (silhouettes, runners-up, the report's map) and
the decisions say so, so a million rows finish in minutes with bounded memory."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..algorithms import check_seed, distinct_rows
from ..data import DEFAULT_DATASET, Dataset, load
from ..errors import DataError, ParameterError
from ..metrics import balance, external_scores
from ..prep import input_of
from ..prep.tidy import tidy
from . import images, mixed, numeric
from .result import AutoResult

# One runner per kind of input; each returns an `Outcome`.
RUNNERS = {"matrix": numeric.run, "table": mixed.run, "image": images.run}


def _check_clusterable(dataset: Dataset) -> None:
    """One row, or rows all alike, have no clusters: say so, before tidying sets every column aside."""
    if dataset.n < 2:
        rows = f"{dataset.n} row{'s' if dataset.n != 1 else ''}"
        raise DataError(f"{dataset.name} has {rows}: clustering needs at least 2")
    if dataset.is_table:
        alike = bool(dataset.features.duplicated().iloc[1:].all())
    else:
        flat = np.asarray(dataset.features).reshape(dataset.n, -1)
        alike = bool(np.isfinite(flat).all()) and distinct_rows(flat) == 1
    if alike:
        raise DataError(f"all {dataset.n:,} rows of {dataset.name} are identical: there is nothing to cluster")


# k up to 10 for tables and matrices; up to 15 for images, where the modularity rule of
# job/images.py peaked at 10 (USPS pixels), 11 (Fashion-MNIST features) and 9 (CIFAR-10 features)
# over 2..15 on the training splits (true 10) and a range ending at 10 would put a cap at the truth
MAX_K = {"rows": 10, "images": 15}


def auto(source: str | Path | Dataset = DEFAULT_DATASET, *, label: str | None = None, data_dir=None,
         max_k: int | None = None, seed: int = 0, missing: str = "impute", on_estimate=None, runners_up: int = 2,
         budget: float | None = None, progress=None) -> AutoResult:
    """Cluster a dataset end to end and return every decision with its reason.

    `max_k` defaults to MAX_K of the input's kind. `on_estimate` follows the k estimators as they
    finish (see `autok.estimate_k`); images only: `budget` bounds the job in minutes,
    `progress(done, total, seconds_left[, what])` follows the backbone's batches and the
    autoencoder's epochs."""
    from ..report.profiles import cluster_profiles

    if runners_up < 0:
        raise ParameterError(f"runners_up must be >= 0, got {runners_up}")
    if max_k is not None and max_k < 2:
        raise ParameterError(f"max_k must be at least 2 (the smallest number of clusters there is), got {max_k}")
    if budget is not None and not budget > 0:
        raise ParameterError(f"budget must be a positive number of minutes, got {budget}")
    check_seed(seed)
    start = time.perf_counter()
    dataset = source if isinstance(source, Dataset) else load(source, label=label, data_dir=data_dir, seed=seed)
    _check_clusterable(dataset)
    dataset = tidy(dataset)
    options = {"budget": budget, "progress": progress} if dataset.is_image else {}
    max_k = MAX_K["images" if dataset.is_image else "rows"] if max_k is None else max_k
    outcome = RUNNERS["image" if dataset.is_image else input_of(dataset)](
        dataset, max_k=max_k, seed=seed, missing=missing, runners_up=runners_up, on_estimate=on_estimate, **options)
    t = time.perf_counter()
    labels = outcome.labels
    if dataset.is_table:
        schema = dataset.schema
        profiles = cluster_profiles(dataset.features, schema.numeric, schema.categorical + schema.boolean, labels)
    elif not dataset.is_image:
        profiles = cluster_profiles(np.asarray(dataset.features), [], [], labels)
    else:
        profiles = []
    outcome.timings["profiles"] = time.perf_counter() - t
    outcome.timings = {k: round(v, 3) for k, v in outcome.timings.items()}
    outcome.notes = list(dataset.notes) + outcome.notes
    external = external_scores(dataset.references, labels) if dataset.truth is not None else None
    return AutoResult.of(outcome, dataset=dataset, external=external, balance=balance(labels), profiles=profiles,
                         seconds=time.perf_counter() - start, seed=seed)
