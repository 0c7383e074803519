"""Scores of a clustering: external (against reference labels), internal, and balance."""

from .balance import balance
from .confidence import assignment_confidence, centroid_margin
from .external import EXTERNAL, accuracy, ami, ari, contingency, external_scores, nca, nmi, pairwise_ari, purity
from .internal import (GREATER_IS_BETTER, INTERNAL, calinski_harabasz, davies_bouldin, dbcv, dunn,
                       internal_scores, neighbour_modularity, silhouette, silhouette_samples)

__all__ = ["EXTERNAL", "GREATER_IS_BETTER", "INTERNAL", "accuracy", "ami", "ari", "assignment_confidence", "balance",
           "centroid_margin",
           "calinski_harabasz", "contingency", "davies_bouldin", "dbcv", "dunn", "external_scores",
           "internal_scores", "nca", "neighbour_modularity", "nmi", "pairwise_ari", "purity", "silhouette", "silhouette_samples"]
