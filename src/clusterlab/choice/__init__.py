"""Choosing algorithm and k together: the candidate partitions of a dataset (`candidates`) and
what can be said of each without labels (`features`), the inputs of a judge of partitions."""

from .candidates import Candidate, generate
from .features import FEATURES, candidate_features

__all__ = ["FEATURES", "Candidate", "candidate_features", "generate"]
