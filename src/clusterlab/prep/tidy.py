"""Messy tables made fit for clustering, every change said in a note.

- ID-like columns (a text or integer value unique to every row, or a row counter) are set
  aside: they separate every row from every other and would dominate any distance.
- Constant columns (one value, or none) are set aside: they carry nothing.
- Date columns (text that parses as dates) become numbers: days since 1970-01-01.
- High-cardinality text (free text, many distinct values that are not unique per row) is
  refused: clustering cannot use it as categories, and one-hot codes of it would swamp the rest.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd

from ..data.dataset import Column, Dataset, Schema
from ..errors import DataError

MIN_ROWS_FOR_ID = 20
TEXT_LIMIT = 50  # distinct values a text column may hold (or half the rows, if more)
_DATE = re.compile(r"^\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})([ T]\d{1,2}:\d{2}(:\d{2})?)?")
_ID_NAME = re.compile(r"(^|[_\s-])(id|uuid|key|guid)$|^id[_\s-]", re.IGNORECASE)


def _looks_like_dates(values: pd.Series) -> bool:
    sample = values.dropna().astype(str).head(200)
    return len(sample) > 0 and sample.map(lambda v: bool(_DATE.match(v))).mean() >= 0.9


def tidy(dataset: Dataset) -> Dataset:
    """The dataset with ID-like and constant columns set aside and dates parsed (tables only)."""
    if not dataset.is_table:
        return dataset
    frame: pd.DataFrame = dataset.features
    n = len(frame)
    keep, columns, notes, aside, dates = {}, [], [], [], []
    for col in dataset.schema.columns:
        s = frame[col.name]
        present = s.dropna()
        distinct = present.nunique()
        if distinct <= 1:
            aside.append(col.name)
            notes.append(f"set aside column {col.name!r}: it holds "
                         + ("no values" if distinct == 0 else f"one value ({present.iloc[0]!r})"))
            continue
        if col.kind == "categorical" and _looks_like_dates(present):
            parsed = pd.to_datetime(s, errors="coerce", format="mixed")
            days = (parsed - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
            bad = int(parsed.isna().sum() - s.isna().sum())
            keep[col.name] = days.astype("float64")
            dates.append(col.name)
            columns.append(Column(col.name, "numeric", int(days.isna().sum()), int(days.nunique())))
            notes.append(f"parsed column {col.name!r} as dates (days since 1970-01-01)"
                         + (f"; {bad} cells that are not dates left blank" if bad else ""))
            continue
        unique_per_row = n >= MIN_ROWS_FOR_ID and distinct == len(present) and len(present) >= 0.95 * n
        counter = (col.kind == "numeric" and unique_per_row and np.all(np.mod(present, 1) == 0)
                   and np.all(np.diff(np.sort(present.to_numpy())) == 1))
        if unique_per_row and (col.kind == "categorical" or counter or _ID_NAME.search(col.name)):
            aside.append(col.name)
            notes.append(f"set aside column {col.name!r}: ID-like (a distinct value in every row)")
            continue
        if col.kind == "categorical" and distinct > max(TEXT_LIMIT, n // 2):
            raise DataError(
                f"column {col.name!r} is text with {distinct:,} distinct values in {n:,} rows: too many to use as "
                "categories. Drop it, or turn it into numbers first (counts, lengths, embeddings)")
        keep[col.name] = s
        columns.append(col)
    if not columns:
        raise DataError(f"{dataset.name}: no usable column left after setting aside {', '.join(map(repr, aside))}")
    if not aside and len(columns) == len(dataset.schema.columns) and not notes:
        return dataset
    tidy_frame = pd.DataFrame(keep, index=frame.index)
    meta = {**dataset.meta, "set_aside": aside, "dates": dates}
    return replace(dataset, features=tidy_frame, schema=Schema(tuple(columns)),
                   notes=dataset.notes + tuple(notes), meta=meta)
