"""How many clusters: estimators of k behind one interface, and their consensus."""

from .base import DEFAULT_SAMPLE, Context, KEstimate, KEstimator, make_context
from .consensus import (ESTIMATORS, REGIMES, Consensus, choose_leaders, combine, decide, estimate_k, regime,
                        reliability, vote_weight)

__all__ = ["DEFAULT_SAMPLE", "ESTIMATORS", "REGIMES", "Consensus", "Context", "KEstimate", "KEstimator",
           "choose_leaders", "combine", "decide", "estimate_k", "make_context", "regime", "reliability",
           "vote_weight"]
