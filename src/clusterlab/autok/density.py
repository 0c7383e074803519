"""The number of density clusters that persists as HDBSCAN's minimum cluster size grows.

HDBSCAN (scikit-learn's) counts clusters as regions denser than their surroundings, so it
follows arbitrary shapes and leaves noise out, where every k-means-based criterion carves
convex pieces. Its answer depends on `min_cluster_size`: too small and every bump is a cluster,
too large and real clusters merge or drop to noise. Run over a geometric grid of sizes, the
count that holds for the most consecutive sizes is the one the data supports; a count that
never holds for `min_run` sizes in a row, or "one cluster" (HDBSCAN finding no split, or only
noise) holding longest, means there is no density structure it can stand behind, and the
estimator abstains rather than guessing (a vote for the smallest k would only add to the
estimators that fall back there already).
"""

from __future__ import annotations

import numpy as np

from .base import Context, KEstimator


def size_grid(n: int, points: int = 10) -> list[int]:
    """Minimum cluster sizes from 5 rows up to 1/15 of the sample, geometric."""
    top = max(6.0, n / 15)
    return sorted({int(round(s)) for s in np.geomspace(5, top, points)})


class HDBSCANPersistence(KEstimator):
    name = "hdbscan"
    criterion = ("HDBSCAN over a geometric grid of minimum cluster sizes; the cluster count that holds "
                 "for the most consecutive sizes (abstains when none holds for 3)")
    axis = "minimum cluster size"
    values = "k"

    def __init__(self, points: int = 10, min_run: int = 3):
        self.points = points
        self.min_run = min_run

    def _estimate(self, ctx: Context):
        from sklearn.cluster import HDBSCAN

        x = ctx.x
        sizes = [s for s in size_grid(x.shape[0], self.points) if s < x.shape[0] // 2]
        counts = [int(HDBSCAN(min_cluster_size=s, copy=True).fit_predict(x).max() + 1) for s in sizes]
        curve = {float(s): float(c) for s, c in zip(sizes, counts)}
        runs: list[tuple[int, int, int]] = []  # (length, first position, count)
        start = 0
        for i in range(1, len(counts) + 1):
            if i == len(counts) or counts[i] != counts[start]:
                runs.append((i - start, start, counts[start]))
                start = i
        # Ties go to the run at the finer sizes: coarse sizes merge genuinely small clusters.
        longest = max(runs, key=lambda r: (r[0], -r[1]), default=(0, 0, 0))
        if longest[2] < 2:  # HDBSCAN calling it all one cluster (or noise) is the steadiest answer
            return None, curve, "the steadiest count over the sizes is one cluster or none"
        held = [r for r in runs if r[0] >= self.min_run and ctx.ks[0] <= r[2] <= ctx.ks[-1]]
        if not held:
            return None, curve, f"no cluster count held for {self.min_run} consecutive minimum sizes"
        return max(held, key=lambda r: (r[0], -r[1]))[2], curve, ""
