"""The image report's pictures: for each cluster a strip of its most typical images (highest
confidence) and one of its least certain, as PNG data URIs, and the confusion matrix against
the truth when one is given."""

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
    tiles = []
    for im in _uint8(images):
        tile = Image.fromarray(im if im.ndim == 2 or im.shape[-1] != 1 else im[..., 0])
        tiles.append(tile.convert("RGB").resize((THUMB, THUMB), Image.NEAREST))
    canvas = Image.new("RGB", (len(tiles) * (THUMB + 2), THUMB), "white")
    for i, tile in enumerate(tiles):
        canvas.paste(tile, (i * (THUMB + 2), 0))
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


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
