"""The study's plots (matplotlib, Agg): importance across clusters, IMN vs SHAP per cluster,
SHAP summaries, and whole vs per-cluster scores. They live beside the study that draws them
(report/ sits above explain/ in the layers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_all(result, saved: dict, folder: Path, frame: pd.DataFrame, y: pd.Series) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    first = result.importance[result.importance.seed == result.importance.seed.min()] \
        if len(result.importance) else result.importance
    if len(first):
        paths.append(importance_heatmap(first, folder / "importance_across_clusters.png"))
        for c in sorted(first.cluster.unique(), key=int):
            part = first[first.cluster == c]
            who = "cluster" if (part.model == "cluster").any() else "whole"
            paths.append(imn_vs_shap(part[part.model == who], f"cluster {c} ({who}-data IMN)",
                                     folder / f"imn_vs_shap_cluster{c}.png"))
    for (who, c), (values, x) in saved.get("shap", {}).items():
        if who == "cluster" or ("cluster", c) not in saved["shap"]:
            paths.append(shap_summary(values, x, saved["encoder"].feature_names,
                                      folder / f"shap_summary_cluster{c}.png", f"SHAP, cluster {c} ({who}-data IMN)"))
    paths.append(scores_by_cluster(result, folder / "scores_by_cluster.png"))
    return paths


def importance_heatmap(imp: pd.DataFrame, path: Path, top: int = 15) -> Path:
    plt = _plt()
    pick = imp[imp.model == "cluster"] if (imp.model == "cluster").any() else imp
    table = pick.pivot_table(index="feature", columns="cluster", values="imn", aggfunc="mean").fillna(0)
    table = table.div(table.sum(axis=0).replace(0, 1), axis=1)  # share of each cluster's importance
    table = table.loc[table.mean(axis=1).sort_values(ascending=False).index[:top]]
    fig, ax = plt.subplots(figsize=(1.2 + 0.9 * table.shape[1], 0.35 * len(table) + 1.5))
    im = ax.imshow(table.to_numpy(), cmap="viridis", aspect="auto")
    ax.set_yticks(range(len(table)), table.index)
    ax.set_xticks(range(table.shape[1]), [f"cluster {c}" for c in table.columns], rotation=30, ha="right")
    ax.set_title("IMN importance share per cluster (mean |w x|)")
    fig.colorbar(im, ax=ax, fraction=0.04)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def imn_vs_shap(part: pd.DataFrame, title: str, path: Path, top: int = 10) -> Path:
    plt = _plt()
    part = part.groupby("feature")[["imn", "shap"]].mean()
    part = part / part.sum().replace(0, 1)
    part = part.sort_values("imn", ascending=True).tail(top)
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(part) + 1.5))
    pos = np.arange(len(part))
    ax.barh(pos + 0.2, part.imn, height=0.4, label="IMN mean |w x|")
    ax.barh(pos - 0.2, part.shap, height=0.4, label="SHAP mean |phi|")
    ax.set_yticks(pos, part.index)
    ax.set_xlabel("share of importance")
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def shap_summary(values: np.ndarray, x: np.ndarray, names: list[str], path: Path, title: str) -> Path:
    import shap

    import warnings

    plt = _plt()
    plt.figure()
    with warnings.catch_warnings():  # shap's own deprecation chatter about NumPy's global RNG
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        shap.summary_plot(values, x, feature_names=names, max_display=12, show=False, plot_size=(8, 6))
    plt.title(title)
    plt.tight_layout()
    plt.savefig(path, dpi=110)
    plt.close("all")
    return path


def scores_by_cluster(result, path: Path) -> Path:
    plt = _plt()
    metric = "auroc" if result.task == "classification" else "rmse"
    s = result.scores[result.scores.cluster != "all"]
    s = s.groupby(["cluster", "model", "scope"])[metric].mean().unstack("scope")
    models = list(dict.fromkeys(s.index.get_level_values("model")))
    clusters = sorted(dict.fromkeys(s.index.get_level_values("cluster")), key=int)
    fig, axes = plt.subplots(1, len(models), figsize=(3.2 * len(models), 3.4), squeeze=False, sharey=True)
    for ax, model in zip(axes[0], models):
        part = s.xs(model, level="model").reindex(clusters)
        pos = np.arange(len(clusters))
        ax.bar(pos - 0.2, part.get("whole", np.nan), width=0.4, label="whole-data model")
        ax.bar(pos + 0.2, part.get("per-cluster", np.nan), width=0.4, label="cluster's model")
        ax.set_xticks(pos, [f"c{c}" for c in clusters])
        ax.set_title(model)
    axes[0][0].set_ylabel(f"test {metric.upper()}")
    axes[0][-1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
