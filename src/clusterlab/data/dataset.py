"""The `Dataset` value that every step of clusterlab passes along.

Features are a pandas table (tables) or a NumPy array (matrices, images). Ground truth, when
known, is kept apart in `truth` and is read only by metrics: no method ever sees it.
Truth is stored as integer codes 0..K-1 with -1 for points the reference marks as noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd

Kind = Literal["numeric", "categorical", "boolean"]
KINDS: tuple[str, ...] = ("numeric", "categorical", "boolean")


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    n_missing: int = 0
    n_unique: int = 0


@dataclass(frozen=True)
class Schema:
    """Which columns are numeric, categorical or boolean, and where values are missing."""

    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def of_kind(self, kind: Kind) -> list[str]:
        return [c.name for c in self.columns if c.kind == kind]

    @property
    def numeric(self) -> list[str]:
        return self.of_kind("numeric")

    @property
    def categorical(self) -> list[str]:
        return self.of_kind("categorical")

    @property
    def boolean(self) -> list[str]:
        return self.of_kind("boolean")

    @property
    def is_mixed(self) -> bool:
        """Any categorical or boolean column (numbers optional): such a table is clustered on
        Gower distance. The one rule for it; `Dataset.is_mixed_table` applies it."""
        return bool(self.categorical or self.boolean)

    @property
    def n_missing(self) -> int:
        return sum(c.n_missing for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self) -> list[dict]:
        return [c.__dict__.copy() for c in self.columns]


@dataclass(frozen=True)
class Dataset:
    """Features, their schema, and (apart) optional ground truth.

    `truth_alternatives` holds further reference labellings of the same points (the benchmark
    batteries sometimes have several); scores take the best match over all of them.
    """

    name: str
    features: pd.DataFrame | np.ndarray
    schema: Schema
    truth: np.ndarray | None = None
    truth_alternatives: tuple[np.ndarray, ...] = ()
    truth_names: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.features.shape[0])

    @property
    def is_table(self) -> bool:
        return isinstance(self.features, pd.DataFrame)

    @property
    def is_mixed_table(self) -> bool:
        return self.is_table and self.schema.is_mixed

    @property
    def is_image(self) -> bool:
        return isinstance(self.features, np.ndarray) and self.features.ndim >= 3

    @property
    def n_features(self) -> int:
        return int(np.prod(self.features.shape[1:]))

    @property
    def references(self) -> list[np.ndarray]:
        """All reference labellings, the primary one first."""
        return [] if self.truth is None else [self.truth, *self.truth_alternatives]

    @property
    def n_clusters_true(self) -> int | None:
        if self.truth is None:
            return None
        return int(np.unique(self.truth[self.truth >= 0]).size)

    def with_notes(self, *notes: str) -> "Dataset":
        return replace(self, notes=self.notes + tuple(notes))

    def describe(self) -> str:
        kinds = ", ".join(f"{len(self.schema.of_kind(k))} {k}" for k in KINDS if self.schema.of_kind(k))
        shape = "x".join(str(s) for s in self.features.shape)
        truth = f", {self.n_clusters_true} reference clusters" if self.truth is not None else ""
        return f"{self.name}: {shape} ({kinds or 'no columns'}){truth}"


def array_schema(array: np.ndarray) -> Schema:
    """Schema of a numeric matrix or image stack: every feature numeric."""
    flat = array.reshape(array.shape[0], -1) if array.ndim > 1 else array.reshape(-1, 1)
    if np.issubdtype(flat.dtype, np.floating):
        missing = np.isnan(flat).sum(axis=0)
    else:
        missing = np.zeros(flat.shape[1], dtype=int)
    if array.ndim > 2:  # images: one column per pixel would be noise; name the whole tensor
        return Schema((Column("pixels", "numeric", int(missing.sum()), 0),))
    return Schema(tuple(Column(f"x{j}", "numeric", int(missing[j]), 0) for j in range(flat.shape[1])))


def encode_truth(values) -> tuple[np.ndarray, tuple[str, ...]]:
    """Integer codes 0..K-1 for arbitrary class values (missing values become -1)."""
    series = pd.Series(values)
    codes, uniques = pd.factorize(series, sort=True)
    return codes.astype(np.int64), tuple(str(u) for u in uniques)
