"""Gagolewski's clustering benchmark batteries (`BATTERY/NAME.data.gz` + `.labelsN.gz`).

Reading goes through the `clustbench` package, the framework's own reader, so that the data
are prepared exactly as the framework prescribes (constant columns dropped, centred, scaled
proportionally, a tiny seeded jitter against duplicates). Reference label 0 marks noise; it
becomes -1 here, and clusters 1..K become 0..K-1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DataError, NotFoundError
from .dataset import Dataset, array_schema


def battery_names(root: Path) -> list[str]:
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("*.data.gz")))


def dataset_names(root: Path, battery: str) -> list[str]:
    folder = root / battery
    if not folder.is_dir():
        raise NotFoundError(f"no battery {battery!r} under {root}; batteries there: {battery_names(root)}")
    return sorted(p.name[: -len(".data.gz")] for p in folder.glob("*.data.gz"))


def read_battery_dataset(root: Path, battery: str, dataset: str, seed: int = 0) -> Dataset:
    """One dataset of a battery; `root` is the folder that holds the battery folders."""
    import clustbench

    if not (root / battery / f"{dataset}.data.gz").exists():
        names = dataset_names(root, battery)
        raise NotFoundError(f"no dataset {dataset!r} in battery {battery!r}; it has: {', '.join(names)}")
    try:
        bench = clustbench.load_dataset(battery, dataset, path=str(root), expanduser=False,
                                        expandvars=False, preprocess=True, random_state=seed)
    except (ValueError, OSError) as exc:
        raise DataError(f"cannot read {battery}/{dataset}: {str(exc).splitlines()[0]}") from None
    x = np.asarray(bench.data, dtype=np.float64)
    if not np.isfinite(x).all():
        raise DataError(f"{battery}/{dataset} holds non-finite values")
    refs = [np.asarray(lab, dtype=np.int64) - 1 for lab in bench.labels]  # noise 0 -> -1
    description = str(bench.description or "").strip()
    return Dataset(f"{battery}/{dataset}", x, array_schema(x), truth=refs[0],
                   truth_alternatives=tuple(refs[1:]),
                   meta={"source": str(root / battery / f"{dataset}.data.gz"), "battery": battery,
                         "description": description.splitlines()[0] if description else ""})
