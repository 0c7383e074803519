"""The algorithm recommender: a meta-dataset of synthetic datasets labelled with the ARI of
every registered algorithm (this package, so far), then the networks trained on it."""

from .metadataset import ALGORITHM_COLUMNS, label_dataset, label_many, read_labels_table

__all__ = ["ALGORITHM_COLUMNS", "label_dataset", "label_many", "read_labels_table"]
