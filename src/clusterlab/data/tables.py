"""Readers for tables (CSV, Parquet) and numeric arrays (.npy, .npz), with schema inference."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, NotFoundError
from .dataset import Column, Dataset, Schema, array_schema, encode_truth

BOOLEAN_WORDS = {"true": 1.0, "false": 0.0, "yes": 1.0, "no": 0.0, "y": 1.0, "n": 0.0, "t": 1.0, "f": 0.0}
# A text column is taken for a numeric one with stray cells when at least this share of its
# non-blank cells parse as numbers; below it, it is a genuine categorical column.
NUMERIC_SHARE = 0.9


ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")  # tried in this order; latin-1 reads any bytes


def _head(path: Path, size: int = 64 * 1024) -> bytes:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            return handle.read(size)
    except (OSError, EOFError) as exc:
        raise DataError(f"cannot read {path.name}: {exc}") from None


def _encoding(path: Path) -> str:
    """The first of ENCODINGS that decodes the file's start; binary files are refused."""
    head = _head(path)
    if b"\x00" in head:
        raise DataError(f"{path.name} is not a text table (it holds binary data); clusterlab reads CSV, Parquet, "
                        ".npy/.npz, IDX, HDF5 and image folders")
    for encoding in ENCODINGS:
        try:
            head.decode(encoding)
            return encoding
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 4:  # a character cut by the end of the sample
                return encoding
    return "latin-1"


def _sniff_separator(path: Path, encoding: str = "utf-8") -> str:
    sample = _head(path).decode(encoding, errors="replace")
    if not sample.strip():
        raise DataError(f"{path.name} is empty: it holds no header and no rows")
    # A delimiter that splits every one of the first lines into the same number of fields wins
    # (tab and semicolon first: a semicolon file's decimal commas would fool a count of commas).
    lines = [line for line in sample.splitlines()[:50] if line.strip()]
    if len(lines) > 1:
        lines = lines[:-1]  # the last line of the sample may be cut
    for delimiter in "\t;|,":
        counts = {line.count(delimiter) for line in lines}
        if len(counts) == 1 and counts.pop() > 0:
            return delimiter
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_frame(path: Path, sep: str | None = None) -> pd.DataFrame:
    """Raw table from CSV (optionally gzipped) or Parquet, strings kept as strings."""
    if not path.exists():
        raise NotFoundError(f"no such file: {str(path)!r}")
    if path.stat().st_size == 0:
        raise DataError(f"{path.name} is empty: it holds no header and no rows")
    suffixes = "".join(path.suffixes[-2:]).lower()
    notes = []
    try:
        if suffixes.endswith((".parquet", ".pq")):
            frame = pd.read_parquet(path)
        else:
            encoding = _encoding(path)
            if encoding not in ("utf-8-sig", "utf-8"):
                notes.append(f"{path.name} is not UTF-8; read as {encoding}")
            sep = sep or _sniff_separator(path, encoding)
            frame = pd.read_csv(path, sep=sep, skipinitialspace=True, encoding=encoding)
            if sep == ";":  # the European convention: a semicolon between cells, a comma in numbers
                frame, converted = _decimal_commas(frame)
                if converted:
                    notes.append(f"read decimal commas as numbers in {len(converted)} column"
                                 f"{'s' if len(converted) > 1 else ''}: {', '.join(map(str, converted[:5]))}")
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as exc:
        raise DataError(f"cannot read {path.name} as a table: {str(exc).splitlines()[0]}") from None
    if frame.shape[1] == 0:
        raise DataError(f"{path.name} has no columns")
    if frame.shape[0] == 0:
        raise DataError(f"{path.name} has a header but no rows")
    frame.attrs["notes"] = notes
    return frame


def _decimal_commas(frame: pd.DataFrame) -> tuple[pd.DataFrame, list]:
    """Text columns whose every cell is a number written with a decimal comma ("1,5") take
    those numbers; blank cells stay missing."""
    converted = []
    for c in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]):
            continue
        text = frame[c].astype("string").str.strip()
        present = text.dropna()
        if present.empty or not present.str.contains(",", regex=False).any():
            continue
        numbers = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
        if numbers[present.index].notna().all():
            frame[c] = numbers.astype("float64")
            converted.append(c)
    return frame, converted


def _row_label(frame: pd.DataFrame, position: int) -> str:
    # Row numbers as a spreadsheet shows them: the header is line 1.
    return f"line {position + 2}"


