"""Turning a `Dataset` into the numeric matrix that vector-space algorithms consume.

Everything is fitted here, inside the package (scikit-learn transformers), so the same
`Encoding` can transform new rows later. Missing cells follow one policy: refuse them
(`error`), fill them (`impute`: median for numbers, most frequent value otherwise), or drop
the rows that hold them (`drop`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..errors import DataError, ParameterError

Scale = Literal["auto", "standard", "minmax", "robust", "none"]
Missing = Literal["error", "impute", "drop"]
SCALES = ("auto", "standard", "minmax", "robust", "none")
MISSING = ("error", "impute", "drop")
CATEGORICAL = ("onehot", "ordinal")


def _check_choice(name: str, value, allowed) -> None:
    if value not in allowed:
        raise ParameterError(f"{name}={value!r} is not allowed; choose one of: {', '.join(allowed)}")


def _scaler(scale: str):
    from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

    return {"standard": StandardScaler(), "minmax": MinMaxScaler(), "robust": RobustScaler(),
            "none": "passthrough"}[scale]


@dataclass
class Encoding:
    """The encoded matrix, what produced it, and what was done on the way (notes)."""

    matrix: np.ndarray
    feature_names: list[str]
    transformer: object | None = None
    rows: np.ndarray | None = None  # indices of the dataset rows kept (None: all of them)
    notes: list[str] = field(default_factory=list)
    n_rows: int | None = None  # rows of the dataset encoded

    def on_all_rows(self, values: np.ndarray, fill) -> np.ndarray:
        """Per-row values of the encoded rows, placed on every row of the dataset: rows dropped
        for missing cells get `fill` (-1 for a cluster label, NaN for a score)."""
        values = np.asarray(values)
        if self.rows is None:
            return values
        full = np.full(self.n_rows, fill, dtype=np.result_type(values.dtype, np.min_scalar_type(fill)))
        full[self.rows] = values
        return full

    def transform(self, frame) -> np.ndarray:
        if self.transformer is None:
            raise ParameterError("this encoding has no fitted transformer to apply to new rows")
        return np.asarray(self.transformer.transform(frame), dtype=np.float64)


def pixel_rows(images) -> np.ndarray:
    """Images (n, h, w[, c]) as rows of float64 pixels, bytes scaled to [0, 1]."""
    x = np.asarray(images)
    flat = x.reshape(len(x), -1).astype(np.float64)
    return flat / 255.0 if x.dtype == np.uint8 else flat


def unit_rows(x, dtype=np.float64) -> np.ndarray:
    """Rows scaled to length 1 (rows of zeros stay zeros)."""
    x = np.asarray(x, dtype=dtype)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12).astype(dtype)


def _missing_message(dataset: Dataset) -> str:
    cols = [c for c in dataset.schema.columns if c.n_missing]
    listed = ", ".join(f"{c.name!r} ({c.n_missing})" for c in cols[:5]) + (" ..." if len(cols) > 5 else "")
    return (f"{dataset.name} has {dataset.schema.n_missing} missing cells in {len(cols)} columns: {listed}; "
            "pass --missing impute to fill them or --missing drop to drop those rows")


def encode(dataset: Dataset, scale: Scale = "auto", categorical: str = "onehot",
           missing: Missing = "error") -> Encoding:
    """Numeric matrix for `dataset`.

    scale: `auto` standardises tables (columns in mixed units) and leaves arrays as they are
    (embeddings and benchmark coordinates carry meaning in their scale); images are mapped to
    [0, 1] and flattened.
    """
    _check_choice("scale", scale, SCALES)
    _check_choice("missing", missing, MISSING)
    _check_choice("categorical", categorical, CATEGORICAL)
    if dataset.n == 0:
        raise DataError(f"{dataset.name} holds no rows")
    if dataset.is_table:
        encoding = _encode_table(dataset, "standard" if scale == "auto" else scale, categorical, missing)
    else:
        encoding = _encode_array(dataset, "none" if scale == "auto" else scale, missing)
    encoding.n_rows = dataset.n
    return encoding


def _encode_array(dataset: Dataset, scale: str, missing: str) -> Encoding:
    x = dataset.features
    notes = []
    if dataset.is_image:
        x = x.reshape(x.shape[0], -1)
        if x.dtype == np.uint8:
            x = x.astype(np.float32) / 255.0
            notes.append("pixels scaled to [0, 1] and flattened")
    x = np.asarray(x, dtype=np.float32 if x.dtype == np.float32 else np.float64)
    rows = None
    nan = np.isnan(x)
    if nan.any():
        if missing == "error":
            raise DataError(_missing_message(dataset))
        if missing == "drop":
            keep = ~nan.any(axis=1)
            rows = np.flatnonzero(keep)
            x = x[keep]
            notes.append(f"dropped {int((~keep).sum())} rows with missing values")
        else:
            med = np.nanmedian(x, axis=0)
            if np.isnan(med).any():
                raise DataError(f"{dataset.name}: a column is entirely missing; drop it first")
            x = np.where(nan, med, x)
            notes.append(f"imputed {int(nan.sum())} missing cells with column medians")
    transformer = None
    if scale != "none":
        transformer = _scaler(scale)
        x = transformer.fit_transform(x)
        notes.append(f"{scale} scaling")
    names = dataset.schema.names if x.shape[1] == len(dataset.schema.names) else [f"x{j}" for j in range(x.shape[1])]
    return Encoding(np.ascontiguousarray(x), names, transformer, rows, notes)


def _encode_table(dataset: Dataset, scale: str, categorical: str, missing: str) -> Encoding:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

    frame: pd.DataFrame = dataset.features
    schema = dataset.schema
    notes: list[str] = []
    rows = None
    empty = [c.name for c in schema.columns if c.n_missing == dataset.n]
    if empty:
        raise DataError(f"{dataset.name}: columns {empty} are entirely empty; drop them first")
    if schema.n_missing:
        if missing == "error":
            raise DataError(_missing_message(dataset))
        if missing == "drop":
            keep = ~frame.isna().any(axis=1).to_numpy()
            rows = np.flatnonzero(keep)
            frame = frame.iloc[rows]
            notes.append(f"dropped {int((~keep).sum())} rows with missing cells")
            if frame.empty:
                raise DataError(f"{dataset.name}: every row has a missing cell; use --missing impute")
        else:
            notes.append(f"imputed {schema.n_missing} missing cells (median for numbers, most frequent otherwise)")
    parts = []
    if schema.numeric:
        parts.append(("numeric", make_pipeline(SimpleImputer(strategy="median"), _scaler(scale)), schema.numeric))
        if scale != "none":
            notes.append(f"{scale} scaling of {len(schema.numeric)} numeric columns")
    if schema.boolean:
        parts.append(("boolean", SimpleImputer(strategy="most_frequent"), schema.boolean))
    if schema.categorical:
        coder = (OneHotEncoder(handle_unknown="ignore", sparse_output=False) if categorical == "onehot"
                 else OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1))
        parts.append(("categorical", make_pipeline(SimpleImputer(strategy="most_frequent"), coder),
                      schema.categorical))
        notes.append(f"{categorical} encoding of {len(schema.categorical)} categorical columns")
    transformer = ColumnTransformer(parts, remainder="drop", verbose_feature_names_out=False)
    x = np.asarray(transformer.fit_transform(frame), dtype=np.float64)
    names = [str(n) for n in transformer.get_feature_names_out()]
    return Encoding(np.ascontiguousarray(x), names, transformer, rows, notes)
