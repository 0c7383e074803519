"""The one registry of clustering algorithms, and the way to run them."""

from .registry import (DEFAULTS, REGISTRY, SEED_MAX, ClusterResult, check_seed, distinct_rows, fit_predict, get,
                       make_estimator, names, runs_at, scalable_alternative)
from .spec import AlgorithmSpec

__all__ = ["DEFAULTS", "REGISTRY", "SEED_MAX", "AlgorithmSpec", "ClusterResult", "check_seed", "distinct_rows",
           "fit_predict", "get", "make_estimator", "names", "runs_at", "scalable_alternative"]