def _infer_column(frame: pd.DataFrame, name: str, notes: list[str]) -> tuple[pd.Series, Column]:
    s = frame[name]
    n_missing = int(s.isna().sum())
    if pd.api.types.is_bool_dtype(s):
        out = s.astype("float64")
        return out, Column(name, "boolean", n_missing, int(out.nunique()))
    if pd.api.types.is_numeric_dtype(s):
        out = s.astype("float64")
        bad = np.isinf(out.to_numpy())
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"column {name!r} holds an infinite value at {_row_label(frame, pos)} "
                f"({int(bad.sum())} in all); replace it with a finite number or leave the cell empty"
            )
        values = set(out.dropna().unique().tolist())
        kind = "boolean" if values and values <= {0.0, 1.0} and len(values) == 2 else "numeric"
        return out, Column(name, kind, n_missing, len(values))
    text = s.astype("string").str.strip()
    text = text.mask(text == "")
    n_missing = int(text.isna().sum())
    present = text.dropna()
    if present.empty:
        return _as_object(text), Column(name, "categorical", n_missing, 0)
    lowered = present.str.lower()
    if lowered.isin(BOOLEAN_WORDS.keys()).all() and lowered.nunique() <= 2:
        out = text.str.lower().map(BOOLEAN_WORDS).astype("float64")
        return out, Column(name, "boolean", n_missing, int(lowered.nunique()))
    numbers = pd.to_numeric(present, errors="coerce")
    parsed = numbers.notna()
    if parsed.all():
        out = pd.to_numeric(text, errors="coerce").astype("float64")
        if np.isinf(out.to_numpy()).any():
            pos = int(np.flatnonzero(np.isinf(out.to_numpy()))[0])
            raise DataError(
                f"column {name!r} holds an infinite value at {_row_label(frame, pos)}; "
                "replace it with a finite number or leave the cell empty"
            )
        return out, Column(name, "numeric", n_missing, int(out.nunique()))
    if parsed.mean() >= NUMERIC_SHARE:
        first = present.index[~parsed.to_numpy()][0]
        pos = frame.index.get_loc(first)
        raise DataError(
            f"column {name!r} is numeric but {_row_label(frame, pos)} holds the text "
            f"{str(present[first])!r} ({int((~parsed).sum())} such cells); fix those cells, "
            "or leave them empty to mark them missing"
        )
    if parsed.mean() > 0.5:  # mostly numbers: say why it became categorical, so a stray cell is found
        shown = ", ".join(repr(str(v)) for v in present[~parsed.to_numpy()].unique()[:3])
        notes.append(f"column {name!r} is {parsed.mean():.0%} numbers, but its other cells ({shown}) make it "
                     "categorical; fix or empty those cells to read it as numbers")
    return _as_object(text), Column(name, "categorical", n_missing, int(present.nunique()))


def _as_object(text: pd.Series) -> pd.Series:
    # Plain Python strings with np.nan for blanks: pd.NA breaks scikit-learn's imputers.
    return text.astype(object).where(text.notna(), np.nan)


def infer_schema(frame: pd.DataFrame, notes: list[str] | None = None) -> tuple[pd.DataFrame, Schema]:
    """Typed copy of `frame` and its schema: numbers as float64, booleans as 0/1, text as str.
    What a user should know about a column's reading is appended to `notes`."""
    columns, data = [], {}
    notes = notes if notes is not None else []
    for name in frame.columns:
        series, column = _infer_column(frame, name, notes)
        data[str(name)] = series.reset_index(drop=True)
        columns.append(Column(str(name), column.kind, column.n_missing, column.n_unique))
    typed = pd.DataFrame(data)
    return typed, Schema(tuple(columns))


def read_table(path: str | Path, label: str | None = None, sep: str | None = None,
               name: str | None = None) -> Dataset:
    """A CSV or Parquet table; `label` names a ground-truth column to set aside."""
    path = Path(path)
    frame = read_frame(path, sep)
    frame.columns = [str(c).strip() for c in frame.columns]
    truth = truth_names = None
    if label is not None:
        if label not in frame.columns:
            raise NotFoundError(
                f"no column {label!r} in {path.name}; its columns are: {', '.join(frame.columns[:20])}"
                + (" ..." if frame.shape[1] > 20 else "")
            )
        truth, truth_names = encode_truth(frame.pop(label))
        if frame.shape[1] == 0:
            raise DataError(f"{path.name} has no feature columns besides the label {label!r}")
    notes = list(frame.attrs.get("notes", []))
    typed, schema = infer_schema(frame, notes)
    return Dataset(name or path.stem, typed, schema, truth=truth, truth_names=truth_names or (),
                   notes=tuple(notes), meta={"source": str(path), "label": label})


