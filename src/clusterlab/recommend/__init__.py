"""The algorithm recommender: a meta-dataset of synthetic datasets labelled with the ARI of
every registered algorithm (`metadataset`), the encodings of a dataset for a network
(`encoders`, `metafeatures`), the networks (`nets`: ClustRecNet and its ablations, clusterlab's
order-invariant set model), training (`train`), and the shipped model behind `Recommender`
(`recommender`, which reads a model folder through `model_files`, not the training code). The
baselines it is measured against live with the benchmarks (`benchmarks/baselines.py`)."""

from .metadataset import ALGORITHM_COLUMNS, label_dataset, label_many, read_labels_table
from .recommender import Recommendation, Recommender

__all__ = ["ALGORITHM_COLUMNS", "Recommendation", "Recommender", "label_dataset", "label_many",
           "read_labels_table"]
