"""Figures written as PNG files. Matplotlib runs headless (Agg); nothing opens a window."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def autok_curves(consensus, path: str | Path) -> Path:
    """One panel per estimator: its curve, with the k it chose marked, and the consensus k."""
    plt = _pyplot()
    estimates = consensus.estimates
    cols = min(4, len(estimates))
    rows = math.ceil(len(estimates) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.8 * rows), squeeze=False)
    for ax, e in zip(axes.ravel(), estimates):
        xs = np.array(list(e.curve.keys()), dtype=float)
        ys = np.array(list(e.curve.values()), dtype=float)
        weight = consensus.weights.get(e.method, 1.0)
        if e.method == "dpmeans":  # k as a function of lambda
            ax.semilogx(xs, ys, "-o", ms=3)
            ax.set_xlabel("lambda")
            ax.set_ylabel("k")
            if e.k is not None:
                ax.axhline(e.k, color="tab:red", lw=1)
        else:
            ax.plot(xs, ys, "-o", ms=3)
            ax.set_xlabel("k" if e.method != "gmeans" else "k (by round)")
            if e.k is not None and e.k in e.curve:
                ax.plot([e.k], [e.curve[e.k]], "o", color="tab:red", ms=8)
            if e.k is not None:
                ax.axvline(e.k, color="tab:red", lw=1, alpha=0.5)
        ax.set_title(f"{e.method}: k={e.k} (weight {weight:.2f})", fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(estimates):]:
        ax.axis("off")
    fig.suptitle(f"number of clusters: consensus k = {consensus.k}", fontsize=11)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
