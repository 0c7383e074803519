"""Cluster balance: sizes and how evenly points spread over the clusters."""

from __future__ import annotations

import numpy as np


def balance(labels) -> dict:
    """Sizes (noise apart), normalised entropy (1 = all equal), and smallest/largest ratio."""
    labels = np.asarray(labels).ravel()
    n_noise = int((labels < 0).sum())
    _, sizes = np.unique(labels[labels >= 0], return_counts=True)
    k = sizes.size
    if k == 0:
        return {"n_clusters": 0, "sizes": [], "n_noise": n_noise, "entropy": float("nan"),
                "min_max_ratio": float("nan"), "size_std": float("nan")}
    p = sizes / sizes.sum()
    entropy = float(-(p * np.log(p)).sum() / np.log(k)) if k > 1 else 1.0
    return {"n_clusters": int(k), "sizes": sizes.tolist(), "n_noise": n_noise, "entropy": entropy,
            "min_max_ratio": float(sizes.min() / sizes.max()), "size_std": float(sizes.std())}