def _check_array(array: np.ndarray, source: str) -> np.ndarray:
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise DataError(f"{source} holds {array.dtype} values; clusterlab needs numbers")
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim == 0 or array.shape[0] == 0:
        raise DataError(f"{source} is empty: it holds no rows")
    if np.issubdtype(array.dtype, np.floating) and np.isinf(array).any():
        row = int(np.argwhere(np.isinf(array))[0][0])
        raise DataError(f"{source} holds an infinite value in row {row}; replace it with a finite number")
    return array


_FEATURE_KEYS = ("X", "x", "data", "features")
_LABEL_KEYS = ("y", "labels", "target", "label")


def read_numpy(path: str | Path, label: str | None = None, name: str | None = None) -> Dataset:
    """A `.npy` matrix, or a `.npz` archive with a feature array and optionally labels."""
    path = Path(path)
    if not path.exists():
        raise NotFoundError(f"no such file: {str(path)!r}")
    try:
        loaded = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"cannot read {path.name} as NumPy data: {str(exc).splitlines()[0]}") from None
    truth, truth_names = None, ()
    if isinstance(loaded, np.ndarray):
        array = loaded
    else:
        with loaded:
            keys = list(loaded.keys())
            feature_key = next((k for k in _FEATURE_KEYS if k in keys), keys[0] if len(keys) == 1 else None)
            if feature_key is None:
                raise DataError(f"{path.name} holds arrays {keys}; name the features 'X' or 'data'")
            label_key = label or next((k for k in _LABEL_KEYS if k in keys), None)
            if label is not None and label not in keys:
                raise NotFoundError(f"no array {label!r} in {path.name}; it holds {keys}")
            array = loaded[feature_key]
            if label_key is not None:
                truth, truth_names = encode_truth(loaded[label_key].ravel())
    array = _check_array(array, path.name)
    if truth is not None and truth.shape[0] != array.shape[0]:
        raise DataError(f"{path.name}: {truth.shape[0]} labels for {array.shape[0]} rows")
    if array.ndim == 2:
        array = array.astype(np.float64, copy=False)
    return Dataset(name or path.stem, array, array_schema(array), truth=truth,
                   truth_names=truth_names, meta={"source": str(path)})


def read_labels(path: str | Path, column: str | None = None,
                prefer: tuple[str, ...] = ("cluster", "label")) -> np.ndarray:
    """One label per row from a `.npy` vector or a table column, as integer codes.

    The column is `column` if given, else the first of `prefer` present, else the last one.
    Integer labels keep their values (so -1 still marks noise); anything else is coded 0..K-1.
    """
    path = Path(path)
    if path.suffix.lower() == ".npy":
        try:
            values = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise DataError(f"cannot read {path.name} as NumPy data: {str(exc).splitlines()[0]}") from None
    else:
        frame = read_frame(path)
        frame.columns = [str(c).strip() for c in frame.columns]
        others = [c for c in frame.columns if c != "row"]  # `row` numbers rows, it labels nothing
        name = column or next((c for c in prefer if c in frame.columns), others[-1] if len(others) == 1 else None)
        if name is None:
            raise DataError(f"{path.name} has no column {' or '.join(map(repr, prefer))} and "
                            f"{'no other' if not others else 'several other'} columns ({', '.join(frame.columns)}); "
                            "name the one that holds the labels")
        if name not in frame.columns:
            raise NotFoundError(f"no column {name!r} in {path.name}; its columns are: {', '.join(frame.columns)}")
        values = frame[name]
        if values.isna().any():
            raise DataError(f"column {name!r} of {path.name} has {int(values.isna().sum())} empty cells; "
                            "every row needs a label")
    values = np.asarray(values)
    if values.ndim != 1 and not (values.ndim == 2 and 1 in values.shape):
        raise DataError(f"{path.name} holds an array of shape {values.shape}; labels are one value per row "
                        "(a vector, or a table column)")
    values = values.ravel()
    if np.issubdtype(values.dtype, np.floating) and not np.isfinite(values).all():
        raise DataError(f"{path.name} holds a label that is not a finite number (NaN or infinity) in row "
                        f"{int(np.flatnonzero(~np.isfinite(values))[0])}; every row needs a whole-number label")
    if np.issubdtype(values.dtype, np.integer):
        return values.astype(np.int64)
    if np.issubdtype(values.dtype, np.floating) and np.all(values == np.round(values)):
        return values.astype(np.int64)
    return encode_truth(values)[0]
