"""Test scores of the study: AUROC, accuracy, balanced accuracy, F1 (classification); RMSE, R2."""

from __future__ import annotations

import numpy as np


def classification_scores(y, proba: np.ndarray, classes) -> dict:
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, roc_auc_score

    y = np.asarray(y)
    classes = np.asarray(classes)
    pred = classes[proba.argmax(axis=1)]
    out = {"accuracy": accuracy_score(y, pred), "balanced_accuracy": balanced_accuracy_score(y, pred)}
    present = np.unique(y)
    if classes.size == 2:
        out["f1"] = f1_score(y, pred, pos_label=classes[1], zero_division=0)
        out["auroc"] = roc_auc_score(y == classes[1], proba[:, 1]) if present.size == 2 else np.nan
    else:
        out["f1"] = f1_score(y, pred, average="macro", zero_division=0)
        ok = present.size > 1 and set(present) <= set(classes)
        if ok:
            cols = np.searchsorted(classes, present)
            p = proba[:, cols] / np.clip(proba[:, cols].sum(axis=1, keepdims=True), 1e-12, None)
            out["auroc"] = roc_auc_score(y, p, multi_class="ovr", labels=present) if present.size > 2 \
                else roc_auc_score(y == present[1], p[:, 1])
        else:
            out["auroc"] = np.nan
    return {k: float(v) for k, v in out.items()}


def regression_scores(y, pred) -> dict:
    from sklearn.metrics import mean_squared_error, r2_score

    y = np.asarray(y, dtype=float)
    return {"rmse": float(np.sqrt(mean_squared_error(y, pred))),
            "r2": float(r2_score(y, pred)) if y.size > 1 else np.nan}


def primary_score(task: str, y, model, x) -> float:
    """What tuning maximises: AUROC, or minus RMSE."""
    if task == "classification":
        s = classification_scores(y, model.predict_proba(x), model.classes_)["auroc"]
        return -1.0 if np.isnan(s) else s
    return -regression_scores(y, model.predict(x))["rmse"]
