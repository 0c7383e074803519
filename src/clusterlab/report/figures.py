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
    from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

    estimates = consensus.estimates
    cols = min(4, len(estimates))
    rows = math.ceil(len(estimates) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.8 * rows), squeeze=False)
    for ax, e in zip(axes.ravel(), estimates):
        xs = np.array(list(e.curve.keys()), dtype=float)
        ys = np.array(list(e.curve.values()), dtype=float)
        weight = consensus.weights.get(e.method, 1.0)
        if e.axis != "k":  # a swept parameter, with the k found at each setting
            ax.semilogx(xs, ys, "-o", ms=3)
            ax.set_xlabel(e.axis)
            # A few of the grid's own values as plain numbers: log axes over a short range
            # otherwise print overlapping minor labels such as 6x10^0.
            ax.set_xticks(xs[:: max(1, len(xs) // 5)])
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            if ys.size:  # at least three integers, so the locator keeps to them
                ax.set_ylim(ys.min() - 1, ys.max() + 1)
            if e.k is not None:
                ax.axhline(e.k, color="tab:red", lw=1)
        else:
            ax.plot(xs, ys, "-o", ms=3)
            ax.set_xlabel("k")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if e.k is not None and e.k in e.curve:
                ax.plot([e.k], [e.curve[e.k]], "o", color="tab:red", ms=8)
            if e.k is not None:
                ax.axvline(e.k, color="tab:red", lw=1, alpha=0.5)
        ax.set_ylabel(e.values or ("k" if e.axis != "k" else ""), fontsize=8)
        said = f"k={e.k}" if e.k is not None else "abstains"
        ax.set_title(f"{e.method}: {said} (weight {weight:.2f})", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=e.axis != "k"))  # few labels: text is the cost
    for ax in axes.ravel()[len(estimates):]:
        ax.axis("off")
    fig.suptitle(f"number of clusters: consensus k = {consensus.k}", fontsize=11)
    # Fixed margins in inches, not tight_layout, which measured half the time of the whole figure.
    w, h = fig.get_size_inches()
    fig.subplots_adjust(left=0.75 / w, right=1 - 0.15 / w, bottom=0.5 / h, top=1 - 0.65 / h, wspace=0.42,
                        hspace=0.75 * 2.8 / (h / rows))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _palette(k: int):
    plt = _pyplot()
    cmap = plt.get_cmap("tab10" if k <= 10 else "tab20")
    return [cmap(i % cmap.N) for i in range(max(k, 1))]


def _save(fig, path) -> Path:
    plt = _pyplot()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def scatter_2d(xy: np.ndarray, labels: np.ndarray, title: str, path) -> Path:
    """The data's 2-D map coloured by cluster; noise (-1) in grey."""
    plt = _pyplot()
    xy, labels = np.asarray(xy), np.asarray(labels)
    ids = [c for c in np.unique(labels) if c >= 0]
    colours = _palette(len(ids))
    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    if (labels < 0).any():
        ax.scatter(*xy[labels < 0].T, s=4, c="lightgrey", label="noise")
    size = 10 if len(labels) < 2000 else 4
    for colour, c in zip(colours, ids):
        ax.scatter(*xy[labels == c].T, s=size, color=colour, label=f"cluster {c}", alpha=0.8, linewidths=0)
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    if len(ids) <= 12:
        ax.legend(fontsize=8, markerscale=2, loc="best", frameon=True)
    return _save(fig, path)


def silhouette_plot(values: np.ndarray, labels: np.ndarray, path, distance: str = "") -> Path:
    """Rousseeuw's silhouette plot: each cluster's points sorted, their mean as a line."""
    plt = _pyplot()
    values, labels = np.asarray(values), np.asarray(labels)
    ids = list(np.unique(labels))
    colours = _palette(len(ids))
    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    y = 0
    for colour, c in zip(colours, ids):
        v = np.sort(values[labels == c])
        ax.fill_betweenx(np.arange(y, y + v.size), 0, v, color=colour, alpha=0.8, linewidth=0)
        ax.text(-0.05, y + v.size / 2, str(c), fontsize=8, ha="right", va="center")
        y += v.size + 10
    ax.axvline(values.mean(), color="tab:red", ls="--", lw=1, label=f"mean {values.mean():.2f}")
    ax.set_xlabel("silhouette" + (f" ({distance})" if distance else ""))
    ax.set_yticks([])
    ax.set_xlim(min(-0.2, values.min() - 0.05), 1)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(f"silhouette of {len(values):,} points, by cluster", fontsize=10)
    return _save(fig, path)


def cluster_sizes(sizes: dict, path) -> Path:
    plt = _pyplot()
    names = [str(k) for k in sizes]
    counts = list(sizes.values())
    fig, ax = plt.subplots(figsize=(max(4.0, 0.5 * len(names) + 2), 3.2))
    colours = ["lightgrey" if n == "-1" else c for n, c in zip(names, _palette(len(names)))]
    ax.bar(names, counts, color=colours)
    for i, c in enumerate(counts):
        ax.text(i, c, f"{c:,}", ha="center", va="bottom", fontsize=8)
    ax.set_xlabel("cluster (-1: noise or unassigned)" if "-1" in names else "cluster")
    ax.set_ylabel("rows")
    ax.set_title("cluster sizes", fontsize=10)
    return _save(fig, path)


def recommendation_bar(ranking: list[tuple[str, float]], chosen: str, score: str, path, interval=None) -> Path:
    """The recommender's predicted score per algorithm, the choice highlighted."""
    plt = _pyplot()
    names = [a for a, _ in ranking][::-1]
    values = [v for _, v in ranking][::-1]
    fig, ax = plt.subplots(figsize=(6.4, 0.28 * len(names) + 1.2))
    colours = ["tab:red" if a == chosen else "tab:blue" for a in names]
    ax.barh(names, values, color=colours)
    if interval is not None and chosen in names:
        i = names.index(chosen)
        lo, hi = interval
        ax.plot([lo, hi], [i, i], color="black", lw=2, label="80 % interval")
        ax.legend(fontsize=8, loc="lower right")
    ax.set_xlabel(score)
    ax.set_title("recommender: predicted score per algorithm", fontsize=10)
    ax.tick_params(labelsize=8)
    return _save(fig, path)


def profile_heatmap(profiles: list[dict], path, top: int = 12) -> Path | None:
    """Clusters x their most distinctive numeric columns: effect in standard deviations."""
    plt = _pyplot()
    effects: dict[str, dict[int, float]] = {}
    for p in profiles:
        for feature, effect in p.get("numeric_effects", {}).items():
            effects.setdefault(feature, {})[p["cluster"]] = effect
    if not effects:
        return None
    features = sorted(effects, key=lambda f: -max(abs(v) for v in effects[f].values()))[:top]
    clusters = [p["cluster"] for p in profiles]
    grid = np.array([[effects[f].get(c, np.nan) for c in clusters] for f in features])
    fig, ax = plt.subplots(figsize=(max(4.5, 2.5 + 0.7 * len(clusters)), 0.4 * len(features) + 1.8))
    lim = np.nanmax(np.abs(grid)) if np.isfinite(grid).any() else 1
    im = ax.imshow(grid, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
    ax.set_yticks(range(len(features)), features, fontsize=8)
    ax.set_xticks(range(len(clusters)), [str(c) for c in clusters], fontsize=8)
    ax.set_xlabel("cluster")
    ax.set_title("cluster mean minus the rest's (sd)", fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.05)
    return _save(fig, path)
