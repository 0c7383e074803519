"""Reading data into `Dataset` values: files, bundled datasets by name, image sets."""

from .catalogue import BUILTIN, DEFAULT_DATASET, list_datasets, load, load_bundled
from .dataset import Column, Dataset, Schema, array_schema, encode_truth
from .tables import infer_schema, read_labels, read_numpy, read_table

__all__ = ["BUILTIN", "DEFAULT_DATASET", "Column", "Dataset", "Schema", "array_schema", "encode_truth",
           "infer_schema", "list_datasets", "load", "load_bundled", "read_labels", "read_numpy", "read_table"]
