"""The image report's pictures: for each cluster a strip of its most typical images (highest
confidence) and one of its least certain; the report's 2-D map of the rows drawn with the images
themselves as its points; both as PNG data URIs; and the confusion matrix against the truth when
one is given."""

from __future__ import annotations

import base64
import io

import numpy as np

THUMB = 48  # pixels per thumbnail side


def _uint8(images: np.ndarray) -> np.ndarray:
    x = np.asarray(images)
    if x.dtype != np.uint8:
        lo, hi = float(np.nanmin(x)), float(np.nanmax(x))
        x = ((x - lo) / (hi - lo or 1.0) * 255).astype(np.uint8)
    return x


def strip(images: np.ndarray) -> str | None:
    """Images side by side, each scaled to THUMB x THUMB, as a PNG data URI."""
    from PIL import Image

    if len(images) == 0:
        return None
    tiles = [_tile(im).resize((THUMB, THUMB), Image.NEAREST) for im in _uint8(images)]
    canvas = Image.new("RGB", (len(tiles) * (THUMB + 2), THUMB), "white")
    for i, tile in enumerate(tiles):
        canvas.paste(tile, (i * (THUMB + 2), 0))
    return _png(canvas)


def _tile(im: np.ndarray):
    """One 8-bit image (h, w[, channels]) as an RGB picture."""
    from PIL import Image

    return Image.fromarray(im if im.ndim == 2 or im.shape[-1] != 1 else im[..., 0]).convert("RGB")


def _png(canvas) -> str:
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def thumbnail_map(images: np.ndarray, xy: np.ndarray, labels: np.ndarray, *, most: int = 300, side: int = 900,
                  thumb: int = 30, seed: int = 0) -> str | None:
    """The 2-D map with a random `most` of its points drawn as their images, each framed in its
    cluster's colour (the colours of the report's scatter plot; noise grey), as a PNG data URI."""
    from PIL import Image

    from .figures import _palette

    xy, labels = np.asarray(xy, dtype=float), np.asarray(labels)
    if len(xy) == 0 or len(images) != len(xy):
        return None
    pick = np.random.default_rng(seed).permutation(len(xy))[:most]
    span = np.ptp(xy, axis=0)
    at = (xy[pick] - xy.min(axis=0)) / np.where(span > 0, span, 1.0) * (side - thumb - 4)
    colours = _palette(int(labels.max()) + 1 if (labels >= 0).any() else 1)
    canvas = Image.new("RGB", (side, side), "white")
    for row, im, (x, y) in zip(pick, _uint8(images[pick]), at):  # one grey scale for all, as in the strips
        colour = (160, 160, 160) if labels[row] < 0 else tuple(int(255 * c) for c in colours[labels[row]][:3])
        framed = Image.new("RGB", (thumb + 4, thumb + 4), colour)
        framed.paste(_tile(im).resize((thumb, thumb), Image.BILINEAR), (2, 2))
        canvas.paste(framed, (int(x), int(side - thumb - 4 - y)))  # y up, as in the scatter plot
    return _png(canvas)


def cluster_pictures(images: np.ndarray, labels: np.ndarray, confidence: np.ndarray | None, typical: int = 10,
                     uncertain: int = 6) -> list[dict]:
    labels = np.asarray(labels)
    confidence = np.zeros(len(labels)) if confidence is None else np.nan_to_num(np.asarray(confidence), nan=-1.0)
    out = []
    for c in np.unique(labels[labels >= 0]):
        rows = np.flatnonzero(labels == c)
        order = rows[np.argsort(-confidence[rows], kind="stable")]
        out.append({"cluster": int(c), "size": int(rows.size), "typical": strip(images[order[:typical]]),
                    "uncertain": strip(images[order[::-1][:uncertain]]),
                    "confidence": float(np.mean(confidence[rows]))})
    return out


def confusion(truth: np.ndarray, labels: np.ndarray, names=()) -> dict:
    """Rows: the true classes; columns: the clusters; cells: counts."""
    truth, labels = np.asarray(truth), np.asarray(labels)
    classes, clusters = np.unique(truth[truth >= 0]), np.unique(labels)
    counts = [[int(np.sum((truth == t) & (labels == c))) for c in clusters] for t in classes]
    named = [str(names[t]) if len(names) > t else str(t) for t in classes]
    return {"clusters": [int(c) for c in clusters],
            "rows": [{"name": name, "counts": row} for name, row in zip(named, counts)]}
