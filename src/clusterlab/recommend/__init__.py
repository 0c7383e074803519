"""The algorithm recommender: a meta-dataset of synthetic datasets labelled with the ARI of
every registered algorithm, the encodings of a dataset for a network, and the networks
(ClustRecNet and its ablations; clusterlab's order-invariant set model). Training comes next."""

from .metadataset import ALGORITHM_COLUMNS, label_dataset, label_many, read_labels_table

__all__ = ["ALGORITHM_COLUMNS", "label_dataset", "label_many", "read_labels_table"]
