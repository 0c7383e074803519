"""Training examples from the meta-dataset: each labelled spec rebuilt into its points, encoded
for a network, with its targets.

Targets per dataset: every registered algorithm's ARI (missing where it refused or failed,
with a mask) and the true k. Datasets are rebuilt from their specs, so nothing but the labels
table is ever stored; `build_examples` caches the encoded arrays in one .npz when asked.
Grids are kept in float16: 10,000 ClustRecNet grids take 2 GB instead of 4.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..algorithms import names
from ..data.synthetic import SyntheticSpec, generate
from ..errors import DataError
from ..files import write_atomic
from .encoders import ENCODING_VERSION, encode_for
from .metadataset import SPEC_COLUMNS

INPUT_NAMES = {"set": ("rows", "mask", "meta"), "grid": ("grid",)}


@dataclass
class Examples:
    kind: str  # "set" or "grid": which encoding `inputs` hold
    inputs: tuple[np.ndarray, ...]  # each with the examples on axis 0
    ari: np.ndarray  # (N, A) float32, NaN where the algorithm gave no result
    k: np.ndarray  # (N,) int64
    seeds: np.ndarray  # (N,) int64: which spec each example came from
    algorithms: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.k.shape[0])

    def __getattr__(self, name: str):  # ex.rows, ex.grid, ...
        names_ = INPUT_NAMES.get(self.__dict__.get("kind"), ())
        if name in names_:
            return self.inputs[names_.index(name)]
        raise AttributeError(name)

    def subset(self, algorithms: tuple[str, ...]) -> "Examples":
        """The same examples with targets for `algorithms` only (in that order)."""
        missing = [a for a in algorithms if a not in self.algorithms]
        if missing:
            raise DataError(f"the meta-dataset has no labels for {', '.join(missing)}")
        cols = [self.algorithms.index(a) for a in algorithms]
        return Examples(self.kind, self.inputs, self.ari[:, cols], self.k, self.seeds, tuple(algorithms))


def spec_of(row: pd.Series) -> SyntheticSpec:
    values = {c: row[c] for c in SPEC_COLUMNS}
    if pd.isna(values.get("informative")):
        values["informative"] = None
    else:
        values["informative"] = int(values["informative"])
    for c in ("n", "d", "k", "seed"):
        values[c] = int(values[c])
    return SyntheticSpec(**values)


def build_examples(table: pd.DataFrame, kind: str = "set", m: int = 512, p: int = 16,
                   cache: str | Path | None = None, progress=None) -> Examples:
    """Encode every dataset of a labels table for a `kind` model. `progress(done, total)` is
    called now and then: encoding 10,000 datasets takes minutes."""
    if kind not in INPUT_NAMES:
        raise DataError(f"unknown input kind {kind!r}; choose one of: {', '.join(INPUT_NAMES)}")
    algorithms = tuple(a for a in names() if f"ari_{a}" in table.columns)
    if not algorithms:
        raise DataError("the labels table has no ari_* columns; is it a meta-dataset?")
    if len(table) == 0:
        raise DataError("the labels table is empty; label datasets first (`clusterlab recommend label`)")
    ari = table[[f"ari_{a}" for a in algorithms]].to_numpy(dtype=np.float32)
    k = table.k.to_numpy(dtype=np.int64)
    seeds = table.seed.to_numpy(dtype=np.int64)
    cache = Path(cache) if cache else None
    shape = (m, p) if kind == "set" else (1, 2000, 50)
    if cache and cache.exists():
        with np.load(cache) as z:
            first = INPUT_NAMES[kind][0]
            if (first in z.files and "version" in z.files and int(z["version"]) == ENCODING_VERSION
                    and tuple(z["algorithms"]) == algorithms and np.array_equal(z["seeds"], seeds)
                    and z[first].shape[1:] == shape):
                return Examples(kind, tuple(z[n] for n in INPUT_NAMES[kind]), ari, k, seeds, algorithms)
    encoded = []
    for i, (_, row) in enumerate(table.iterrows()):
        encoded.append(encode_for(kind, generate(spec_of(row)).features, m=m, p=p))
        if progress and (i + 1) % 200 == 0:
            progress(i + 1, len(table))
    inputs = tuple(np.stack([e[j] for e in encoded]) for j in range(len(INPUT_NAMES[kind])))
    examples = Examples(kind, inputs, ari, k, seeds, algorithms)
    if cache:
        write_atomic(cache, lambda tmp: np.savez(tmp, seeds=seeds, algorithms=np.array(algorithms),
                                                 version=ENCODING_VERSION, **dict(zip(INPUT_NAMES[kind], inputs))))
    return examples


def split_by_seed(seeds: np.ndarray, test_share: float = 0.1, multiplier: int = 2654435761
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices; membership depends only on each seed, so adding datasets later
    never moves an old one across the split. Another `multiplier` gives an independent split
    (the validation split inside the training part)."""
    bucket = (seeds.astype(np.uint64) * np.uint64(multiplier)) % np.uint64(1000)
    test = bucket < np.uint64(round(test_share * 1000))
    return np.flatnonzero(~test), np.flatnonzero(test)
