"""The meta-dataset: synthetic datasets, each labelled with the ARI of every registered
algorithm on it.

Only the generator spec and seed are stored with the labels, never the points: a spec
rebuilds its dataset exactly (`clusterlab.data.synthetic.generate`). Algorithms that take k
run at the true k; the others on their data-driven defaults. Reference noise points are left
out of the ARI, as everywhere in clusterlab. An algorithm that refuses (too large) or fails
gets an empty ARI and the reason.

Labelling goes through `clusterlab.parallel` (local processes or a Dask cluster) and appends
each finished dataset to a CSV at once, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import csv
import time
import warnings
from dataclasses import fields
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..algorithms import fit_predict, names
from ..data.synthetic import SyntheticSpec, generate, sample_spec
from ..errors import ClusterlabError, DataError
from ..metrics import ari
from ..parallel import default_workers, run_tasks

SPEC_COLUMNS = [f.name for f in fields(SyntheticSpec)]
# Synthetic datasets are numeric matrices: the table (Gower) algorithms do not apply to them.
ALGORITHMS = names("matrix")
ALGORITHM_COLUMNS = [f"ari_{name}" for name in ALGORITHMS]
# The seed of the stream of specs: the same count always yields the same datasets.
STREAM_SEED = 20261122


def label_dataset(spec: dict) -> dict:
    """Every registered algorithm on the dataset `spec` describes: ARI, seconds, clusters found."""
    warnings.simplefilter("ignore")  # convergence chatter, thousands of times over
    s = SyntheticSpec(**spec)
    dataset = generate(s)
    row: dict = {**spec, "rows": dataset.n, "noise_points": int((dataset.truth < 0).sum())}
    start = time.perf_counter()
    for name in ALGORITHMS:
        try:
            result = fit_predict(name, dataset.features, s.k, seed=s.seed)
            row[f"ari_{name}"] = round(ari(dataset.truth, result.labels), 6)
            row[f"seconds_{name}"] = round(result.seconds, 4)
            row[f"k_{name}"] = result.n_clusters
        except ClusterlabError as exc:
            row[f"ari_{name}"], row[f"error_{name}"] = np.nan, str(exc)[:160]
    row["seconds"] = round(time.perf_counter() - start, 3)
    return row


def _columns() -> list[str]:
    per_algorithm = [f"{what}_{name}" for name in ALGORITHMS for what in ("ari", "seconds", "k", "error")]
    return [*SPEC_COLUMNS, "rows", "noise_points", *per_algorithm, "seconds"]


def read_labels_table(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise DataError(f"no meta-dataset at {path}; build one with `clusterlab metadata label`")
    return pd.read_csv(path)


def label_many(path: str | Path, count: int, *, backend: str = "processes", workers: int | None = None,
               progress: str | None = "labelling", on_row: Callable[[dict], None] | None = None,
               max_n: int = 2000) -> dict:
    """Label the first `count` specs of the stream into the CSV at `path`, skipping those
    already there. Returns counts and the throughput in datasets per core-hour. `max_n`
    bounds the rows of each dataset (2,000, ClustRecNet's input size, by default)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(STREAM_SEED)
    specs = [sample_spec(rng, seed=i, max_n=max_n).to_dict() for i in range(count)]
    columns = _columns()
    new_file = not path.exists() or path.stat().st_size == 0
    done: set = set()
    if not new_file:
        header = list(pd.read_csv(path, nrows=0).columns)
        if header != columns:
            missing = sorted(set(columns) - set(header))
            raise DataError(f"{path} was labelled with another set of algorithms or fields (this version adds "
                            f"{', '.join(missing[:6]) or 'none'}); label into a new file")
        done = set(pd.read_csv(path, usecols=["seed"]).seed.tolist())
    todo = [s for s in specs if s["seed"] not in done]
    n_workers = 1 if backend == "serial" else (workers or default_workers())
    start = time.perf_counter()
    failed = 0
    with path.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore")
        if new_file:
            writer.writeheader()
        for result in run_tasks(label_dataset, todo, backend=backend, workers=workers, progress=progress):
            if not result.ok:
                failed += 1
                continue
            writer.writerow(result.value)
            handle.flush()  # a killed run keeps every finished dataset
            if on_row:
                on_row(result.value)
    wall = time.perf_counter() - start
    labelled = len(todo) - failed
    per_core_hour = labelled / (wall * n_workers / 3600) if wall > 0 and labelled else float("nan")
    return {"requested": count, "already": len(done & {s["seed"] for s in specs}), "labelled": labelled,
            "failed": failed, "wall_seconds": wall, "workers": n_workers, "per_core_hour": per_core_hour}
