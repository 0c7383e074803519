"""How many clusters: estimators of k behind one interface, and their weighted consensus."""

from .base import DEFAULT_SAMPLE, Context, KEstimate, KEstimator, make_context
from .consensus import ESTIMATORS, Consensus, combine, estimate_k, reliability, vote_weight

__all__ = ["DEFAULT_SAMPLE", "ESTIMATORS", "Consensus", "Context", "KEstimate", "KEstimator", "combine",
           "estimate_k", "make_context", "reliability", "vote_weight"]
