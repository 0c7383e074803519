"""Feature importance per cluster: IMN's own (mean |w_j(x) x_j|) and SHAP's (mean |phi_j|), both
summed back from encoded columns to table columns, and how well the two rankings agree."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .encoder import aggregate_by_source


def imn_importance(model, x: np.ndarray, sources: list[str]) -> pd.Series:
    contrib = model.contributions(x)  # rows, outputs, encoded features
    per_row = np.abs(contrib).mean(axis=1)
    return aggregate_by_source(per_row, sources).mean().sort_values(ascending=False)


def shap_values(model, x_explain: np.ndarray, x_background: np.ndarray, seed: int = 0) -> np.ndarray:
    """SHAP values (rows x encoded features) of the model's output (positive-class probability,
    or the prediction), by the permutation explainer over a background sample."""
    import shap

    if hasattr(model, "classes_") and getattr(model, "task", "classification") == "classification":
        proba_cols = len(model.classes_)

        def f(z):
            p = model.predict_proba(np.asarray(z, dtype=np.float32))
            return p[:, 1] if proba_cols == 2 else p.max(axis=1)
    else:
        def f(z):
            return model.predict(np.asarray(z, dtype=np.float32))

    masker = shap.maskers.Independent(x_background, max_samples=len(x_background))
    explainer = shap.explainers.Permutation(f, masker, seed=seed)
    # One antithetic permutation per row (2p + 1 evaluations): the rankings compared here are
    # means over many rows, which average out its noise at a quarter of the default's cost.
    return np.asarray(explainer(x_explain, max_evals=2 * x_explain.shape[1] + 1, silent=True).values)


def shap_importance(values: np.ndarray, sources: list[str]) -> pd.Series:
    return aggregate_by_source(np.abs(values), sources).mean().sort_values(ascending=False)


def agreement(a: pd.Series, b: pd.Series, top: int = 5) -> dict:
    """Spearman correlation of two importance vectors over the same columns, and the overlap of
    their top-`top` sets (Jaccard)."""
    from scipy.stats import spearmanr

    cols = a.index.intersection(b.index)
    rho = spearmanr(a[cols], b[cols]).statistic if len(cols) > 2 else np.nan
    ta, tb = set(a.index[:top]), set(b.index[:top])
    return {"spearman": float(rho), f"top{top}_jaccard": len(ta & tb) / max(len(ta | tb), 1)}

