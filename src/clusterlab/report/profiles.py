"""What distinguishes each cluster from the rest, in the table's own columns.

Numbers: the cluster's mean against the rest's, and the difference in units of the column's
overall standard deviation (an effect size that compares columns of any unit). Categories:
the share of each value inside the cluster against outside it. Each cluster's profile lists
its most distinctive columns first and reads as one line ("tenure +1.4 sd; Contract =
Two year 71 % vs 12 %").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MAX_NUMERIC = 200  # wider matrices (embeddings, pixels) get no per-column profile


def cluster_profiles(features, schema_numeric: list[str], schema_categorical: list[str], labels: np.ndarray,
                     top: int = 5) -> list[dict]:
    if isinstance(features, np.ndarray):
        if features.ndim != 2 or features.shape[1] > MAX_NUMERIC:
            return []
        features = pd.DataFrame(features, columns=[f"x{j}" for j in range(features.shape[1])])
        schema_numeric, schema_categorical = list(features.columns), []
    num = features[schema_numeric].apply(pd.to_numeric, errors="coerce").astype(float) if schema_numeric else None
    sd = num.std(ddof=0).replace(0, np.nan) if num is not None else None
    out = []
    for c in sorted(np.unique(labels)):
        inside = labels == c
        items = []
        if num is not None:
            mean_in, mean_out = num[inside].mean(), num[~inside].mean() if (~inside).any() else num.mean()
            effect = ((mean_in - mean_out) / sd).fillna(0)
            for col in schema_numeric:
                items.append({"feature": col, "kind": "numeric", "value": float(mean_in[col]),
                              "rest": float(mean_out[col]), "effect": float(effect[col]),
                              "strength": abs(float(effect[col]))})
        for col in schema_categorical:
            s = features[col].astype(object).where(features[col].notna(), "(blank)").astype(str)
            share_in = s[inside].value_counts(normalize=True)
            share_out = s[~inside].value_counts(normalize=True) if (~inside).any() else share_in
            diff = share_in.subtract(share_out, fill_value=0)
            value = diff.abs().idxmax()
            items.append({"feature": col, "kind": "categorical", "category": value,
                          "value": float(share_in.get(value, 0.0)), "rest": float(share_out.get(value, 0.0)),
                          "effect": float(diff[value]),
                          # a share difference of 0.5 counts like an effect of 1 sd
                          "strength": 2 * abs(float(diff[value]))})
        effects = {d["feature"]: round(d["effect"], 4) for d in items if d["kind"] == "numeric"}
        items.sort(key=lambda d: -d["strength"])
        out.append({"cluster": int(c), "size": int(inside.sum()), "share": float(inside.mean()),
                    "top": items[:top], "summary": "; ".join(_describe(d) for d in items[:3]),
                    "numeric_effects": effects})
    return out


def _describe(item: dict) -> str:
    if item["kind"] == "numeric":
        return f"{item['feature']} {item['effect']:+.1f} sd ({item['value']:.3g} vs {item['rest']:.3g})"
    return (f"{item['feature']} = {item['category']} {100 * item['value']:.0f} % vs "
            f"{100 * item['rest']:.0f} %")
