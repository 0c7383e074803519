"""Bundled datasets, found by name, and `load`, the one entry point from a name or a path.

Names:
- built in (no data directory needed, shipped with scikit-learn): `wine` (the default), `iris`,
  `breast-cancer`, `digits`;
- under the data directory: `clustbench/BATTERY/NAME` (or `BATTERY/NAME`), `tabular/NAME`,
  and the image sets `images/mnist-test`, `images/fashion-mnist`, `images/usps`,
  `images/cifar10` (each may take `:train` or `:test`, e.g. `images/cifar10:test`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..config import data_dir as resolve_data_dir
from ..errors import NotFoundError
from .batteries import battery_names, dataset_names, read_battery_dataset
from .dataset import Dataset, array_schema
from .images import read_hdf5, read_idx_pair, read_image_folder
from .tables import infer_schema, read_numpy, read_table

DEFAULT_DATASET = "wine"
TABULAR_LABEL = "label"


def _sklearn(name: str) -> Dataset:
    from sklearn import datasets as skd

    loader = {"wine": skd.load_wine, "iris": skd.load_iris, "breast-cancer": skd.load_breast_cancer,
              "digits": skd.load_digits}[name]
    bunch = loader(as_frame=True)
    typed, schema = infer_schema(bunch.data)
    names = tuple(str(t) for t in getattr(bunch, "target_names", ()))
    return Dataset(name, typed, schema, truth=bunch.target.to_numpy().astype(np.int64), truth_names=names,
                   meta={"source": f"scikit-learn's bundled copy of {name}"})


BUILTIN: dict[str, str] = {
    "wine": "UCI wine recognition: 178 wines x 13 chemical measurements, 3 cultivars",
    "iris": "Fisher's iris: 150 flowers x 4 measurements, 3 species",
    "breast-cancer": "UCI breast cancer Wisconsin (diagnostic): 569 x 30, 2 classes",
    "digits": "UCI optical digits: 1,797 images 8x8 as 64 features, 10 classes",
}


@dataclass(frozen=True)
class ImageSet:
    description: str
    read: Callable[[Path, str | None], Dataset]


def _mnist_like(folder: str, name: str) -> Callable[[Path, str | None], Dataset]:
    def read(root: Path, split: str | None) -> Dataset:
        base = root / "images" / folder
        splits = {"train": "train", "test": "t10k"}
        wanted = [split] if split else [s for s in splits if (base / f"{splits[s]}-images-idx3-ubyte.gz").exists()]
        parts = []
        for s in wanted:
            if s not in splits:
                raise NotFoundError(f"{name} has splits train and test, not {s!r}")
            parts.append(read_idx_pair(base / f"{splits[s]}-images-idx3-ubyte.gz",
                                       base / f"{splits[s]}-labels-idx1-ubyte.gz", name))
        if len(parts) == 1:
            return parts[0]
        x = np.concatenate([p.features for p in parts])
        truth = np.concatenate([p.truth for p in parts])
        return Dataset(name, x, array_schema(x), truth=truth, meta={"source": str(base), "split": "all"})
    return read


IMAGE_SETS: dict[str, ImageSet] = {
    "mnist-test": ImageSet("MNIST test set: 10,000 digits 28x28", _mnist_like("mnist-test", "mnist-test")),
    "fashion-mnist": ImageSet("Fashion-MNIST: 60,000 train + 10,000 test, 28x28",
                              _mnist_like("fashion-mnist", "fashion-mnist")),
    "usps": ImageSet("USPS digits: 7,291 train + 2,007 test, 16x16",
                     lambda root, split: read_hdf5(root / "images/usps/usps.h5", split or "all", "usps")),
    "cifar10": ImageSet("CIFAR-10: 50,000 train + 10,000 test, 32x32 RGB (JPEG)",
                        lambda root, split: read_image_folder(root / "images/cifar10/cifar10-jpeg.tar.gz",
                                                              split, "RGB", "cifar10")),
}


def list_datasets(data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """Every dataset reachable by name: built-ins, and what the data directory holds."""
    rows = [{"name": n, "kind": "built in", "description": d} for n, d in BUILTIN.items()]
    root = resolve_data_dir(data_dir, required=False)
    if root is not None:
        bench = root / "clustbench"
        for battery in battery_names(bench):
            names = dataset_names(bench, battery)
            rows.append({"name": f"clustbench/{battery}/<name>", "kind": "battery",
                         "description": f"{len(names)} datasets: {', '.join(names[:6])}{' ...' if len(names) > 6 else ''}"})
        for csv in sorted((root / "tabular").glob("*.csv")):
            rows.append({"name": f"tabular/{csv.stem}", "kind": "table", "description": f"{csv.name}, truth in column '{TABULAR_LABEL}'"})
        for name, spec in IMAGE_SETS.items():
            if (root / "images" / name).exists():
                rows.append({"name": f"images/{name}", "kind": "images", "description": spec.description})
    return pd.DataFrame(rows, columns=["name", "kind", "description"])


def load_bundled(name: str, data_dir: str | os.PathLike | None = None, seed: int = 0) -> Dataset:
    """A bundled dataset by name (see the module docstring)."""
    if name in BUILTIN:
        return _sklearn(name)
    parts = name.strip("/").split("/")
    if parts[0] not in ("clustbench", "tabular", "images") and len(parts) == 2:
        parts = ["clustbench", *parts]  # `wut/x2` is short for `clustbench/wut/x2`
    if len(parts) < 2 or parts[0] not in ("clustbench", "tabular", "images"):
        raise NotFoundError(
            f"no file or bundled dataset named {name!r}; built in: {', '.join(BUILTIN)}; "
            "`clusterlab datasets --data-dir DIR` lists the rest"
        )
    root = resolve_data_dir(data_dir)
    if parts[0] == "clustbench" and len(parts) == 3:
        return read_battery_dataset(root / "clustbench", parts[1], parts[2], seed=seed)
    if parts[0] == "tabular" and len(parts) == 2:
        path = root / "tabular" / f"{parts[1]}.csv"
        if not path.exists():
            have = ", ".join(sorted(p.stem for p in (root / "tabular").glob("*.csv")))
            raise NotFoundError(f"no table {parts[1]!r} under {root / 'tabular'}; there are: {have}")
        return read_table(path, label=TABULAR_LABEL, name=f"tabular/{parts[1]}")
    if parts[0] == "images" and len(parts) == 2:
        set_name, _, split = parts[1].partition(":")
        if set_name not in IMAGE_SETS:
            raise NotFoundError(f"no image set {set_name!r}; known: {', '.join(IMAGE_SETS)}")
        return IMAGE_SETS[set_name].read(root, split or None)
    raise NotFoundError(f"cannot resolve dataset name {name!r}")


def load(source: str | os.PathLike, *, label: str | None = None, data_dir: str | os.PathLike | None = None,
         sep: str | None = None, seed: int = 0) -> Dataset:
    """A dataset from a file path (CSV, Parquet, .npy/.npz, IDX, HDF5, MATLAB .mat, image folder
    or .tar.gz) or from a bundled name."""
    path = Path(source)
    if path.exists():
        lower = path.name.lower()
        if path.is_dir() or lower.endswith((".tar.gz", ".tgz", ".tar")):
            return read_image_folder(path)
        if lower.endswith((".npy", ".npz")):
            return read_numpy(path, label=label)
        if lower.endswith((".h5", ".hdf5")):
            return read_hdf5(path)
        if lower.endswith(".mat"):
            from .matlab import read_mat

            return read_mat(path, label=label)
        if "idx" in lower and lower.endswith(("ubyte", "ubyte.gz")):
            return read_idx_pair(path, None, path.name)
        return read_table(path, label=label, sep=sep)
    if path.suffix.lower() in (".csv", ".parquet", ".pq", ".npy", ".npz", ".h5", ".hdf5", ".gz", ".tsv", ".txt", ".mat"):
        raise NotFoundError(f"no such file: {str(source)!r}")
    return load_bundled(str(source), data_dir=data_dir, seed=seed)
