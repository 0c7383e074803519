"""What an algorithm reads for a dataset: the one place that decides between an encoded matrix
and a Gower encoding. A table with categorical or boolean columns (`Dataset.is_mixed_table`)
is clustered on Gower distance, never on one-hot codes; everything else is encoded."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data.dataset import Dataset
from ..errors import ParameterError
from .encode import Encoding, encode
from .gower import GowerData, gower_of

INPUTS = ("auto", "matrix", "table")


@dataclass
class Prepared:
    data: np.ndarray | GowerData  # what the algorithm reads
    input: str  # "matrix" or "table"
    encoding: Encoding | None  # for a matrix: how it was made

    @property
    def notes(self) -> list[str]:
        return list(self.encoding.notes) if self.encoding is not None else []

    def on_all_rows(self, values: np.ndarray, fill) -> np.ndarray:
        """Per-row values placed back on every row of the dataset (see `Encoding.on_all_rows`);
        a Gower encoding keeps every row."""
        return self.encoding.on_all_rows(values, fill) if self.encoding is not None else np.asarray(values)


def input_of(dataset: Dataset) -> str:
    return "table" if dataset.is_mixed_table else "matrix"


def prepare(dataset: Dataset, input: str = "auto", *, scale: str = "auto", categorical: str = "onehot",
            missing: str = "impute") -> Prepared:
    """The dataset as `input` ("matrix": encoded; "table": Gower-encoded, blanks kept as part
    of the distance; "auto": by `input_of`). The encoding options apply to matrices."""
    if input not in INPUTS:
        raise ParameterError(f"input={input!r} is not allowed; choose one of: {', '.join(INPUTS)}")
    if input == "auto":
        input = input_of(dataset)
    if input == "table":
        return Prepared(gower_of(dataset), "table", None)
    encoding = encode(dataset, scale=scale, categorical=categorical, missing=missing)
    return Prepared(encoding.matrix, "matrix", encoding)
