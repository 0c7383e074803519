"""Training examples from the meta-dataset: each labelled spec rebuilt into its points, encoded
for a network, with its targets.

Targets per dataset: every registered algorithm's ARI (missing where it refused or failed,
with a mask) and the true k. Datasets are rebuilt from their specs, so nothing but the labels
table is ever stored; `build_set_examples` caches the encoded arrays in one .npz when asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..algorithms import names
from ..data.synthetic import SyntheticSpec, generate
from ..errors import DataError
from .encoders import canonical_set
from .metadataset import SPEC_COLUMNS


@dataclass
class SetExamples:
    rows: np.ndarray  # (N, m, p) float32
    mask: np.ndarray  # (N, m) bool
    meta: np.ndarray  # (N, p + 2) float32
    ari: np.ndarray  # (N, A) float32, NaN where the algorithm gave no result
    k: np.ndarray  # (N,) int64
    seeds: np.ndarray  # (N,) int64: which spec each example came from
    algorithms: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.k.shape[0])


def spec_of(row: pd.Series) -> SyntheticSpec:
    values = {c: row[c] for c in SPEC_COLUMNS}
    if pd.isna(values.get("informative")):
        values["informative"] = None
    else:
        values["informative"] = int(values["informative"])
    for c in ("n", "d", "k", "seed"):
        values[c] = int(values[c])
    return SyntheticSpec(**values)


def build_set_examples(table: pd.DataFrame, m: int = 512, p: int = 16,
                       cache: str | Path | None = None) -> SetExamples:
    algorithms = tuple(a for a in names() if f"ari_{a}" in table.columns)
    if not algorithms:
        raise DataError("the labels table has no ari_* columns; is it a meta-dataset?")
    cache = Path(cache) if cache else None
    if cache and cache.exists():
        with np.load(cache) as z:
            if (tuple(z["algorithms"]) == algorithms and np.array_equal(z["seeds"], table.seed.to_numpy())
                    and z["rows"].shape[1:] == (m, p)):
                return SetExamples(z["rows"], z["mask"], z["meta"], z["ari"], z["k"], z["seeds"], algorithms)
    encoded = [canonical_set(generate(spec_of(row)).features, m=m, p=p) for _, row in table.iterrows()]
    examples = SetExamples(
        rows=np.stack([e.rows for e in encoded]), mask=np.stack([e.mask for e in encoded]),
        meta=np.stack([e.meta for e in encoded]),
        ari=table[[f"ari_{a}" for a in algorithms]].to_numpy(dtype=np.float32),
        k=table.k.to_numpy(dtype=np.int64), seeds=table.seed.to_numpy(dtype=np.int64), algorithms=algorithms)
    if cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(cache, rows=examples.rows, mask=examples.mask, meta=examples.meta, ari=examples.ari,
                            k=examples.k, seeds=examples.seeds, algorithms=np.array(algorithms))
    return examples


def split_by_seed(seeds: np.ndarray, test_share: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices; membership depends only on each seed, so adding datasets later
    never moves an old one across the split."""
    bucket = (seeds.astype(np.uint64) * np.uint64(2654435761)) % np.uint64(1000)
    test = bucket < np.uint64(round(test_share * 1000))
    return np.flatnonzero(~test), np.flatnonzero(test)
