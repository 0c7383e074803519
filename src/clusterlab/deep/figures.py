"""Figures of a deep clustering run (PNG, headless): training curves, cluster balance, and the
confusion matrix against a truth. They live with the session runner that writes them."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def training_curves(history: list[dict], path: str | Path) -> Path:
    """Each logged quantity against the training step, one panel each, phases shaded apart."""
    plt = _pyplot()
    keys = [k for k in dict.fromkeys(k for r in history for k, v in r.items() if isinstance(v, float))
            if k not in ("seconds",)]
    cols = min(3, max(1, len(keys)))
    rows = max(1, math.ceil(len(keys) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.8 * rows), squeeze=False)
    for ax, key in zip(axes.ravel(), keys):
        for phase in dict.fromkeys(r["phase"] for r in history):
            pts = [(r["step"], r[key]) for r in history if r["phase"] == phase and key in r]
            if pts:
                ax.plot(*zip(*pts), marker=".", label=phase)
        ax.set_title(key, fontsize=9)
        ax.set_xlabel("epoch (all phases)", fontsize=8)
        ax.legend(fontsize=7)
    for ax in axes.ravel()[len(keys):]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def cluster_balance(labels, k: int, path: str | Path) -> Path:
    """Cluster sizes as bars, with the equal share marked."""
    plt = _pyplot()
    labels = np.asarray(labels)
    sizes = np.bincount(labels[labels >= 0], minlength=k)
    fig, ax = plt.subplots(figsize=(max(4, 0.45 * len(sizes)), 3))
    ax.bar(np.arange(len(sizes)), sizes, color="#4c72b0")
    ax.axhline(len(labels) / max(k, 1), color="grey", ls="--", lw=1, label="equal sizes")
    ax.set_xlabel("cluster")
    ax.set_ylabel("points")
    ax.set_title(f"cluster sizes (std {sizes.std():.0f})", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def confusion(truth, labels, path: str | Path) -> Path:
    """Truth against clusters, clusters reordered by the best one-to-one matching."""
    from scipy.optimize import linear_sum_assignment

    from ..metrics import contingency

    plt = _pyplot()
    table = contingency(np.asarray(truth), np.asarray(labels))
    rows, cols = linear_sum_assignment(-table)
    order = list(cols[np.argsort(rows)]) + [c for c in range(table.shape[1]) if c not in set(cols)]
    table = table[:, order]
    fig, ax = plt.subplots(figsize=(1 + 0.5 * table.shape[1], 1 + 0.45 * table.shape[0]))
    ax.imshow(table, cmap="Blues")
    for (i, j), v in np.ndenumerate(table):
        if v:
            ax.text(j, i, str(int(v)), ha="center", va="center", fontsize=6,
                    color="white" if v > table.max() / 2 else "black")
    ax.set_xlabel("cluster (matched order)")
    ax.set_ylabel("true class")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
