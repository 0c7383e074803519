"""MATLAB .mat files, a format common in clustering research (COIL-20, ORL, Yale, ...): a feature
array `fea` with labels `gnd`, or `X` with `Y` (any case). Version 7.3 files are HDF5 and are
read with h5py; older ones with scipy.

Rows whose length is a square (at least 8 x 8) of pixel values (all in 0..255, or all in 0..1)
are images flattened the MATLAB way, column by column: they come back as (n, side, side)
images, and the note says so."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DataError, NotFoundError
from .dataset import Dataset, array_schema, encode_truth

FEATURE_KEYS = ("fea", "x", "data", "features")
LABEL_KEYS = ("gnd", "y", "labels", "label", "target")
MIN_SIDE = 8


def _arrays(path: Path) -> dict[str, np.ndarray]:
    with open(path, "rb") as handle:
        head = handle.read(128)
    if head.startswith(b"\x89HDF"):  # v7.3; its arrays are stored transposed
        import h5py

        out = {}
        with h5py.File(path, "r") as f:
            for key, item in f.items():
                if isinstance(item, h5py.Dataset) and item.dtype.kind in "biuf":
                    out[key] = np.asarray(item).T
        return out
    from scipy.io import loadmat

    try:
        raw = loadmat(path)
    except Exception as exc:  # scipy raises several kinds on a damaged or foreign file
        raise DataError(f"{path.name} is not a readable MATLAB file ({type(exc).__name__}: {exc})") from None
    return {k: v for k, v in raw.items() if not k.startswith("__") and isinstance(v, np.ndarray)
            and v.dtype.kind in "biuf"}


def _find(arrays: dict, keys, what: str, path: Path, required: bool):
    lower = {k.lower(): k for k in arrays}
    for key in keys:
        if key in lower:
            return lower[key]
    if required:
        raise DataError(f"{path.name} holds no {what} array (looked for {', '.join(keys)}; it holds "
                        f"{', '.join(arrays) or 'no numeric arrays'})")
    return None


def read_mat(path: str | Path, label: str | None = None) -> Dataset:
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"no such file: {str(path)!r}")
    arrays = _arrays(path)
    key = _find(arrays, FEATURE_KEYS, "feature", path, True)
    x = np.asarray(arrays[key])
    if x.ndim != 2:
        raise DataError(f"{path.name}: the feature array {key!r} has shape {x.shape}; expected rows x columns")
    label_key = label if label is not None else _find(arrays, LABEL_KEYS, "label", path, False)
    truth, names, notes = None, (), []
    if label_key is not None:
        if label_key not in arrays:
            raise NotFoundError(f"no array {label_key!r} in {path.name}; it holds {', '.join(arrays)}")
        y = np.asarray(arrays[label_key]).ravel()
        if y.shape[0] != x.shape[0]:
            if x.shape[1] == y.shape[0]:  # features stored one column per sample
                x = x.T
            else:
                raise DataError(f"{path.name}: {y.shape[0]} labels for {x.shape[0]} rows")
        truth, names = encode_truth(y)
    side = int(round(np.sqrt(x.shape[1])))
    finite = np.isfinite(x).all()
    pixels = finite and x.min() >= 0 and (x.max() <= 1 or (x.max() <= 255 and np.all(np.mod(x, 1) == 0)))
    if side * side == x.shape[1] and side >= MIN_SIDE and pixels:
        images = x.reshape(-1, side, side).transpose(0, 2, 1)  # MATLAB flattens column by column
        images = images.astype(np.uint8) if x.max() > 1 else images.astype(np.float32)
        notes.append(f"read {key!r} as {x.shape[0]:,} images of {side} x {side} pixels (its rows are squares "
                     "of pixel values)")
        x = images
    else:
        x = x.astype(np.float64)
    return Dataset(path.stem, x, array_schema(x), truth=truth, truth_names=names, notes=tuple(notes),
                   meta={"source": str(path), "label": label_key})
