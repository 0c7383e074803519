"""From a `Dataset` to what an algorithm consumes: encoded matrices and Gower distances."""

from .encode import CATEGORICAL, MISSING, SCALES, Encoding, encode
from .gower import GowerData, encode_like, gower_blocks, gower_data, gower_matrix, gower_of, gower_topk
from .prepare import Prepared, input_of, prepare

__all__ = ["CATEGORICAL", "MISSING", "SCALES", "Encoding", "GowerData", "encode", "encode_like", "gower_blocks",
           "gower_data", "gower_matrix", "gower_of", "gower_topk", "Prepared", "input_of", "prepare"]
