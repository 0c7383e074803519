"""From a dataset of any size to the fixed-size input a recommender network reads.

`clustrecnet_grid` is ClustRecNet's encoding: z-scored columns laid centred into a zero grid of
2,000 x 50, read as a one-channel image. It depends on row and column order, as published.
Larger inputs, which the original cannot take, are cut down here: a seeded sample of rows and
the first 50 columns (said in `GridInput.note`).

`canonical_set` is clusterlab's: invariant to row and column order by construction.
- Columns: z-scored, rotated onto their principal axes (the covariance, and so the axes, do not
  depend on column order), each axis's sign fixed so its third moment is positive, the first
  `p` axes kept (zero-padded when fewer).
- Rows: when there are more than `m`, the `m` with the smallest content hash are kept, a choice
  that does not depend on where a row stands; fewer rows are padded and masked.
- Meta-features that need no order: log n, log d, the share of variance on each kept axis, and
  the 30 of `metafeatures` computed on the kept rows in canonical coordinates.
Two limits of "by construction": axes of exactly equal variance have no unique direction, and a
coordinate on a rounding boundary of the row hash can fall either way; neither is seen on real
data in the tests.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from ..sampling import subsample
from .metafeatures import zscore

GRID_ROWS, GRID_COLS = 2000, 50
# Bumped whenever an encoding changes, so caches of encoded examples are rebuilt.
ENCODING_VERSION = 3


@dataclass
class GridInput:
    grid: np.ndarray  # (1, GRID_ROWS, GRID_COLS) float32
    note: str = ""


def clustrecnet_grid(x: np.ndarray, seed: int = 0) -> GridInput:
    n, d = x.shape
    notes = []
    if n > GRID_ROWS:
        x = x[subsample(n, GRID_ROWS, seed)]
        notes.append(f"{GRID_ROWS} of {n} rows sampled")
    if d > GRID_COLS:
        x = x[:, :GRID_COLS]
        notes.append(f"first {GRID_COLS} of {d} columns kept")
    z = zscore(x)
    grid = np.zeros((1, GRID_ROWS, GRID_COLS), dtype=np.float32)
    top, left = (GRID_ROWS - z.shape[0]) // 2, (GRID_COLS - z.shape[1]) // 2
    grid[0, top: top + z.shape[0], left: left + z.shape[1]] = z
    return GridInput(grid, "; ".join(notes))


@dataclass
class SetInput:
    rows: np.ndarray  # (m, p) float32: canonical coordinates
    mask: np.ndarray  # (m,) bool: real rows
    meta: np.ndarray  # (p + 2,) float32: log n, log d, variance shares


def _row_keys(z: np.ndarray) -> np.ndarray:
    """A hash of each row's (rounded) canonical content: the same row, the same key, wherever it is."""
    rounded = np.round(z, 6).astype(np.float64)
    rounded[rounded == 0] = 0.0  # -0.0 and 0.0 hash alike
    return np.array([int.from_bytes(hashlib.blake2b(r.tobytes(), digest_size=8).digest(), "little")
                     for r in rounded], dtype=np.uint64)


def _principal_coordinates(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(variances of the principal axes, largest first; the rows' coordinates on them) of
    z-scored data. Wide data (d > n) works from the n x n Gram matrix z z^T, whose eigenvectors
    scaled by sqrt(eigenvalue) are the coordinates on the n axes that carry variance (the other
    d - n carry none and are zero): n^2 d work instead of d^3."""
    n, d = z.shape
    if d <= n:
        values, vectors = np.linalg.eigh(z.T @ z / max(n - 1, 1))
        order = np.argsort(values)[::-1]
        return np.clip(values[order], 0, None), z @ vectors[:, order]
    w, u = np.linalg.eigh(z @ z.T)
    order = np.argsort(w)[::-1]
    w, u = np.clip(w[order], 0, None), u[:, order]
    values = np.zeros(d)
    values[:n] = w / max(n - 1, 1)
    coords = np.zeros((n, d))
    coords[:, :n] = u * np.sqrt(w)
    return values, coords


def canonical_set(x: np.ndarray, m: int = 512, p: int = 16) -> SetInput:
    from .metafeatures import metafeatures

    x = np.asarray(x, dtype=np.float64)
    n, d = x.shape
    z = zscore(x)
    values, coords = _principal_coordinates(z)
    # Axes without variance (collinear columns, data of lower rank) hold rounding noise whose
    # pattern depends on the column order; they are set to exactly zero.
    coords[:, values <= 1e-9 * max(values.max(initial=0.0), 1e-300)] = 0.0
    skew = (coords ** 3).mean(axis=0)
    coords *= np.where(skew < 0, -1.0, 1.0)
    k = min(p, d)
    # Rows in the order of their content hash: the same rows, in the same order, whatever the input order.
    coords = coords[np.argsort(_row_keys(coords[:, :k]), kind="stable")[:m]]
    rows = np.zeros((m, p), dtype=np.float32)
    rows[: coords.shape[0], :k] = coords[:, :k]
    mask = np.zeros(m, dtype=bool)
    mask[: coords.shape[0]] = True
    share = np.zeros(p, dtype=np.float32)
    total = values.sum()
    share[:k] = values[:k] / total if total > 0 else 0.0
    # Meta-features of the kept rows in all canonical axes (distances as in the data; statistics
    # per principal axis), so they too are free of row and column order.
    meta = np.concatenate([[np.log(n), np.log(d)], share, metafeatures(coords, sample=m)]).astype(np.float32)
    return SetInput(rows, mask, meta)


def encode_for(kind: str, x: np.ndarray, m: int = 512, p: int = 16, seed: int = 0) -> tuple[np.ndarray, ...]:
    """A dataset as the tuple of arrays a model of input `kind` reads (one example, no batch axis)."""
    if kind == "set":
        s = canonical_set(x, m=m, p=p)
        return s.rows, s.mask, s.meta
    if kind == "grid":
        return (clustrecnet_grid(x, seed=seed).grid.astype(np.float16),)
    raise ValueError(f"unknown input kind {kind!r}")
