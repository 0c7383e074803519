"""Readers for image sets: IDX (MNIST family), HDF5 (USPS layout), image folders and .tar.gz.

Images come back as one array (n, H, W) for grey or (n, H, W, C) for colour, uint8 where the
source is 8-bit and float32 otherwise, with the class (folder name or label file) as truth.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import numpy as np

from ..errors import DataError, NotFoundError
from .dataset import Dataset, array_schema, encode_truth

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def read_idx(path: str | Path) -> np.ndarray:
    """One IDX file (optionally gzipped) as an array of its declared type and shape."""
    path = Path(path)
    if not path.exists():
        raise NotFoundError(f"no such file: {str(path)!r}")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError) as exc:
        raise DataError(f"cannot read {path.name}: {exc}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise DataError(f"{path.name} is not an IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError(f"{path.name} is truncated: header promises {shape}, file holds {len(raw) - header} bytes")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def read_idx_pair(images: str | Path, labels: str | Path | None, name: str) -> Dataset:
    x = read_idx(images)
    truth = None
    if labels is not None:
        y = read_idx(labels).ravel()
        if y.shape[0] != x.shape[0]:
            raise DataError(f"{Path(labels).name} has {y.shape[0]} labels for {x.shape[0]} images")
        truth = y.astype(np.int64)
    return Dataset(name, x, array_schema(x), truth=truth, meta={"source": str(images)})


def read_hdf5(path: str | Path, split: str = "all", name: str | None = None) -> Dataset:
    """An HDF5 image set laid out as groups (e.g. train/test), each with `data` and `target`.

    A file with `data`/`target` (or `X`/`y`) at the root is read directly. `split` picks one
    group or `all` (groups concatenated in sorted order).
    """
    import h5py

    path = Path(path)
    if not path.exists():
        raise NotFoundError(f"no such file: {str(path)!r}")
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise DataError(f"cannot read {path.name} as HDF5: {exc}") from None

    def pick(group, keys):
        return next((group[k][()] for k in keys if k in group), None)

    with handle:
        root_x = pick(handle, ("data", "X", "images"))
        if root_x is not None:
            parts = [(root_x, pick(handle, ("target", "y", "labels")))]
        else:
            groups = sorted(k for k in handle.keys() if isinstance(handle[k], h5py.Group))
            if split != "all":
                if split not in groups:
                    raise NotFoundError(f"{path.name} has no split {split!r}; it has {groups + ['all']}")
                groups = [split]
            parts = [(pick(handle[g], ("data", "X", "images")), pick(handle[g], ("target", "y", "labels")))
                     for g in groups]
            if not parts or any(x is None for x, _ in parts):
                raise DataError(f"{path.name} holds no 'data' arrays in groups {groups}")
    x = np.concatenate([p[0] for p in parts]).astype(np.float32)
    truth = None
    if all(p[1] is not None for p in parts):
        truth = np.concatenate([p[1] for p in parts]).astype(np.int64).ravel()
    side = int(round(np.sqrt(x.shape[1]))) if x.ndim == 2 else 0
    if x.ndim == 2 and side * side == x.shape[1]:  # flat square images (USPS stores 256 floats)
        x = x.reshape(-1, side, side)
    return Dataset(name or path.stem, x, array_schema(x), truth=truth, meta={"source": str(path), "split": split})


def _decode(data: bytes, where: str, mode: str | None):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            return np.asarray(img.convert(mode) if mode else img)
    except (UnidentifiedImageError, OSError) as exc:
        raise DataError(f"cannot decode image {where}: {exc}") from None


def _stack(images: list[np.ndarray], names: list[str], source: str) -> np.ndarray:
    if not images:
        raise DataError(f"{source} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    shapes = {im.shape for im in images}
    if len(shapes) > 1:
        first = images[0].shape
        odd = next(n for n, im in zip(names, images) if im.shape != first)
        raise DataError(f"images in {source} differ in size ({first} vs {odd}); resize them to one size first")
    return np.stack(images)


def read_image_folder(path: str | Path, split: str | None = None, mode: str | None = None,
                      name: str | None = None, limit: int | None = None) -> Dataset:
    """Images in a folder or a `.tar.gz`; a sub-folder per class gives the truth.

    `split` keeps only members under that top-level folder (e.g. `train` or `test`).
    `mode` converts with Pillow ("L" grey, "RGB" colour). `limit` reads at most that many
    images per class (for quick looks at large sets).
    """
    path = Path(path)
    if not path.exists():
        raise NotFoundError(f"no such file or folder: {str(path)!r}")
    entries: list[tuple[str, bytes]] = []
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        for f in files:
            entries.append((f.relative_to(path).as_posix(), f.read_bytes()))
    else:
        try:
            with tarfile.open(path, "r:*") as tar:
                for member in tar:
                    if member.isfile() and Path(member.name).suffix.lower() in IMAGE_SUFFIXES:
                        entries.append((member.name.lstrip("./"), tar.extractfile(member).read()))
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise DataError(f"cannot read {path.name} as a folder archive: {exc}") from None
        entries.sort(key=lambda e: e[0])
    if split is not None:
        entries = [(n.split("/", 1)[1], d) for n, d in entries if n.split("/", 1)[0] == split and "/" in n]
        if not entries:
            raise NotFoundError(f"{path.name} has no images under {split}/")
    classes = [n.rsplit("/", 1)[0] if "/" in n else "" for n, _ in entries]
    if limit is not None:
        seen: dict[str, int] = {}
        kept = []
        for (n, d), c in zip(entries, classes):
            seen[c] = seen.get(c, 0) + 1
            if seen[c] <= limit:
                kept.append(((n, d), c))
        entries, classes = [e for e, _ in kept], [c for _, c in kept]
    images = [_decode(d, n, mode) for n, d in entries]
    x = _stack(images, [n for n, _ in entries], path.name)
    truth, names = (encode_truth(classes) if len(set(classes)) > 1 else (None, ()))
    return Dataset(name or path.name.split(".")[0], x, array_schema(x), truth=truth,
                   truth_names=names, meta={"source": str(path), "split": split})
