"""The one registry of clustering algorithms, and the way to run them."""

from .registry import REGISTRY, ClusterResult, fit_predict, get, make_estimator, names
from .spec import AlgorithmSpec

__all__ = ["REGISTRY", "AlgorithmSpec", "ClusterResult", "fit_predict", "get", "make_estimator", "names"]
