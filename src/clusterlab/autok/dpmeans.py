"""DP-means (Kulis & Jordan 2012) with its penalty chosen from the data.

DP-means opens a new cluster whenever a point lies farther than sqrt(lambda) from every
centre. Rather than a fixed lambda, it runs over a geometric grid of lambdas spanning the
data's scale and returns the number of clusters that persists over the widest stretch of
that grid (in log lambda): the k that is least sensitive to the penalty.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist

from .base import Context, KEstimator


def dp_means(x: np.ndarray, lam: float, max_clusters: int, max_iter: int = 30) -> np.ndarray:
    """Labels of DP-means with penalty `lam` (squared distance); farthest points open clusters."""
    centres = x.mean(axis=0, keepdims=True)
    labels = np.zeros(x.shape[0], dtype=np.int64)
    for _ in range(max_iter):
        d2 = cdist(x, centres, "sqeuclidean")
        nearest = d2.min(axis=1)
        while nearest.max() > lam and centres.shape[0] < max_clusters:
            far = int(nearest.argmax())
            centres = np.vstack([centres, x[far]])
            nearest = np.minimum(nearest, ((x - x[far]) ** 2).sum(axis=1))
        d2 = cdist(x, centres, "sqeuclidean")
        new = d2.argmin(axis=1)
        used = np.unique(new)
        centres = np.vstack([x[new == c].mean(axis=0) for c in used])
        new = np.searchsorted(used, new)
        if np.array_equal(new, labels):
            break
        labels = new
    return labels


class DPMeans(KEstimator):
    name = "dpmeans"
    criterion = "DP-means over a grid of lambda; the k stable over the widest range of log lambda"
    axis = "lambda"
    values = "k"

    def __init__(self, grid: int = 40):
        self.grid = grid

    def _estimate(self, ctx: Context):
        x = ctx.x
        cap = ctx.ks[-1] + 1
        high = float(((x - x.mean(axis=0)) ** 2).sum(axis=1).max())  # one cluster from here up
        low = high
        # The grid starts where DP-means first opens more clusters than the range allows, so
        # every lambda on it is informative.
        while low > high * 1e-9 and np.unique(dp_means(x, low, cap)).size < cap:
            low /= 2.0
        lams = np.geomspace(low, high, self.grid)
        ks = [int(np.unique(dp_means(x, lam, cap)).size) for lam in lams]
        curve = {float(l): float(k) for l, k in zip(lams, ks)}
        width: dict[int, float] = {}
        steps = np.diff(np.log(lams))
        for k, step in zip(ks[:-1], steps):
            if ctx.ks[0] <= k <= ctx.ks[-1]:
                width[k] = width.get(k, 0.0) + float(step)
        if not width:
            return None, curve, "no lambda on the grid gave a k inside the range"
        return max(width, key=lambda k: (width[k], -k)), curve, ""
