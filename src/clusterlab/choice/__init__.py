"""Choosing algorithm and k together: the candidate partitions of a dataset (`candidates`) and
what can be said of each without labels (`features`), the inputs of a judge of partitions."""

from .candidates import Candidate, generate
from .features import FEATURES, candidate_features
from .judge import Judge, choose, fit_judge
from .rank import Ranked, rank, rank_matrix

__all__ = ["FEATURES", "Candidate", "Judge", "Ranked", "candidate_features", "choose", "rank", "rank_matrix", "fit_judge", "generate"]
