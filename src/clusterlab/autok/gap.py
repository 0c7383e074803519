"""The gap statistic (Tibshirani, Walther, Hastie 2001)."""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans

from .base import Context, KEstimator


class Gap(KEstimator):
    """log W_k of the data against its mean over B reference sets drawn uniformly in the box of
    the data's principal axes; k is the smallest with Gap(k) >= Gap(k+1) - s(k+1)."""

    name = "gap"
    values = "Gap(k)"
    criterion = "gap statistic, smallest k with Gap(k) >= Gap(k+1) - s(k+1)"

    def __init__(self, references: int = 8):
        self.references = references

    def _estimate(self, ctx: Context):
        rng = np.random.default_rng(ctx.seed)
        x = ctx.x - ctx.x.mean(axis=0)
        _, _, vt = np.linalg.svd(x, full_matrices=False)
        rotated = x @ vt.T
        lo, hi = rotated.min(axis=0), rotated.max(axis=0)
        refs = [rng.uniform(lo, hi, size=rotated.shape) for _ in range(self.references)]
        gap, spread = {}, {}
        ks = ctx.ks
        chosen = None
        for i, k in enumerate(ks):
            inertia = ctx.kmeans(k)[1]
            ref_logs = np.array([np.log(max(KMeans(k, n_init=1, random_state=ctx.seed).fit(r).inertia_, 1e-300))
                                 for r in refs])
            gap[k] = float(ref_logs.mean() - np.log(max(inertia, 1e-300)))
            spread[k] = float(ref_logs.std() * np.sqrt(1 + 1 / self.references))
            if i > 0 and chosen is None and gap[ks[i - 1]] >= gap[k] - spread[k]:
                chosen = ks[i - 1]
                break  # the rule needs nothing beyond k + 1
        note = "" if chosen is not None else "the gap kept rising up to max_k"
        return (chosen if chosen is not None else ks[-1]), gap, note
