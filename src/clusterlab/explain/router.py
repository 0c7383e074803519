"""Which cluster a row belongs to, for the study and for new rows: k-medoids on Gower distance
(mixed tables) or k-means on the standardised numeric columns (the study's second arm, k = 4).
The fitted state is plain JSON, so a saved study routes new rows without pickle."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..algorithms import fit_predict
from ..data.dataset import Schema
from ..errors import DataError, ParameterError
from ..prep.gower import GowerData, encode_like, gower_data

METHODS = ("gower", "kmeans", "auto")
KMEANS_DEFAULT_K = 4


class ClusterRouter:
    def __init__(self, method: str = "auto", k: int | None = None, k_range: tuple[int, int] = (2, 8), seed: int = 0):
        if method not in METHODS:
            raise ParameterError(f"cluster={method!r} is not allowed; choose one of: {', '.join(METHODS)}")
        self.method, self.k, self.k_range, self.seed = method, k, k_range, seed
        self.state: dict = {}

    def fit(self, frame: pd.DataFrame, schema: Schema) -> np.ndarray:
        method = self.method
        if method == "auto":
            method = "gower" if schema.is_mixed else "kmeans"
        if self.k is not None and self.k > frame.shape[0]:
            raise ParameterError(f"k={self.k} exceeds the number of rows ({frame.shape[0]})")
        if method == "gower":
            data = gower_data(frame, numeric=schema.numeric, categorical=schema.categorical + schema.boolean)
            result = fit_predict("gower_kmedoids", data, self.k, seed=self.seed, k_range=self.k_range)
            model, labels = result.estimator, result.labels
            self.state = {"method": "gower", "medoids": _gower_to_dict(model.medoids_), "k": model.n_clusters_,
                          "k_scores": {str(k): v for k, v in model.k_scores_.items()}, "sampled": bool(model.sampled_),
                          "reason": (f"k-medoids (FasterPAM) on Gower distance, k = {model.n_clusters_} "
                                     + ("given" if self.k else f"by silhouette over k = {min(model.k_scores_)}.."
                                        f"{max(model.k_scores_)}"))}
        else:
            if not schema.numeric:
                raise DataError("k-means clusters the numeric columns, and this table has none; use --cluster gower")
            x, stats = _numeric_matrix(frame, schema.numeric)
            k = self.k or KMEANS_DEFAULT_K
            result = fit_predict("kmeans", x, k, seed=self.seed)
            model, labels = result.estimator, result.labels
            self.state = {"method": "kmeans", "columns": schema.numeric, "stats": stats,
                          "centers": model.cluster_centers_.tolist(), "k": k,
                          "reason": f"k-means on the {len(schema.numeric)} standardised numeric columns, k = {k}"
                                    + (" (given)" if self.k else " (the study's default)")}
        return labels

    @property
    def n_clusters(self) -> int:
        return int(self.state["k"])

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        if not self.state:
            raise DataError("the router is not fitted")
        if self.state["method"] == "gower":
            from ..prep.gower import gower_matrix

            medoids = _gower_from_dict(self.state["medoids"])
            d = gower_matrix(encode_like(frame, medoids), medoids)
            return np.nan_to_num(d, nan=np.inf).argmin(axis=1).astype(np.int64)
        x, _ = _numeric_matrix(frame, self.state["columns"], self.state["stats"])
        centers = np.asarray(self.state["centers"])
        return ((x[:, None, :] - centers[None]) ** 2).sum(axis=2).argmin(axis=1).astype(np.int64)

    def to_dict(self) -> dict:
        return {"method": self.method, "k": self.k, "k_range": list(self.k_range), "seed": self.seed,
                "state": self.state}

    @classmethod
    def from_dict(cls, data: dict) -> "ClusterRouter":
        router = cls(data["method"], data["k"], tuple(data["k_range"]), data["seed"])
        router.state = data["state"]
        return router


def _numeric_matrix(frame, columns, stats=None):
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"the rows lack columns {missing[:5]}")
    num = frame[columns].apply(pd.to_numeric, errors="coerce").astype(float)
    if stats is None:
        med = num.median()
        filled = num.fillna(med)
        sd = filled.std(ddof=0).replace(0, 1.0)
        stats = {"median": med.fillna(0).tolist(), "mean": filled.mean().tolist(), "std": sd.tolist()}
    filled = num.fillna(pd.Series(stats["median"], index=columns))
    return ((filled - np.array(stats["mean"])) / np.array(stats["std"])).to_numpy(), stats


def _gower_to_dict(g: GowerData) -> dict:
    return {"numeric": np.where(np.isnan(g.numeric), None, g.numeric).tolist(), "codes": g.codes.tolist(),
            "inv_range": g.inv_range.tolist(), "numeric_weights": g.numeric_weights.tolist(),
            "code_weights": g.code_weights.tolist(), "asymmetric": g.asymmetric.tolist(),
            "numeric_names": list(g.numeric_names), "code_names": list(g.code_names),
            "levels": {k: [str(v) if not isinstance(v, (int, float)) else v for v in lv] for k, lv in g.levels.items()},
            "ordinal_levels": g.ordinal_levels}


def _gower_from_dict(d: dict) -> GowerData:
    n = len(d["codes"]) or len(d["numeric"])
    num = np.array(d["numeric"], dtype=np.float32).reshape(n, len(d["numeric_names"]))
    codes = np.array(d["codes"], dtype=np.int32).reshape(n, len(d["code_names"]))
    return GowerData(num, codes, np.array(d["inv_range"], np.float32), np.array(d["numeric_weights"], np.float32),
                     np.array(d["code_weights"], np.float32), np.array(d["asymmetric"], bool),
                     tuple(d["numeric_names"]), tuple(d["code_names"]), d["levels"], d["ordinal_levels"])
