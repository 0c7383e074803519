"""The data behind the report's two per-point figures, built from the result by the report
itself: a 2-D map of a sample of the rows, and the silhouette of each point of a sample."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..metrics import silhouette_samples
from ..sampling import subsample

VIEW_ROWS = 5_000  # points drawn in the 2-D map
SILHOUETTE_ROWS = 2_000  # points in the silhouette plot


@dataclass
class Views:
    view: dict  # method, what, rows (dataset rows), xy, labels, sampled
    silhouette: dict  # rows (dataset rows), values, labels, distance; empty where undefined
    timings: dict = field(default_factory=dict)


def report_views(result, method: str = "pca") -> Views:
    start = time.perf_counter()
    space, labels = result.space, result.space_labels
    rows_of = (lambda r: np.asarray(result.space_rows)[r]) if result.space_rows is not None else (lambda r: r)
    view = embedding_view(space, labels, method, result.seed)
    view["rows"] = rows_of(np.asarray(view["rows"], dtype=np.int64)).tolist()
    if result.distances is not None:  # Gower: the sample's distances, not the encoded space
        rows, d = result.distances
        keep, values = silhouette_samples(d, result.labels[rows], sample_size=SILHOUETTE_ROWS, seed=result.seed,
                                          precomputed=True)
        sil_rows, distance = rows[keep], "Gower"
    else:
        keep, values = silhouette_samples(space, labels, sample_size=SILHOUETTE_ROWS, seed=result.seed)
        sil_rows, distance = rows_of(keep), "Euclidean on the encoded features"
    sil = ({"rows": np.asarray(sil_rows).tolist(), "values": values.tolist(),
            "labels": result.labels[sil_rows].tolist(), "distance": distance} if values.size else {})
    return Views(view, sil, {"report_data": round(time.perf_counter() - start, 3)})


def embedding_view(x: np.ndarray, labels: np.ndarray, method: str, seed: int) -> dict:
    rows = subsample(x.shape[0], VIEW_ROWS, seed)
    xs = x[rows]
    if method == "umap":
        import umap

        xy = umap.UMAP(n_components=2, random_state=seed).fit_transform(xs)
        what = "UMAP of the encoded features"
    elif xs.shape[1] < 2:
        xy = np.column_stack([xs[:, 0], np.zeros(len(xs))])
        what = "the single feature"
    else:
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2, random_state=seed).fit(xs)
        xy = pca.transform(xs)
        what = f"PCA of the encoded features ({100 * pca.explained_variance_ratio_.sum():.0f} % of the variance)"
    return {"method": method, "what": what, "rows": rows.tolist(), "xy": np.round(xy, 5).tolist(),
            "labels": labels[rows].tolist(), "sampled": bool(rows.size < x.shape[0])}
